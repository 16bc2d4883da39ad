"""iCalendar feeds and import: round trip, "Booked" for private titles, token feeds, dry run."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar

from appliance.booking import bookings, calendars
from appliance.booking.bookings import BookingRequest
from appliance.booking.rooms import Room, create_room


def _setup(db, config, clock):  # type: ignore[no-untyped-def]
    conn = db.conn()
    for rid in ("hall", "empty"):
        create_room(conn, Room(id=rid, name=rid.title()), clock.now())
    for hour, title, public in ((10, "Tai chi", True), (14, "Private party", False)):
        start = datetime(2026, 3, 3, hour, 0, tzinfo=UTC)
        bookings.book(conn, config, BookingRequest(room="hall", start=start, end=start.replace(hour=hour + 2),
                                                   title=title, organiser="Ada", contact="ada@example.org", public=public), clock.now())


def _events(data: bytes) -> list[tuple[str, datetime, datetime]]:
    cal = icalendar.Calendar.from_ical(data)
    return [(str(e["summary"]), e.decoded("dtstart"), e.decoded("dtend")) for e in cal.walk("VEVENT")]


def test_export_import_round_trip(db, config, clock):
    _setup(db, config, clock)
    conn = db.conn()
    exported = calendars.feed(conn, config, clock.now(), "hall", private=True)
    events = _events(exported)
    assert [e[0] for e in events] == ["Tai chi", "Private party"]
    assert b"ada@example.org" not in exported
    dry = calendars.import_ics(conn, config, "empty", exported, "Importer", clock.now(), dry_run=True)
    assert len(dry.booked) == 2 and dry.conflicts == [] and dry.cancel_code is None
    assert conn.execute("SELECT COUNT(*) FROM bookings WHERE room_id = 'empty'").fetchone()[0] == 0
    done = calendars.import_ics(conn, config, "empty", exported, "Importer", clock.now(), dry_run=False)
    assert len(done.booked) == 2 and done.cancel_code
    again = calendars.feed(conn, config, clock.now(), "empty", private=True)
    assert [(t, s, e) for t, s, e in _events(again)] == events
    assert [s["reason"] for s in calendars.import_ics(conn, config, "empty", exported, "x", clock.now()).skipped] == ["already imported"] * 2
    # The same events under other UIDs clash with the hall's bookings: listed first by the dry run.
    other = exported.replace(b"@community-hall", b"@elsewhere")
    clash = calendars.import_ics(conn, config, "hall", other, "Importer", clock.now(), dry_run=True)
    assert len(clash.conflicts) == 2 and clash.booked == []


def test_public_feeds_say_booked_and_private_ones_need_the_token(client, db, config, clock):
    _setup(db, config, clock)
    public = client.get("/calendar/all.ics")
    assert public.status_code == 200 and public.mimetype == "text/calendar"
    assert [e[0] for e in _events(public.data)] == ["Tai chi", "Booked"]
    assert b"Private party" not in client.get("/calendar/hall.ics").data
    assert client.get("/calendar/nope.ics").status_code == 404
    with db.write():
        old = calendars.rotate_calendar_token(db.conn(), clock.now())
    assert b"Private party" in client.get(f"/calendar/private/{old}/hall.ics").data
    with db.write():
        new = calendars.rotate_calendar_token(db.conn(), clock.now())
    assert client.get(f"/calendar/private/{old}/all.ics").status_code == 404
    assert client.get(f"/calendar/private/{new}/all.ics").status_code == 200


def test_bad_files_and_skipped_events(db, config, clock):
    _setup(db, config, clock)
    import pytest

    with pytest.raises(calendars.CalendarError, match="not an iCalendar"):
        calendars.import_ics(db.conn(), config, "empty", b"hello", "x", clock.now())
    text = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
            b"BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Old\r\nDTSTART:20250101T100000Z\r\nDTEND:20250101T110000Z\r\nEND:VEVENT\r\n"
            b"BEGIN:VEVENT\r\nUID:b\r\nSUMMARY:Weekly\r\nDTSTART:20260310T100000Z\r\nDTEND:20260310T110000Z\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n"
            b"END:VCALENDAR\r\n")
    report = calendars.import_ics(db.conn(), config, "empty", text, "x", clock.now())
    assert [s["reason"] for s in report.skipped] == ["already over", "recurring events are not imported: add them as a recurring booking"]


def test_private_rooms_are_not_in_the_public_feeds(client, db, config, clock):  # type: ignore[no-untyped-def]
    """Issue 14.10: MQTT already clears a private room; the public calendars leave it out too
    (its feed is a 404, and all.ics has none of its bookings). The token feeds keep it."""
    import icalendar as ical

    from appliance.booking import calendars as cals
    from appliance.booking.bookings import BookingRequest, book, parse_time
    from appliance.booking.rooms import Room, create_room

    with db.write():
        create_room(db.conn(), Room(id="hall", name="Main Hall"), clock.now())
        create_room(db.conn(), Room(id="studio", name="Radio Studio", public=False), clock.now())
    for room in ("hall", "studio"):
        book(db.conn(), config, BookingRequest(room=room, start=parse_time("2026-03-02T18:00", config),
                                               end=parse_time("2026-03-02T19:00", config), title="Show", organiser="Sam",
                                               public=True), clock.now())
    assert client.get("/calendar/studio.ics").status_code == 404
    assert client.get("/calendar/hall.ics").status_code == 200
    site = ical.Calendar.from_ical(client.get("/calendar/all.ics").data)
    assert [str(e["location"]) for e in site.walk("VEVENT")] == ["Main Hall"]
    with db.write():
        token = cals.rotate_calendar_token(db.conn(), clock.now())
    private = ical.Calendar.from_ical(client.get(f"/calendar/private/{token}/all.ics").data)
    assert sorted(str(e["location"]) for e in private.walk("VEVENT")) == ["Main Hall", "Radio Studio"]
    assert client.get(f"/calendar/private/{token}/studio.ics").status_code == 200
