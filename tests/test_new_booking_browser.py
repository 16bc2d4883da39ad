"""Item 1 of issue 16 as a hall manager does it, in real Chromium at 1280x800: the week
grid of a room, a free slot clicked, the New booking form filled in for a choir that meets
every week, the live preview listing the one date that clashes, that date moved to the
nearest free time, saved, and the week grid showing the booking."""

from __future__ import annotations

import re

import pytest
from dashboard_support import PASSWORD, make_admin
from playwright.sync_api import Page, expect

from appliance.booking import bookings, rooms, series
from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.people import register
from appliance.storage.db import Database

pytestmark = pytest.mark.browser


def _log_in(page: Page, url: str) -> None:
    page.goto(url)
    page.fill("#name", "alice")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def test_book_a_weekly_choir_from_the_week_grid(live_server, page: Page, db: Database, config: Config,  # type: ignore[no-untyped-def]
                                                 clock: ManualClock) -> None:
    make_admin(db, clock.now())
    with db.write():
        rooms.create_room(db.conn(), rooms.Room(id="hall", name="Main Hall", capacity=120, cleanup_minutes=15), clock.now())
        sian = register.create(db.conn(), clock.now(), name="Siân Llŷr ap Gwilym", kind="member", member_number="1987")
    quiz = bookings.BookingRequest(room="hall", start=bookings.parse_time("2026-03-17T18:00", config),
                                   end=bookings.parse_time("2026-03-17T19:30", config), title="Quiz night", organiser="Al")
    bookings.book(db.conn(), config, quiz, clock.now())
    base = live_server.url
    _log_in(page, base + "dashboard/manage/bookings")
    page.click("#week-link")
    expect(page.locator("h1")).to_have_text("Main Hall: week of Mon 2 Mar 2026")
    # Tuesday 3 March, 19:00: a free cell of the grid
    page.click('a[aria-label="Book Main Hall, Tue 3 Mar, 19:00"]')
    expect(page.locator("h1")).to_have_text("New booking")
    expect(page.locator("#room")).to_have_value("hall")
    expect(page.locator("#start")).to_have_value("2026-03-03T19:00")
    expect(page.locator("#end")).to_have_value("2026-03-03T20:00")
    expect(page.locator("#preview-free")).to_contain_text("Tue 3 Mar, 19:00–20:00 is free")

    page.fill("#title", "Côr y Pentref")
    page.select_option("#person", label="Siân Llŷr ap Gwilym (1987)")
    page.fill("#group", "Côr y Pentref")
    page.select_option("#repeat", "weekly")
    expect(page.locator("#ends")).to_be_visible()
    page.fill("#count", "4")
    # the live preview: four Tuesdays, the third clashes with the quiz (and its clean-up)
    summary = page.locator("#preview-summary")
    expect(summary).to_contain_text("Every week, 4 times: 4 dates, 1 clash")
    clash = page.locator("#date-20260317T1900Z")
    expect(clash).to_contain_text("Main Hall is booked Tue 17 Mar 18:00-19:30")
    expect(page.locator("#date-20260310T1900Z")).to_contain_text("Free")
    page.get_by_label(re.compile(r"Move to Tue 17 Mar, 19:45–20:45")).check()
    page.click("#save-booking")

    expect(page.locator("#flash")).to_contain_text("Booked 4 dates of Côr y Pentref (every week, 4 times). Cancel code")
    expect(page.locator("h1")).to_have_text("Main Hall: week of Mon 2 Mar 2026")
    cell = page.locator("td.booked", has_text="Côr y Pentref")
    expect(cell).to_contain_text("19:00–20:00")
    page.click("#next-week")
    page.click("#next-week")
    expect(page.locator("td.booked", has_text="Côr y Pentref")).to_contain_text("19:45–20:45")
    expect(page.locator("td.booked", has_text="Quiz night")).to_contain_text("18:00–19:30")

    made = db.conn().execute("SELECT id FROM booking_series").fetchone()[0]
    occurrences = series.occurrences(db.conn(), made)
    assert [b.person_id for b in occurrences] == [sian.id] * 4
    assert {b.group for b in occurrences} == {"Côr y Pentref"}
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
