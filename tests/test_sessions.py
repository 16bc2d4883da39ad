"""Dashboard sessions live on the server (issue 15 item 4): the browser holds a random id,
the database only its hash; logout, a password change and removing the admin end them;
an idle timeout and an absolute lifetime; the signing key is a 0600 file of the web
role, never a row a database backup copies. Against the real web role."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import time
from typing import Any

import pytest
from flask.sessions import SecureCookieSessionInterface
from live_support import PASSWORD, Browser, sse

from appliance.core.clock import ManualClock
from appliance.core.config import Config, secrets_dir
from appliance.people import admins
from appliance.storage.db import Database


@pytest.fixture
def alice(db: Database, clock: ManualClock) -> str:
    admins.create(db.conn(), "alice", PASSWORD, clock.now())
    return "alice"


def dump(db: Database) -> str:
    """Every row of every table as text: what a backup or a Datasette view shows."""
    with contextlib.closing(sqlite3.connect(db.path)) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return "\n".join(repr(row) for t in tables for row in conn.execute(f'SELECT * FROM "{t}"'))


def replay(live_server: Any, cookie: str, source: str = "127.0.0.1") -> int:
    """GET /dashboard/ with a copied Cookie header; the status."""
    return Browser(live_server.url, source=source).request("/dashboard/", headers={"Cookie": cookie})[0]


def test_logout_ends_the_session_even_for_a_copied_cookie(live_server: Any, alice: str) -> None:
    browser = Browser(live_server.url, source="127.0.0.20")
    assert browser.log_in() == 302
    stolen = browser.cookie_header()
    assert replay(live_server, stolen, "127.0.0.21") == 200
    assert browser.post_form("/dashboard/", {}, action="/dashboard/logout")[0] == 302
    assert replay(live_server, stolen, "127.0.0.21") == 302  # back to the login page


def test_a_database_copy_is_not_an_admin_login(live_server: Any, db: Database, config: Config, alice: str) -> None:
    browser = Browser(live_server.url)
    assert browser.log_in() == 302
    rows = dump(db)
    assert "web_secret_key" not in rows
    cookie_value = browser.cookie_header().split("=", 1)[1]
    assert cookie_value not in rows
    key_file = secrets_dir(config) / "session.key"
    mode = stat.S_IMODE(os.stat(key_file).st_mode)
    assert mode == 0o600 and stat.S_IMODE(os.stat(key_file.parent).st_mode) == 0o700
    assert key_file.read_text().strip() not in rows
    # Even the signing key itself does not make a login: a cookie signed with it naming
    # alice, with no session on the server, is refused.
    app = live_server.app
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    for forged in ({"admin": "alice"}, {"sid": "made-up"}):
        assert replay(live_server, f"doorstep={serializer.dumps(forged)}") == 302


def test_idle_timeout_and_absolute_lifetime(live_server: Any, clock: ManualClock, alice: str,
                                            config: Config) -> None:
    idle = config.web.session_idle_minutes
    browser = Browser(live_server.url)
    assert browser.log_in() == 302
    clock.advance(minutes=idle - 1)
    assert browser.request("/dashboard/")[0] == 200
    clock.advance(minutes=idle + 1)
    assert browser.request("/dashboard/")[0] == 302  # unused too long
    assert browser.log_in() == 302
    for _ in range(config.web.session_hours * 2 - 1):  # used every half hour...
        clock.advance(minutes=30)
        assert browser.request("/dashboard/")[0] == 200
    clock.advance(minutes=31)
    assert browser.request("/dashboard/")[0] == 302  # ...but not past the lifetime


def test_removing_the_admin_ends_their_sessions(live_server: Any, db: Database, clock: ManualClock, alice: str) -> None:
    admins.create(db.conn(), "bob", PASSWORD, clock.now())
    browser = Browser(live_server.url)
    assert browser.log_in() == 302
    admins.remove(db.conn(), "alice", clock.now())
    assert browser.request("/dashboard/")[0] == 302
    assert db.conn().execute("SELECT count(*) FROM admin_sessions WHERE admin = 'alice'").fetchone()[0] == 0


def test_the_live_dashboard_ends_with_its_session(live_server: Any, alice: str) -> None:
    browser = Browser(live_server.url)
    assert browser.log_in() == 302
    frames = sse(live_server.port, "/dashboard/live", cookie=browser.cookie_header())
    assert next(frames)[0] == "sections"
    assert browser.post_form("/dashboard/", {}, action="/dashboard/logout")[0] == 302
    started = time.monotonic()
    for _ in frames:  # the server closes the stream: the loop ends
        pass
    assert time.monotonic() - started < 15
