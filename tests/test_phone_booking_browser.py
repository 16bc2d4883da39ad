"""Item 3 of issue 16 as a visitor does it, in real Chromium: the kiosk's "Book a room"
screen (800x480) shows a QR code; a phone (390x844, Welsh) opens the address it encodes
over the machine's own LAN address, asks for a room, gets a reference and a cancel code,
sees the request approved on the dashboard (1280x800), and cancels it. Every phone page
passes axe-core in both languages and fits the phone's width. And the warning the kiosk
shows when its QR codes would point at the Pi itself."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

import pytest
import segno
from dashboard_support import PASSWORD, make_admin
from playwright.sync_api import Browser, Page, expect
from test_kiosk_browser import serious_violations

from appliance.booking import rooms
from appliance.core import lan
from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.storage.db import Database

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


@pytest.fixture
def lan_server(config: Config, clock: ManualClock, db: Database) -> Iterator[Any]:
    """The web role listening on every interface, as on the Pi, so a phone can come over
    this machine's own LAN address (not loopback, not a kiosk network)."""
    from doorstep.broker import free_port
    from kiosk import create_app
    from kiosk.server import WebServer

    address = lan.detect_address()
    assert address, "this machine has no address but loopback: the phone's journey needs a LAN address"
    cfg = config.with_changes(web=dataclasses.replace(config.web, host="0.0.0.0", port=free_port(), base_url=""))
    server = WebServer(create_app(cfg, clock=clock), "0.0.0.0", cfg.web.port, threads=16)
    server.lan_url = f"http://{address}:{cfg.web.port}/"  # type: ignore[attr-defined]
    server.start()
    yield server
    server.close()


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"], page.url  # type: ignore[index]


def _audit(page: Page) -> None:
    assert serious_violations(page) == [], page.url
    _fits(page)


def test_ask_for_a_room_from_a_phone(lan_server, browser: Browser, db: Database, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    make_admin(db, clock.now())
    with db.write():
        rooms.create_room(db.conn(), rooms.Room(id="hall", name="Main Hall", capacity=120), clock.now())
        rooms.create_room(db.conn(), rooms.Room(id="studio", name="Radio Studio", capacity=6, needs_approval=True), clock.now())
    kiosk = browser.new_context(viewport={"width": 800, "height": 480}, has_touch=True).new_page()
    kiosk.goto(lan_server.url + "kiosk/book")
    tile = kiosk.locator("a.tile", has_text="Radio Studio")
    expect(tile).to_contain_text("Up to 6 people")
    expect(tile).to_contain_text("Needs approval")
    qr = kiosk.locator(".phone-qr svg")
    expect(qr).to_be_visible()
    target = lan_server.lan_url + "booking/"
    expected = segno.make(target, error="m").svg_inline(scale=5, border=2)
    modules = re.search(r' d="([^"]+)"', expected)
    assert modules and qr.locator("path").get_attribute("d") == modules[1], "the kiosk's QR code is not the phone's address"
    kiosk.context.close()

    phone = browser.new_context(locale="cy-GB", **PHONE).new_page()
    phone.goto(target)  # what the camera opens
    expect(phone.locator("h1")).to_have_text("Archebu ystafell")
    _audit(phone)
    phone.locator("a.room", has_text="Main Hall").tap()
    expect(phone.locator("h1")).to_have_text("Main Hall")
    phone.locator("ul.days a", has_text="Maw 3/3").tap()
    expect(phone.locator("ul.days a[aria-current=date]")).to_have_text("Maw 3/3")
    _audit(phone)
    phone.locator("a.slot", has_text="19:00").tap()
    expect(phone.locator("p.lead")).to_have_text("Maw 3/3, 19:00")
    phone.locator("label.choice", has_text="1 awr 30 munud").tap()
    phone.fill("#organiser", "Siân Llŷr ap Gwilym")
    phone.fill("#title", "Ymarfer côr")
    phone.fill("#contact", "07700 900123")
    _audit(phone)
    phone.locator("#send").tap()
    expect(phone.locator("#sent")).to_be_visible()
    code = phone.locator("#cancel-code").inner_text()
    reference = phone.locator("#reference").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{6}", code) and re.fullmatch(r"[A-Z0-9]{6}", reference)
    expect(phone.locator("#status")).to_have_text("Yn aros i wirfoddolwr ei chymeradwyo")
    _audit(phone)
    phone.reload()  # the code was shown once; a reload sends nothing again
    expect(phone.locator("#cancel-code")).to_have_count(0)
    assert db.conn().execute("SELECT count(*) FROM bookings").fetchone()[0] == 1

    desk = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    desk.goto(lan_server.url + "dashboard/manage/bookings?day=2026-03-03")
    desk.fill("#name", "alice")
    desk.fill("#password", PASSWORD)
    desk.click("button[type=submit]")
    pending = desk.locator("tr[id^=pending-]", has_text="Ymarfer côr")
    expect(pending).to_contain_text("asked from a phone")
    pending.locator("button", has_text="Approve").click()
    expect(desk.locator("p.notice")).to_contain_text(f"Booking {reference} approved")
    desk.context.close()

    phone.reload()
    expect(phone.locator("#status")).to_have_text("Wedi’i chadarnhau")
    phone.locator("button[lang=en]").tap()
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(phone.locator("#status")).to_have_text("Confirmed")
    _audit(phone)
    phone.fill("#code", "WRONG1")
    phone.locator("#cancel").tap()
    expect(phone.locator("#error")).to_contain_text("does not match")
    _audit(phone)
    phone.fill("#code", code.lower())
    phone.locator("#cancel").tap()
    expect(phone.locator("#cancelled")).to_have_text("Cancelled. The time is free again.")
    expect(phone.locator("#status")).to_have_text("Cancelled")
    phone.goto(lan_server.lan_url + "booking/")
    phone.fill("#reference", reference.lower())
    phone.locator("button.primary", has_text="Show my booking").tap()
    expect(phone.locator("#reference")).to_have_text(reference)
    _audit(phone)
    phone.context.close()


@pytest.fixture
def config(config: Config) -> Config:
    """web.base_url set to the Pi itself, as an installer might by mistake (lan_server, for
    the phone's journey, clears it: its address is found by itself)."""
    return config.with_changes(web=dataclasses.replace(config.web, base_url="http://localhost:8080/"))


def test_the_kiosk_warns_when_its_qr_codes_would_point_at_itself(live_server, page: Page, db: Database,  # type: ignore[no-untyped-def]
                                                                  clock: ManualClock) -> None:
    with db.write():
        rooms.create_room(db.conn(), rooms.Room(id="hall", name="Main Hall"), clock.now())
    page.set_viewport_size({"width": 800, "height": 480})
    page.goto(live_server.url + "kiosk/")
    warning = page.locator("#phone-problem")
    expect(warning).to_contain_text("Phones cannot open the booking QR codes")
    expect(warning).to_contain_text("QR codes would point at localhost, which on a phone is the phone itself")
    page.goto(live_server.url + "kiosk/book")
    expect(page.locator(".phone-qr")).to_have_count(0)
