"""Security headers on every response (issue 15 item 6), read from the real web role (the
front and waitress) for every route in the URL map, logged in and not, from the kiosk
and from a LAN address; no template holds inline script or an on* handler."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from live_support import PASSWORD, Browser

from appliance.core.clock import ManualClock
from appliance.people import admins
from appliance.storage.db import Database

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
TEMPLATES = Path(__file__).resolve().parents[1] / "kiosk" / "templates"
# Public pages that never show a name may be cached briefly; everything else is no-store.
MAY_CACHE = {"static", "status.status_json", "status.status_txt", "feeds.room_feed", "feeds.site_feed"}


def _concrete(rule: Any) -> str:
    path = rule.rule
    for name in rule.arguments:
        value = {"filename": "kiosk.css", "room_id": "main-hall", "reference": "ABC123"}.get(name)
        value = value or ("2026-03-02" if "date" in name or "day" in name else "1")
        path = re.sub(r"<(?:[^:<>]+:)?" + re.escape(name) + ">", value, path)
    return path


def _check(headers: Any, where: str, endpoint: str) -> None:
    lower = {k.lower(): v for k, v in headers.items()}
    assert lower.get("content-security-policy") == CSP, where
    assert lower.get("x-frame-options") == "DENY", where
    assert lower.get("x-content-type-options") == "nosniff", where
    assert lower.get("referrer-policy") == "same-origin", where
    if endpoint not in MAY_CACHE:
        assert "no-store" in lower.get("cache-control", ""), (where, lower.get("cache-control"))


@pytest.mark.parametrize("source", ["127.0.0.1", "127.0.0.30"])
def test_every_route_sends_the_security_headers(live_server: Any, db: Database, clock: ManualClock,
                                                source: str) -> None:
    admins.create(db.conn(), "alice", PASSWORD, clock.now())
    anonymous = Browser(live_server.url, source=source)
    admin = Browser(live_server.url, source=source)
    assert admin.log_in() == 302
    checked = 0
    for rule in live_server.app.url_map.iter_rules():
        if rule.endpoint.endswith(".live") or rule.endpoint == "live.status_stream":
            continue  # streams: checked below (they do not end)
        path = _concrete(rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for browser in (anonymous, admin):
                if rule.endpoint == "auth.logout" and browser is admin:
                    continue
                status, headers, _ = browser.request(path, data={} if method == "POST" else None, method=method)
                _check(headers, f"{method} {path} ({status}) from {source}", rule.endpoint)
                checked += 1
    assert checked > 80


def test_live_streams_and_the_fronts_own_answers_carry_them(live_server: Any) -> None:
    import socket

    for path in ("/live/status", "/display/live"):
        with socket.create_connection(("127.0.0.1", live_server.port), timeout=10) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            head = b""
            while b"\r\n\r\n" not in head:
                head += sock.recv(4096)
        lines = head.decode("latin-1").split("\r\n")[1:]
        _check({line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in lines if ":" in line}, path, "live")
    # a request the front refuses itself (a bad request line)
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=10) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        answer = sock.recv(4096).decode("latin-1")
    assert answer.startswith("HTTP/1.1 400")
    lines = answer.split("\r\n\r\n")[0].split("\r\n")[1:]
    _check({line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in lines if ":" in line}, "400", "front")


def test_no_inline_script_or_handler_in_any_template() -> None:
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), f"inline <script> in {template.name}"
        assert not re.search(r"\son[a-z]+\s*=", text), f"an on* handler in {template.name}"
        assert "javascript:" not in text, f"a javascript: URL in {template.name}"
