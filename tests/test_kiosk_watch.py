"""The kiosk watch (doorstep/kioskwatch.py, doorstep-kiosk-watch.timer): a kiosk whose page
is blank or crashed is restarted; one that shows its page, or waits for the web role, is
left alone (issue 18: one emulated boot in four left the screen white for good).

Against the real web role (front, waitress, a real SQLite file) and real Chromium: the
page on the Pi's own screen is the one loaded from 127.0.0.1; 127.0.0.x stands in for a
LAN host. The restart itself is systemd's: `make image-boot` kills Chromium's renderers
in the booted image and checks the watch brings the page back.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from live_support import sse
from playwright.sync_api import expect

from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.storage.db import Database
from doorstep.broker import free_port
from doorstep.kioskwatch import read_health, verdict
from kiosk import create_app
from kiosk.server import WebServer

TABLET = "127.0.0.7"  # a second kiosk, a tablet on the hall's LAN


@pytest.fixture
def web_role(config: Config, clock: ManualClock, db: Database) -> Iterator[WebServer]:
    """The web role on a free port, with a LAN tablet among the kiosk networks."""
    web = dataclasses.replace(config.web, host="127.0.0.1", port=free_port(),
                              kiosk_networks=(*config.web.kiosk_networks, f"{TABLET}/32"))
    cfg = config.with_changes(web=web)
    server = WebServer(create_app(cfg, clock=clock), "127.0.0.1", cfg.web.port, threads=8)
    server.start()
    yield server
    server.close()


def screen(url: str) -> Any:
    health = read_health(url)
    assert health is not None, "/healthz did not answer"
    return health["kiosk_screen_seconds"]


def wait_for_screen(url: str, wanted: Any, within: float = 10.0) -> Any:
    """Poll /healthz until ``wanted(kiosk_screen_seconds)`` holds; the last value."""
    deadline = time.monotonic() + within
    seen = screen(url)
    while not wanted(seen) and time.monotonic() < deadline:
        time.sleep(0.05)
        seen = screen(url)
    return seen


@pytest.mark.browser
def test_the_watch_sees_the_screens_page_come_and_go(web_role: WebServer, browser: Any) -> None:
    url = f"http://127.0.0.1:{web_role.port}"
    # No page yet: the watch would restart a kiosk that has had its grace.
    health = read_health(url)
    assert health is not None and health["kiosk_screen_seconds"] is None
    assert health["uptime_seconds"] >= 0
    assert verdict(health, kiosk_up=300, grace=0) == f"no kiosk page has opened in {health['uptime_seconds']:.0f} s"
    assert verdict(health, kiosk_up=300) is None  # the web role has only just started

    # A kiosk tablet on the LAN holds the same stream, but it is not the Pi's screen.
    lan = sse(web_role.port, "/kiosk/live", source=TABLET)
    try:
        assert next(lan)[0] == "kiosk"  # the tablet's stream is open and sending
        assert screen(url) is None
    finally:
        lan.close()

    for size in ({"width": 800, "height": 480}, {"width": 1280, "height": 800}):
        context = browser.new_context(viewport=size, has_touch=True)
        try:
            tab = context.new_page()
            tab.goto(url + "/kiosk/")
            expect(tab.locator("body")).to_have_attribute("data-live-updated", re.compile(r"\d+"))
            assert wait_for_screen(url, lambda s: s == 0) == 0
            assert verdict(read_health(url), kiosk_up=300, grace=0, gone=1) is None
            # Moving between screens (a sign-in and back) keeps the screen's page counted.
            tab.goto(url + "/kiosk/signin")
            expect(tab.locator("body")).to_have_attribute("data-live-updated", re.compile(r"\d+"))
            assert wait_for_screen(url, lambda s: s == 0) == 0
            tab.go_back()
            expect(tab.locator("body")).to_have_attribute("data-live-updated", re.compile(r"\d+"))
            assert wait_for_screen(url, lambda s: s == 0) == 0
        finally:
            context.close()  # the page crashes or closes: its stream ends with it
        gone = wait_for_screen(url, lambda s: s is not None and s >= 1.2)
        assert gone >= 1.2
        reason = verdict(read_health(url), kiosk_up=300, grace=0, gone=1)
        assert reason is not None and reason.startswith("the kiosk page has been gone for"), reason
        # Within the kiosk unit's own grace (it was just restarted), nothing happens.
        assert verdict(read_health(url), kiosk_up=10, grace=60, gone=1) is None


def test_the_watch_leaves_the_kiosk_alone_when_the_web_role_does_not_answer() -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    assert read_health(nobody) is None
    assert verdict(read_health(nobody), kiosk_up=10_000, grace=0, gone=0) is None


@pytest.mark.parametrize(
    ("health", "kiosk_up", "expected"),
    [
        ({"uptime_seconds": 500, "kiosk_screen_seconds": 0.0}, 500, None),
        ({"uptime_seconds": 500, "kiosk_screen_seconds": 39.9}, 500, None),
        ({"uptime_seconds": 500, "kiosk_screen_seconds": 41}, 500, "the kiosk page has been gone for 41 s"),
        ({"uptime_seconds": 500, "kiosk_screen_seconds": None}, 200, "no kiosk page has opened in 200 s"),
        ({"uptime_seconds": 100, "kiosk_screen_seconds": None}, 500, None),  # the web role restarted
        ({"uptime_seconds": 500, "kiosk_screen_seconds": None}, 100, None),  # the kiosk restarted
        ({"uptime_seconds": 500, "kiosk_screen_seconds": None}, None, None),  # no kiosk on this Pi
        ({"status": "ok"}, 500, None),  # an older web role: nothing to judge by
        ({"uptime_seconds": "soon", "kiosk_screen_seconds": []}, 500, None),
    ],
)
def test_the_watch_verdict(health: dict[str, Any], kiosk_up: float | None, expected: str | None) -> None:
    assert verdict(health, kiosk_up) == expected
