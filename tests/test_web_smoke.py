"""The three pages answer, in a real browser too, and the kiosk write guard works."""

from __future__ import annotations

import dataclasses
import re

import pytest
from flask import Flask

from appliance.core.config import Config
from kiosk import create_app


@pytest.mark.parametrize("path", ["/kiosk/", "/display/", "/status.json", "/status.txt", "/healthz", "/api/v1/openapi.json"])
def test_pages_answer(client, path: str) -> None:  # type: ignore[no-untyped-def]
    assert client.get(path).status_code == 200


def test_unknown_page_is_friendly(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"Traceback" not in response.data and b"<h1>" in response.data


def test_api_errors_are_json(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert set(response.get_json()) == {"error", "detail"}


def test_every_api_write_is_exempt_from_csrf_and_every_form_is_not(app: Flask) -> None:
    # The API's routes sit in blueprints nested in "api"; flask-wtf looks up the innermost
    # one, so a nested child missed by the exemption would answer "CSRF token missing".
    client = app.test_client()
    api, forms = 0, 0
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or set()):
            continue
        path = re.sub(r"<[^>]+>", "1", rule.rule)
        response = client.post(path, json={})
        refused = response.status_code == 400 and b"CSRF" in response.data
        if rule.rule.startswith("/api/"):
            api += 1
            assert not refused, (rule.rule, response.get_json())
        elif rule.rule.startswith("/booking/"):  # the phone pages say so in words, in the page's language
            forms += 1
            assert response.status_code == 400 and b"This page was open too long" in response.data, rule.rule
        elif not rule.rule.startswith("/kiosk/"):  # the kiosk says so in words (test_kiosk_entrance)
            forms += 1
            assert refused, (rule.rule, response.status_code)
    assert api >= 3 and forms >= 10


def test_kiosk_write_guard(config: Config, db) -> None:  # type: ignore[no-untyped-def]
    from kiosk.access import kiosk_write

    app: Flask = create_app(config, overrides={"TESTING": True, "WTF_CSRF_ENABLED": False})

    @app.post("/_probe")
    @kiosk_write
    def probe() -> str:
        return "ok"

    app.extensions["doorstep"].close()
    client = app.test_client()
    assert client.post("/_probe", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
    assert client.post("/_probe", environ_base={"REMOTE_ADDR": "192.168.1.50"}).status_code == 403
    lan = config.with_changes(web=dataclasses.replace(config.web, kiosk_networks=("192.168.1.0/24",)))
    app2 = create_app(lan, overrides={"TESTING": True, "WTF_CSRF_ENABLED": False})
    app2.add_url_rule("/_probe", "probe", kiosk_write(lambda: "ok"), methods=["POST"])
    app2.extensions["doorstep"].close()
    assert app2.test_client().post("/_probe", environ_base={"REMOTE_ADDR": "192.168.1.50"}).status_code == 200


def test_pages_render_in_chromium(live_server, page) -> None:  # type: ignore[no-untyped-def]
    for path in ("kiosk/", "dashboard/", "display/"):
        response = page.goto(live_server.url + path)
        assert response is not None and response.status == 200
        assert page.locator("h1").first.inner_text().strip() == "Our Community Hall"


def test_an_id_too_big_for_sqlite_is_404_not_500(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/visits/9223372036854775808/end")
    assert response.status_code == 404
    assert client.post("/api/v1/visits/9223372036854775807/end").status_code == 404
