"""The dashboard, roll-call and display in real Chromium: login, lockout, a live door edge
without reload, the roll-call's print view, the display updating by itself."""

from __future__ import annotations

import pytest
from dashboard_support import PASSWORD, make_admin, record, sign_in_visitor
from playwright.sync_api import expect

from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.core.events import DoorClosed, DoorOpened
from appliance.storage.db import Database

pytestmark = pytest.mark.browser


def _log_in(page, url: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto(url + "dashboard/")
    page.fill("#name", "alice")
    page.fill("#password", password)
    page.click("button[type=submit]")


def test_login_and_logout(live_server, page, db: Database, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    make_admin(db, clock.now())
    _log_in(page, live_server.url)
    page.wait_for_url("**/dashboard/")
    assert page.locator("#sec-occupancy h2").inner_text() == "In the building"
    cookie = next(c for c in page.context.cookies() if c["name"] == "doorstep")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.click("text=Log out")
    page.wait_for_url("**/dashboard/login")
    page.goto(live_server.url + "dashboard/")
    assert "/dashboard/login" in page.url


def test_lockout_after_five_wrong_passwords(live_server, page, db: Database, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    make_admin(db, clock.now())
    for _ in range(4):
        _log_in(page, live_server.url, password="wrong password")
        assert "do not match" in page.locator("#login-error").inner_text()
    _log_in(page, live_server.url, password="wrong password")
    assert "paused" in page.locator("#login-error").inner_text()
    _log_in(page, live_server.url)  # the right password, still refused
    assert "paused" in page.locator("#login-error").inner_text()
    clock.advance(minutes=5, seconds=1)
    _log_in(page, live_server.url)
    page.wait_for_url("**/dashboard/")


def test_a_door_edge_appears_without_reload(live_server, page, db: Database, config: Config,  # type: ignore[no-untyped-def]
                                            clock: ManualClock) -> None:
    make_admin(db, clock.now())
    record(db, config, clock, DoorClosed(at=clock.now(), door="front"))
    _log_in(page, live_server.url)
    page.wait_for_url("**/dashboard/")
    door = page.locator('#sec-doors [data-door="front"] .state')
    assert door.inner_text() == "closed"
    page.evaluate("window.__sameDocument = true")
    record(db, config, clock, DoorOpened(at=clock.advance(seconds=3), door="front"))
    # (expect, not wait_for_function: that evaluates a string, which the page's CSP forbids)
    expect(door).to_have_text("open", timeout=5000)
    assert page.evaluate("window.__sameDocument") is True  # no reload happened


def test_rollcall_print_view(live_server, page, db: Database, config: Config, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    make_admin(db, clock.now())
    sign_in_visitor(db, config, clock.now(), "Grace Hopper")
    clock.advance(hours=13)
    sign_in_visitor(db, config, clock.now(), "Alan Turing")
    _log_in(page, live_server.url)
    page.wait_for_url("**/dashboard/")
    page.click("#rollcall-link")  # one tap from the dashboard
    page.wait_for_url("**/dashboard/rollcall")
    rows = page.locator("#rollcall tbody tr")
    assert rows.count() == 2
    assert "uncertain" in rows.nth(0).inner_text() and "Grace Hopper" in rows.nth(0).inner_text()
    assert "uncertain" not in rows.nth(1).inner_text()
    assert page.locator(".actions").is_visible()
    page.emulate_media(media="print")
    assert not page.locator(".actions").is_visible()  # no buttons on paper
    assert page.locator("#rollcall").is_visible() and page.locator("h1").inner_text() == "Fire roll-call"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF")


def test_display_is_public_and_updates_itself(live_server, page, db: Database, config: Config,  # type: ignore[no-untyped-def]
                                              clock: ManualClock) -> None:
    page.goto(live_server.url + "display/")
    assert page.locator("#open-state").inner_text() == "Open"
    assert page.locator("#busy").inner_text() == "0 people in"
    assert page.locator("#clock").inner_text().count(":") == 1
    page.evaluate("window.__sameDocument = true")
    sign_in_visitor(db, config, clock.now(), "Grace Hopper")
    expect(page.locator("#busy")).to_have_text("1 person in", timeout=5000)
    assert page.evaluate("window.__sameDocument") is True
    assert "Grace Hopper" not in page.content()
