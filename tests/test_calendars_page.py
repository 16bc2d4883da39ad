"""Calendar feeds and .ics import on the dashboard: the private link made, shown once as an
address and a QR code, replaced (the old one stops at once); an import previewed, then
done; a wrong file explained. Feeds are read back with the icalendar library."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import icalendar
import pytest
import segno
from csrf_support import csrf_token
from dashboard_support import log_in, make_admin
from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder

from appliance.booking import bookings, codes, rooms
from appliance.core.clock import ManualClock
from appliance.storage import audit
from appliance.storage.db import Database

PAGE = "/dashboard/manage/calendars"


@pytest.fixture
def admin(client: FlaskClient, db: Database, clock: ManualClock) -> FlaskClient:
    make_admin(db, clock.now())
    log_in(client)
    with db.write():
        rooms.create_room(db.conn(), rooms.Room(id="hall", name="Main Hall"), clock.now())
    return client


def ics(*events: tuple[str, str, str, str]) -> bytes:
    """An .ics file as Google Calendar exports one: (uid, summary, start, end) in UTC."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Google Inc//Google Calendar 70.9054//EN")
    cal.add("version", "2.0")
    for uid, summary, start, end in events:
        event = icalendar.Event()
        event.add("uid", uid)
        event.add("summary", summary)
        event.add("dtstart", datetime.fromisoformat(start).replace(tzinfo=UTC))
        event.add("dtend", datetime.fromisoformat(end).replace(tzinfo=UTC))
        cal.add_component(event)
    return bytes(cal.to_ical())


def _private_url(page: str) -> str:
    found = re.search(r'<code id="private-url">([^<]+)</code>', page)
    assert found, page[:3000]
    return found[1]


def test_the_private_link_is_shown_once_and_replacing_it_stops_the_old_one(admin, db, config, clock) -> None:  # type: ignore[no-untyped-def]
    request = bookings.BookingRequest(room="hall", start=datetime(2026, 3, 3, 19, tzinfo=UTC),
                                      end=datetime(2026, 3, 3, 20, tzinfo=UTC), title="Tenants' committee",
                                      organiser="Siân Llŷr ap Gwilym", contact="07700 900123")
    bookings.book(db.conn(), config, request, clock.now())
    page = admin.get(PAGE).get_data(as_text=True)
    assert "There is no private link yet." in page and "Make the private link" in page
    reply = admin.post(f"{PAGE}/private", data={"csrf_token": csrf_token(admin, PAGE)})
    assert reply.status_code == 303
    shown = admin.get(reply.headers["Location"])
    assert shown.headers["Cache-Control"] == "no-store"
    page = shown.get_data(as_text=True)
    url = _private_url(page)
    # the QR code on the page is the QR code of that address
    expected = segno.make(url, error="m").svg_inline(scale=5, border=2, title="QR code of the private calendar link")
    assert expected in page
    feed = admin.get(urlsplit(url).path)
    assert feed.status_code == 200
    cal = icalendar.Calendar.from_ical(feed.data)
    assert [str(e["summary"]) for e in cal.walk("VEVENT")] == ["Tenants' committee"]
    assert b"07700" not in feed.data
    # shown once: the next visit says when it was made, and not what it is
    again = admin.get(PAGE).get_data(as_text=True)
    assert 'id="private-url"' not in again and "A private link was made on Mon 2 Mar, 09:00" in again
    admin.post(f"{PAGE}/private", data={"csrf_token": csrf_token(admin, PAGE)})
    newer = _private_url(admin.get(PAGE).get_data(as_text=True))
    assert newer != url
    assert admin.get(urlsplit(url).path).status_code == 404
    assert admin.get(urlsplit(newer).path).status_code == 200
    actions = [e.action for e in audit.recent(db.conn(), 10)]
    assert actions.count("calendar_link_made") == 2
    assert all(urlsplit(url).path.split("/")[3] not in e.detail for e in audit.recent(db.conn(), 10))


def test_an_import_is_previewed_then_done(admin, db, config, clock) -> None:  # type: ignore[no-untyped-def]
    request = bookings.BookingRequest(room="hall", start=datetime(2026, 3, 5, 18, tzinfo=UTC),
                                      end=datetime(2026, 3, 5, 20, tzinfo=UTC), title="Quiz", organiser="Al")
    bookings.book(db.conn(), config, request, clock.now())
    data = ics(("a@google.com", "Côr y Pentref", "2026-03-04T19:00", "2026-03-04T20:30"),
               ("b@google.com", "Clashing party", "2026-03-05T19:00", "2026-03-05T21:00"),
               ("c@google.com", "Last week", "2026-02-20T19:00", "2026-02-20T20:00"))
    token = csrf_token(admin, PAGE)
    reply = admin.post(f"{PAGE}/import", data={"csrf_token": token, "room": "hall", "organiser": "Siân Llŷr ap Gwilym",
                                               "action": "preview", "file": (io.BytesIO(data), "hall.ics")},
                       content_type="multipart/form-data")
    page = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert "Wed 4 Mar, 19:00–20:30: Côr y Pentref" in page
    assert "Clashing party" in page[page.index('id="clashes"'):] and "Main Hall is booked Thu 05 Mar 18:00-20:00" in page
    assert "already over" in page.lower()
    assert db.conn().execute("SELECT count(*) FROM bookings").fetchone()[0] == 1  # a dry run books nothing
    carried = re.search(r'name="data" value="([^"]+)"', page)
    assert carried and "Import 1 booking" in page
    reply = admin.post(f"{PAGE}/import", data={"csrf_token": token, "room": "hall", "organiser": "Siân Llŷr ap Gwilym",
                                               "action": "import", "data": carried[1]})
    page = reply.get_data(as_text=True)
    code = re.search(r'One cancel code cancels any of them: <strong>([A-Z0-9]{6})</strong>', page)
    assert reply.status_code == 200 and code
    row = db.conn().execute("SELECT * FROM bookings WHERE title = 'Côr y Pentref'").fetchone()
    assert (row["organiser"], row["source"], row["ical_uid"]) == ("Siân Llŷr ap Gwilym", "import", "a@google.com")
    assert codes.verify_code(code[1], row["cancel_code_hash"])
    # the same file again: everything already imported, nothing booked twice
    reply = admin.post(f"{PAGE}/import", data={"csrf_token": token, "room": "hall", "organiser": "Siân",
                                               "action": "import", "data": carried[1]})
    assert "already imported" in reply.get_data(as_text=True).lower()
    assert db.conn().execute("SELECT count(*) FROM bookings WHERE title = 'Côr y Pentref'").fetchone()[0] == 1
    assert [e.action for e in audit.recent(db.conn(), 10)].count("calendar_imported") == 2


@pytest.mark.parametrize(
    ("data", "fields", "field", "message"),
    [
        (None, {}, "file", "Choose an .ics file"),
        (b"", {}, "file", "Choose an .ics file"),
        (b"%PDF-1.4 not a calendar", {}, "file", "This is not an iCalendar (.ics) file"),
        (b"BEGIN:VCALENDAR\r\n" + b"X" * (1024 * 1024), {}, "file", "larger than 1024 KB"),
        (ics(("x", "A", "2026-03-04T19:00", "2026-03-04T20:00")), {"organiser": ""}, "organiser", "Please give the organiser"),
        (ics(("x", "A", "2026-03-04T19:00", "2026-03-04T20:00")), {"room": "nope"}, "room", "Choose the room"),
        (None, {"data": "!!not base64!!"}, "file", "could not be read back"),
    ],
)
def test_a_wrong_file_or_field_is_explained(admin, db, data, fields, field, message) -> None:  # type: ignore[no-untyped-def]
    form = {"csrf_token": csrf_token(admin, PAGE), "room": "hall", "organiser": "Al", "action": "preview", **fields}
    if data is not None:
        form["file"] = (io.BytesIO(data), "calendar.ics")
    # built by hand so the request body, spooled to a temporary file when large, is closed afterwards
    environ = EnvironBuilder(path=f"{PAGE}/import", method="POST", data=form, content_type="multipart/form-data").get_environ()
    try:
        reply = admin.open(environ)
    finally:
        environ["wsgi.input"].close()
    page = reply.get_data(as_text=True)
    assert reply.status_code == 400
    error = re.search(rf'id="{field}-error">([^<]+)<', page)
    assert error and message in error[1], page[:3000]
    assert db.conn().execute("SELECT count(*) FROM bookings").fetchone()[0] == 0


def test_an_event_outside_the_years_is_skipped_with_its_reason(admin, db) -> None:  # type: ignore[no-untyped-def]
    data = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:far\r\nSUMMARY:Far away\r\n"
            b"DTSTART:99990303T190000Z\r\nDTEND:99990303T200000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    reply = admin.post(f"{PAGE}/import", data={"csrf_token": csrf_token(admin, PAGE), "room": "hall", "organiser": "Al",
                                               "action": "preview", "file": (io.BytesIO(data), "far.ics")},
                       content_type="multipart/form-data")
    page = reply.get_data(as_text=True)
    assert reply.status_code == 200 and "outside 2000-2100" in page
    assert "Nothing." in page[page.index('id="will-book"'):]
