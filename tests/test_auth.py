"""Dashboard login: every /dashboard route is closed to anonymous visitors (proved over the
whole URL map), CSRF is required on forms, sessions are HttpOnly/SameSite, lockout shows."""

from __future__ import annotations

import re

import pytest
from csrf_support import csrf_token
from flask import Flask
from flask.testing import FlaskClient

from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.people import admins
from appliance.storage import audit
from appliance.storage.db import Database
from kiosk import create_app

PASSWORD = "correct horse"


def log_in(client: FlaskClient, name: str = "alice", password: str = PASSWORD, **kw):  # type: ignore[no-untyped-def]
    return client.post("/dashboard/login", data={"name": name, "password": password, "csrf_token": csrf_token(client, "/dashboard/login")}, **kw)


@pytest.fixture
def alice(db: Database, clock: ManualClock) -> str:
    admins.create(db.conn(), "alice", PASSWORD, clock.now())
    return "alice"


def _concrete(rule) -> str:  # type: ignore[no-untyped-def]
    """A URL for a rule, with each variable filled in (so converters accept it)."""
    path = rule.rule
    for name in rule.arguments:
        value = "2026-03-02" if "date" in name or "day" in name else "1"
        path = re.sub(r"<(?:[^:<>]+:)?" + re.escape(name) + ">", value, path)
    return path


def test_every_dashboard_route_needs_a_login(app: Flask) -> None:
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/dashboard")]
    assert len(rules) >= 2, "the dashboard has no routes?"
    client = app.test_client()
    checked = 0
    for rule in rules:
        if rule.endpoint == "auth.login":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(_concrete(rule), method=method)
            if response.status_code == 302:
                assert "/dashboard/login" in response.location, (rule.rule, method)
            else:
                # a POST without CSRF token is refused with 400 before it reaches the guard
                assert response.status_code in (400, 401), (rule.rule, method, response.status_code)
            checked += 1
    assert checked >= 2


def test_every_dashboard_route_needs_a_login_even_with_csrf_off(config: Config, db: Database) -> None:
    # with CSRF out of the way, POSTs reach the login guard itself: it must answer 401 or redirect
    application = create_app(config, overrides={"TESTING": True, "WTF_CSRF_ENABLED": False})

    @application.get("/dashboard/_forgot_the_decorator")
    def undecorated() -> str:
        return "secret"

    application.extensions["doorstep"].close()
    client = application.test_client()
    for rule in application.url_map.iter_rules():
        if not rule.rule.startswith("/dashboard") or rule.endpoint == "auth.login":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(_concrete(rule), method=method)
            assert response.status_code in (302, 401), (rule.rule, method, response.status_code)
            assert b"secret" not in response.data


def test_login_then_dashboard_then_logout(client: FlaskClient, alice: str, db: Database) -> None:
    assert client.get("/dashboard/").status_code == 302
    response = log_in(client)
    assert response.status_code == 302 and response.location == "/dashboard/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/dashboard/").status_code == 200
    token = csrf_token(client, "/dashboard/login")
    assert client.post("/dashboard/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/dashboard/").status_code == 302
    assert [e.action for e in audit.recent(db.conn())][:2] == ["logout", "login"]


def test_wrong_password_is_refused_without_saying_which_part(client: FlaskClient, alice: str) -> None:
    wrong = log_in(client, password="not it at all")
    unknown = log_in(client, name="mallory")
    assert wrong.status_code == unknown.status_code == 401
    assert b"do not match" in wrong.data and b"do not match" in unknown.data
    assert client.get("/dashboard/").status_code == 302


def test_login_post_without_csrf_token_is_refused(client: FlaskClient, alice: str) -> None:
    response = client.post("/dashboard/login", data={"name": "alice", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/dashboard/").status_code == 302


def test_logout_without_csrf_token_is_refused(client: FlaskClient, alice: str) -> None:
    log_in(client)
    assert client.post("/dashboard/logout").status_code == 400
    assert client.get("/dashboard/").status_code == 200


def test_lockout_is_shown_and_holds(client: FlaskClient, alice: str, clock: ManualClock) -> None:
    for _ in range(4):
        assert log_in(client, password="nope nope").status_code == 401
    fifth = log_in(client, password="nope nope")
    assert fifth.status_code == 429 and b"paused" in fifth.data
    assert log_in(client).status_code == 429
    clock.advance(minutes=5, seconds=1)
    assert log_in(client).status_code == 302


def test_next_only_follows_local_paths(client: FlaskClient, alice: str) -> None:
    token = csrf_token(client, "/dashboard/login")
    data = {"name": "alice", "password": PASSWORD, "csrf_token": token, "next": "https://evil.example/"}
    assert client.post("/dashboard/login", data=data).location == "/dashboard/"


def test_a_removed_admin_is_logged_out(client: FlaskClient, alice: str, db: Database) -> None:
    log_in(client)
    db.conn().execute("DELETE FROM admins WHERE name = 'alice'")
    assert client.get("/dashboard/").status_code == 302
