"""Item 4 of issue 16 in real Chromium: the kiosk's room tiles say how many people a room
holds and whether it needs approval, and the day buttons say the weekday (800x480, in
English and Welsh); on the dashboard (1280x800) a clash keeps its capitals and offers the
nearest free times as buttons, and pressing one moves the booking there."""

from __future__ import annotations

import pytest
from dashboard_support import PASSWORD, make_admin
from playwright.sync_api import Page, expect

from appliance.booking import bookings, rooms
from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.storage.db import Database

pytestmark = pytest.mark.browser


def test_room_tiles_and_day_buttons_on_the_kiosk(live_server, page: Page, db: Database, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    with db.write():
        rooms.create_room(db.conn(), rooms.Room(id="hall", name="Main Hall", capacity=120), clock.now())
        rooms.create_room(db.conn(), rooms.Room(id="studio", name="Radio Studio", capacity=6, needs_approval=True), clock.now())
    page.set_viewport_size({"width": 800, "height": 480})
    page.goto(live_server.url + "kiosk/book")
    hall = page.locator("a.tile", has_text="Main Hall")
    expect(hall).to_contain_text("Up to 120 people")
    expect(hall).not_to_contain_text("Needs approval")
    expect(page.locator("a.tile", has_text="Radio Studio")).to_contain_text("Needs approval")
    hall.tap()
    days = page.locator("nav ul.slots a")
    expect(days.first).to_have_text("Today")
    expect(days.nth(1)).to_have_text("Tue 3/3")
    expect(days.nth(6)).to_have_text("Sun 8/3")
    page.locator("button[lang=cy]").tap()
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    expect(page.locator("nav ul.slots a").nth(1)).to_have_text("Maw 3/3")
    page.goto(live_server.url + "kiosk/book")
    expect(page.locator("a.tile", has_text="Radio Studio")).to_contain_text("Hyd at 6 o bobl")
    expect(page.locator("a.tile", has_text="Radio Studio")).to_contain_text("Angen cymeradwyaeth")
    assert page.evaluate("document.documentElement.scrollWidth") <= 800


def test_a_clash_on_the_dashboard_offers_the_nearest_free_times(live_server, page: Page, db: Database,  # type: ignore[no-untyped-def]
                                                                 config: Config, clock: ManualClock) -> None:
    make_admin(db, clock.now())
    with db.write():
        rooms.create_room(db.conn(), rooms.Room(id="hall", name="Main Hall", cleanup_minutes=15), clock.now())

    def book(start: str, end: str, title: str) -> bookings.Booking:
        request = bookings.BookingRequest(room="hall", start=bookings.parse_time(start, config),
                                          end=bookings.parse_time(end, config), title=title, organiser="Al")
        return bookings.book(db.conn(), config, request, clock.now()).booking

    book("2026-03-03T18:00", "2026-03-03T19:30", "Quiz night")
    choir = book("2026-03-03T10:00", "2026-03-03T11:00", "Côr y Pentref")
    page.goto(live_server.url + f"dashboard/manage/bookings/{choir.id}/edit")
    page.fill("#name", "alice")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.fill("#start", "2026-03-03T19:00")
    page.fill("#end", "2026-03-03T20:00")
    page.click("text=Save booking")
    expect(page.locator("#start-error")).to_have_text(
        "Main Hall is booked Tue 03 Mar 18:00-19:30 (with set-up and clean-up time); try one of the nearest free slots.")
    buttons = page.locator("#nearest button")
    expect(buttons).to_have_text(["Move to Tue 3 Mar, 16:45–17:45", "Move to Tue 3 Mar, 19:45–20:45"])
    buttons.nth(1).click()
    expect(page.locator("p.notice")).to_contain_text(f"Booking {choir.reference} saved.")
    moved = bookings.get_booking(db.conn(), choir.id)
    assert moved.start.astimezone(config.site.zone).strftime("%H:%M") == "19:45"
    assert moved.title == "Côr y Pentref"
