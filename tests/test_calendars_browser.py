"""Item 2 of issue 16 as the volunteer who runs bookings does it, in real Chromium at
1280x800: from Bookings to Calendar feeds and import, make the private link (its address
and QR code shown once), subscribe with it (read back with icalendar), replace it (the
old one stops), then import a Google Calendar export: see what would be booked and what
clashes, and import."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import icalendar
import pytest
from dashboard_support import PASSWORD, make_admin
from playwright.sync_api import Page, expect
from test_calendars_page import ics

from appliance.booking import bookings, rooms
from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.storage.db import Database

pytestmark = pytest.mark.browser


def _local(url: str, live: str) -> str:
    """A link made for phones on the hall's network, fetched here on the test server."""
    return live.rstrip("/") + urlsplit(url).path


def test_private_link_and_an_import(live_server, page: Page, db: Database, config: Config, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    make_admin(db, clock.now())
    with db.write():
        rooms.create_room(db.conn(), rooms.Room(id="hall", name="Main Hall", cleanup_minutes=15), clock.now())
    quiz = bookings.BookingRequest(room="hall", start=datetime(2026, 3, 5, 18, tzinfo=UTC), end=datetime(2026, 3, 5, 20, tzinfo=UTC),
                                   title="Quiz night", organiser="Al", contact="al@example.org")
    bookings.book(db.conn(), config, quiz, clock.now())
    base = live_server.url
    page.goto(base + "dashboard/manage/bookings")
    page.fill("#name", "alice")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.click("#calendars-link")
    expect(page.locator("h1")).to_have_text("Calendar feeds and import")
    expect(page.locator("#feeds-h + p")).to_contain_text("Google Calendar cannot subscribe")
    # this test server listens on loopback only, and the page says what that means for phones
    expect(page.locator("#lan-problem")).to_contain_text("web.host")

    expect(page.locator("#private-state")).to_have_text("There is no private link yet.")
    page.click("#make-link")
    link = page.locator("#private-url").inner_text()
    expect(page.locator("#private-link svg")).to_be_visible()
    feed = page.request.get(_local(link, base))
    assert feed.status == 200
    titles = [str(e["summary"]) for e in icalendar.Calendar.from_ical(feed.body()).walk("VEVENT")]
    assert titles == ["Quiz night"]
    assert b"al@example.org" not in feed.body()
    page.reload()
    expect(page.locator("#private-url")).to_have_count(0)
    expect(page.locator("#private-state")).to_contain_text("A private link was made on Mon 2 Mar, 09:00")
    page.click("#make-link")
    newer = page.locator("#private-url").inner_text()
    assert newer != link
    assert page.request.get(_local(link, base)).status == 404
    assert page.request.get(_local(newer, base)).status == 200

    export = ics(("choir@google.com", "Côr y Pentref", "2026-03-04T19:00", "2026-03-04T20:30"),
                 ("party@google.com", "Birthday party", "2026-03-05T19:00", "2026-03-05T21:00"))
    page.set_input_files("#file", files=[{"name": "hall.ics", "mimeType": "text/calendar", "buffer": export}])
    page.select_option("#import-room", "hall")
    page.fill("#organiser", "Siân Llŷr ap Gwilym")
    page.click("#import-preview")
    expect(page.locator("#will-book")).to_contain_text("Wed 4 Mar, 19:00–20:30: Côr y Pentref")
    expect(page.locator("#clashes")).to_contain_text("Birthday party")
    expect(page.locator("#clashes")).to_contain_text("Main Hall is booked Thu 05 Mar 18:00-20:00")
    assert db.conn().execute("SELECT count(*) FROM bookings").fetchone()[0] == 1
    page.click("#import-now")
    expect(page.locator("#import-code")).to_contain_text("One cancel code cancels any of them")
    expect(page.locator("#imported")).to_be_visible()
    row = db.conn().execute("SELECT organiser, source FROM bookings WHERE title = 'Côr y Pentref'").fetchone()
    assert tuple(row) == ("Siân Llŷr ap Gwilym", "import")
    public = page.request.get(base + "calendar/hall.ics")
    # both are private (the export said nothing else): the public feed says "Booked"
    assert [str(e["summary"]) for e in icalendar.Calendar.from_ical(public.body()).walk("VEVENT")] == ["Booked", "Booked"]
