"""New booking on the dashboard through the Flask client, logged in: one-off and repeating,
for a person or a group; every clashing date listed, then skipped or moved; the nearest
free slots as buttons; wrong input kept and explained; every save audited."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from csrf_support import csrf_token
from dashboard_support import log_in, make_admin
from flask.testing import FlaskClient

from appliance.booking import bookings, codes, rooms, series
from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.people import register
from appliance.storage import audit
from appliance.storage.db import Database

LONDON = ZoneInfo("Europe/London")
NEW = "/dashboard/manage/bookings/new"


@pytest.fixture
def admin(client: FlaskClient, db: Database, clock: ManualClock) -> FlaskClient:
    make_admin(db, clock.now())
    log_in(client)
    return client


@pytest.fixture
def studio(db: Database, clock: ManualClock) -> rooms.Room:
    with db.write():
        rooms.create_room(db.conn(), rooms.Room(id="hall", name="Main Hall", capacity=80, cleanup_minutes=15), clock.now())
        return rooms.create_room(db.conn(), rooms.Room(id="studio", name="Radio Studio", needs_approval=True), clock.now())


def _post(client: FlaskClient, data: dict, path: str = NEW):  # type: ignore[no-untyped-def]
    return client.post(path, data={**data, "csrf_token": csrf_token(client, NEW)})


def _book(db: Database, config: Config, clock: ManualClock, start: str, end: str, title: str = "Quiz") -> bookings.Booking:
    request = bookings.BookingRequest(room="hall", start=bookings.parse_time(start, config),
                                      end=bookings.parse_time(end, config), title=title, organiser="Al")
    return bookings.book(db.conn(), config, request, clock.now()).booking


def _actions(db: Database) -> list[str]:
    return [e.action for e in reversed(audit.recent(db.conn(), 100)) if e.action not in ("login", "admin_created")]


BASE = {"room": "hall", "start": "2026-03-03T19:00", "end": "2026-03-03T20:00", "title": "Côr y Pentref",
        "group": "Côr y Pentref", "organiser": "Siân Llŷr ap Gwilym", "contact": "07700 900123"}


def test_a_one_off_booking_for_a_person_on_the_register(admin, db, config, clock, studio) -> None:  # type: ignore[no-untyped-def]
    with db.write():
        ada = register.create(db.conn(), clock.now(), name="Ada Lovelace", kind="member", member_number="1987")
    page = admin.get(f"{NEW}?room=studio&start=2026-03-04T10:00&end=2026-03-04T11:00").get_data(as_text=True)
    assert 'value="2026-03-04T10:00"' in page and "Ada Lovelace (1987)" in page
    assert re.search(r'<option value="studio" selected>Radio Studio, needs approval', page)
    reply = _post(admin, {"room": "studio", "start": "2026-03-04T10:00", "end": "2026-03-04T11:00",
                          "title": "Radio show", "person": str(ada.id), "organiser": "", "action": "save"})
    assert reply.status_code == 303, reply.get_data(as_text=True)[:2000]
    made = bookings.pending_approval(db.conn())
    assert made == []  # an admin's booking is confirmed even in a room that needs approval
    booked = admin.get(reply.headers["Location"]).get_data(as_text=True)
    code = re.search(r"cancel code ([A-Z0-9]{6})", booked)
    assert code and "Radio show" in booked
    row = db.conn().execute("SELECT * FROM bookings").fetchone()
    assert (row["person_id"], row["organiser"], row["status"], row["source"]) == (ada.id, "Ada Lovelace", "confirmed", "dashboard")
    assert codes.verify_code(code[1], row["cancel_code_hash"])
    assert _actions(db) == ["booking_created"]


def test_a_clash_keeps_its_case_and_offers_the_nearest_free_slots_as_buttons(admin, db, config, clock, studio) -> None:  # type: ignore[no-untyped-def]
    _book(db, config, clock, "2026-03-03T18:00", "2026-03-03T19:30")
    reply = _post(admin, {**BASE, "action": "save"})
    page = reply.get_data(as_text=True)
    assert reply.status_code == 409
    assert "Main Hall is booked Tue 03 Mar 18:00-19:30" in page  # not "main hall is booked tue 03 mar"
    buttons = re.findall(r'<button type="submit" name="slot" value="([^"]+)" class="slot">Book ([^<]+) instead', page)
    assert [label for _, label in buttons] == ["Tue 3 Mar, 16:45–17:45", "Tue 3 Mar, 19:45–20:45"]  # its 15-minute clean-up
    later = next(value for value, label in buttons if "19:45" in label)
    assert 'value="Côr y Pentref"' in page  # what was typed is kept
    reply = _post(admin, {**BASE, "slot": later})
    assert reply.status_code == 303
    made = db.conn().execute("SELECT start_at FROM bookings WHERE title = 'Côr y Pentref'").fetchall()
    assert [r[0] for r in made] == ["2026-03-03T19:45:00.000Z"]


def test_a_weekly_series_lists_each_clash_then_skips_one_and_moves_another(admin, db, config, clock, studio) -> None:  # type: ignore[no-untyped-def]
    _book(db, config, clock, "2026-03-10T19:30", "2026-03-10T21:00")
    _book(db, config, clock, "2026-03-17T18:30", "2026-03-17T19:30")
    weekly = {**BASE, "repeat": "weekly", "ends": "count", "count": "4"}
    preview = admin.post(f"{NEW}/preview", data={**weekly, "csrf_token": csrf_token(admin, NEW)})
    fragment = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Every week, 4 times: 4 dates, <strong>2 clashes</strong>" in fragment
    assert fragment.count('name="seen"') == 2
    # Saving before seeing the clashes: nothing saved, the dates shown
    reply = _post(admin, {**weekly, "action": "save"})
    assert reply.status_code == 409 and "2 of the 4 dates clash" in reply.get_data(as_text=True)
    assert db.conn().execute("SELECT count(*) FROM booking_series").fetchone()[0] == 0
    page = reply.get_data(as_text=True)
    keys = re.findall(r'name="seen" value="([^"]+)"', page)
    assert keys == ["20260310T1900Z", "20260317T1900Z"]
    moves = re.findall(r'name="move-20260317T1900Z" value="([^"]+\|[^"]+)"', page)
    assert moves, page[:3000]
    reply = _post(admin, {**weekly, "action": "save", "seen": keys, "move-20260310T1900Z": "skip",
                          "move-20260317T1900Z": "custom", "move-20260317T1900Z-start": "2026-03-17T20:00",
                          "move-20260317T1900Z-end": "2026-03-17T21:00"})
    assert reply.status_code == 303, reply.get_data(as_text=True)[:3000]
    made = db.conn().execute("SELECT id FROM booking_series").fetchone()[0]
    got = [b.start.astimezone(LONDON).strftime("%d %H:%M") for b in series.occurrences(db.conn(), made)]
    assert got == ["03 19:00", "17 20:00", "24 19:00"]
    flashed = admin.get(reply.headers["Location"]).get_data(as_text=True)
    assert "Booked 3 dates of Côr y Pentref (every week, 4 times), 1 skipped" in flashed
    assert _actions(db) == ["series_created"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": ""}, "title", "Please give the title."),
        ({"organiser": "", "person": ""}, "organiser", "Who is organising it?"),
        ({"start": "1999-03-03T19:00"}, "start", "Starts: give a date and time"),
        ({"end": "2026-03-03T18:00"}, "end", "Ends must be after the start."),
        ({"repeat": "weekly", "ends": "until", "until": "03/04/2026"}, "until", "is not a date"),
        ({"repeat": "weekly", "ends": "count", "count": "600"}, "count", "at most 520"),
        ({"repeat": "monthly_last"}, "repeat", "is not the last Tuesday"),
        ({"person": "999"}, "person", "There is no current member or volunteer #999"),
        ({"title": "x" * 201}, "title", "keep it to 200"),
        ({"title": "Côr\x00"}, "title", "NUL"),
    ],
)
def test_wrong_input_is_explained_next_to_the_field_and_nothing_is_saved(admin, db, studio, change, field, message) -> None:  # type: ignore[no-untyped-def]
    reply = _post(admin, {**BASE, "ends": "count", "count": "3", **change, "action": "save"})
    page = reply.get_data(as_text=True)
    assert reply.status_code == 400
    error = re.search(rf'id="{field}-error">([^<]+)<', page)
    assert error and message in error[1].replace("&#39;", "'"), page[:2000]
    assert db.conn().execute("SELECT count(*) FROM bookings").fetchone()[0] == 0
