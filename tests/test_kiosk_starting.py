"""The entrance screen while Doorstep starts (image-build/kiosk-starting.html): the kiosk
unit opens it at once, alongside the web role, and it becomes the kiosk's home page as
soon as the web role answers (issue 18: the time from power-on to the kiosk drawn).

Real Chromium opens the very file the image installs, from file://, as the kiosk unit
does; the web role (front, waitress, a real SQLite file) starts only after the page is up.
"""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.storage.db import Database
from doorstep.broker import free_port
from kiosk import create_app
from kiosk.server import WebServer

STARTING = Path(__file__).resolve().parent.parent / "image-build" / "kiosk-starting.html"
KIOSK_UNIT = Path(__file__).resolve().parent.parent / "systemd" / "doorstep-kiosk.service"


def test_the_kiosk_unit_opens_the_starting_page_with_the_kiosks_address() -> None:
    text = KIOSK_UNIT.read_text(encoding="utf-8")
    assert "file:///opt/doorstep/share/kiosk-starting.html#http://127.0.0.1:8080/kiosk/" in text


@pytest.mark.browser
@pytest.mark.parametrize("size", [{"width": 800, "height": 480}, {"width": 1280, "height": 800}])
def test_the_starting_page_becomes_the_kiosk_once_the_web_role_answers(
        size: dict[str, int], browser: Any, config: Config, clock: ManualClock, db: Database) -> None:
    port = free_port()
    kiosk = f"http://127.0.0.1:{port}/kiosk/"
    context = browser.new_context(viewport=size, has_touch=True)
    server: WebServer | None = None
    try:
        tab = context.new_page()
        asked: list[str] = []
        tab.on("request", lambda request: asked.append(request.url))
        tab.goto(f"{STARTING.as_uri()}#{kiosk}")
        expect(tab.locator("#starting")).to_contain_text("Doorstep is starting")
        # Nobody answers yet: it keeps asking, and stays put.
        deadline = time.monotonic() + 10
        while asked.count(f"http://127.0.0.1:{port}/healthz") < 2 and time.monotonic() < deadline:
            tab.wait_for_timeout(100)
        assert asked.count(f"http://127.0.0.1:{port}/healthz") >= 2, asked
        assert tab.url.startswith("file://")
        entries = tab.evaluate("history.length")

        cfg = config.with_changes(web=dataclasses.replace(config.web, host="127.0.0.1", port=port))
        server = WebServer(create_app(cfg, clock=clock), "127.0.0.1", port, threads=8)
        server.start()
        expect(tab).to_have_url(kiosk, timeout=15_000)
        # The kiosk itself, live (its stream open), not an error page.
        expect(tab.locator("body")).to_have_attribute("data-live-updated", re.compile(r"\d+"))
        # No way back to the starting page: it replaced itself (no new history entry).
        assert tab.evaluate("history.length") == entries
    finally:
        context.close()
        if server is not None:
            server.close()


@pytest.mark.browser
def test_the_starting_page_goes_only_to_this_pi(browser: Any) -> None:
    """An address after the "#" that is not this Pi's loopback is ignored: the page asks
    the default kiosk address instead."""
    context = browser.new_context(viewport={"width": 800, "height": 480})
    try:
        tab = context.new_page()
        asked: list[str] = []
        tab.on("request", lambda request: asked.append(request.url))
        tab.goto(f"{STARTING.as_uri()}#https://example.org/kiosk/")
        deadline = time.monotonic() + 10
        while not any("/healthz" in url for url in asked) and time.monotonic() < deadline:
            tab.wait_for_timeout(100)
        healthz = [url for url in asked if "/healthz" in url]
        assert healthz and all(url == "http://127.0.0.1:8080/healthz" for url in healthz), asked
        assert not any("example.org" in url for url in asked)
    finally:
        context.close()
