"""Erasing a person touches only that person's rows, found by key (issue 14.1).

A person whose name, contact or member number happens to equal a year, a date, a room id,
the site id, a run of digits inside an event's UUID or a word of someone else's booking
title is erased through the dashboard, as an admin would; then every row that is not
theirs must be byte-for-byte what it was, the file passes ``PRAGMA integrity_check``,
the pages that read every table still answer, and the agent still handles fob reads.
"""

from __future__ import annotations

import re
import sqlite3
import time
from datetime import timedelta
from typing import Any

import pytest
from csrf_support import csrf_token
from dashboard_support import log_in, make_admin, record
from gpiozero.pins.mock import MockFactory

from appliance.booking import bookings
from appliance.core.clock import ManualClock, iso
from appliance.core.config import Config
from appliance.core.events import DoorClosed, DoorOpened, FobRead, Passed
from appliance.people import register, visits
from appliance.privacy import holdings, requests
from appliance.storage import audit, state
from appliance.storage.db import Database, transaction
from doorstep.agent import Agent
from doorstep.seed import seed_bookings, seed_demo

GRACE_CARD = "card-hash-of-grace"


def _rows(conn: sqlite3.Connection) -> dict[str, dict[tuple[Any, ...], tuple[Any, ...]]]:
    """Every row of every table, keyed by its primary key (or rowid), values as stored."""
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    found: dict[str, dict[tuple[Any, ...], tuple[Any, ...]]] = {}
    for table in tables:
        keys = [r[1] for r in sorted(conn.execute(f'PRAGMA table_info("{table}")'), key=lambda r: r[5]) if r[5]]
        key_sql = ", ".join(f'"{k}"' for k in keys) if keys else "rowid"
        found[table] = {
            tuple(row[:len(keys) or 1]): tuple(row[len(keys) or 1:])
            for row in conn.execute(f'SELECT {key_sql}, * FROM "{table}"')
        }
    return found


def _digits_inside_a_uuid(conn: sqlite3.Connection) -> str:
    for (event_id,) in conn.execute("SELECT id FROM sensor_events"):
        run = re.search(r"\d{4,}", event_id)
        if run:
            return run.group(0)
    pytest.fail("no event id with four digits in a row; record more events")


@pytest.fixture
def hall(db: Database, config: Config, clock: ManualClock) -> dict[str, Any]:
    """A month-old hall: rooms, members, bookings (one titled "Hall party"), sensor events
    with UUIDs, visits, an audit log and state, with times that all contain "2026"."""
    seed_demo(db)
    seed_bookings(db, config)
    conn = db.conn()
    now = clock.now()
    with transaction(conn):
        grace = register.by_member_number(conn, "M002")
        assert grace is not None
        register.assign_card(conn, grace.id, GRACE_CARD)
        visits.sign_in(conn, config, now, kind="volunteer", person_id=grace.id, activity="Cafe")
        visits.sign_in(conn, config, now, kind="visitor", name="Pat Passer-By", visiting="the Main Hall")
        audit.record(conn, "alice", "settings_changed", "site.name: Hall -> Main Hall 2026", now)
        state.put(conn, "notes/caretaker", {"text": "Main Hall key with 2026 rota"}, "2026-03-02T09:00:00.000Z")
    start = (now + timedelta(days=2)).replace(hour=11, minute=0)
    for title in ("Hall party", "Main event 2026"):
        bookings.book(conn, config, bookings.BookingRequest(
            room="green-room", start=start, end=start + timedelta(hours=1), title=title,
            organiser="Someone Else", contact="someone@example.org", public=True), now)
        start += timedelta(hours=2)
    record(db, config, clock, *[
        event for n in range(12) for event in (
            DoorOpened(door="front", at=now + timedelta(seconds=n)),
            DoorClosed(door="front", at=now + timedelta(seconds=n, milliseconds=500)),
            Passed(beam="entrance", direction="in", at=now + timedelta(seconds=n)),
        )
    ])
    return {"grace": grace.id, "uuid_digits": _digits_inside_a_uuid(conn)}


VICTIMS = {
    "member number is a year": {"name": "Victor Example", "member_number": "2026", "contact": ""},
    "contact is a date in every timestamp": {"name": "Siân Llŷr ap Gwilym", "member_number": "M777",
                                             "contact": "2026-03-02"},
    "name is a word of a booking title": {"name": "Hall", "member_number": "", "contact": "main-hall"},
    "name is the other word": {"name": "Main", "member_number": "M1", "contact": "community-hall"},
    "member number is inside a uuid": {"name": "Uma Uuid", "member_number": "<uuid>", "contact": "Main Hall"},
}


@pytest.mark.parametrize("who", list(VICTIMS))
def test_erasing_a_person_changes_only_their_rows(
    who: str, hall: dict[str, Any], db: Database, config: Config, clock: ManualClock, app, client,
    mock_pins: MockFactory,
) -> None:  # type: ignore[no-untyped-def]
    details = dict(VICTIMS[who])
    if details["member_number"] == "<uuid>":
        details["member_number"] = hall["uuid_digits"]
    conn = db.conn()
    now = clock.now()
    with transaction(conn):
        victim = register.create(conn, now, name=details["name"], kind="member",
                                 member_number=details["member_number"] or None, contact=details["contact"])
        register.assign_card(conn, victim.id, "card-hash-of-the-victim")
        visits.sign_in(conn, config, now - timedelta(days=1), kind="member", person_id=victim.id)
    start = (now + timedelta(days=3)).replace(hour=15, minute=0)
    theirs = bookings.book(conn, config, bookings.BookingRequest(
        room="main-hall", start=start, end=start + timedelta(hours=1), title=f"{details['name']}'s party",
        organiser=details["name"], contact=details["contact"], person_id=victim.id), now).booking
    before = _rows(conn)
    their_visits = {(r[0],) for r in conn.execute("SELECT id FROM visits WHERE person_id = ?", (victim.id,))}

    make_admin(db, now)
    log_in(client)
    page = f"/dashboard/manage/privacy/people/{victim.id}"
    response = client.post(f"{page}/erase", data={"confirm_name": details["name"], "csrf_token": csrf_token(client, page)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]

    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    after = _rows(conn)
    theirs_by_table = {"people": {(victim.id,)}, "visits": their_visits, "bookings": {(theirs.id,)}}
    for table, rows in before.items():
        for key, values in rows.items():
            if key in theirs_by_table.get(table, set()):
                continue
            if table == "admins":  # the admin's login (last login time) is not the erase's doing
                continue
            assert after[table].get(key) == values, f"{table} row {key} changed: {values} -> {after[table].get(key)}"
    # their own rows lost what identified them, nothing else
    assert (victim.id,) not in after["people"]
    booking_after = conn.execute("SELECT organiser, contact, person_id, title, start_at FROM bookings WHERE id = ?",
                                 (theirs.id,)).fetchone()
    assert tuple(booking_after)[:3] == ("", "", None)
    assert details["name"] not in booking_after["title"] and booking_after["start_at"] == iso(theirs.start)
    for (visit_id,) in their_visits:
        visit = conn.execute("SELECT person_id, name, signed_in_at FROM visits WHERE id = ?", (visit_id,)).fetchone()
        assert visit["person_id"] is None and visit["name"] is None and visit["signed_in_at"].startswith("2026-03-01")

    for path in ("/dashboard/rollcall", "/kiosk/whatson", "/calendar/all.ics", "/dashboard/", "/status.json"):
        assert client.get(path).status_code == 200, path

    # A tap a few minutes after she came in (a second tap within a minute changes nothing).
    clock.advance(minutes=5)
    agent = Agent(config, clock=clock, pin_factory=mock_pins)
    agent.start()
    try:
        agent.recorder.submit(FobRead(reader="desk", card_hash=GRACE_CARD, at=clock.now()))
        deadline = time.monotonic() + 10
        while visits.open_visit_of(db.conn(), hall["grace"]) is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert visits.open_visit_of(db.conn(), hall["grace"]) is None, "the agent did not handle Grace's fob tap"
    finally:
        agent.stop()


def test_erase_report_lists_name_only_matches_and_leaves_them_alone(
    db: Database, config: Config, clock: ManualClock
) -> None:
    """A booking under the same name but not linked to the person is someone else's until an
    admin confirms it: listed, never touched by the erase itself."""
    seed_demo(db)
    conn = db.conn()
    now = clock.now()
    with transaction(conn):
        ada = register.by_member_number(conn, "M001")
        assert ada is not None
    start = (now + timedelta(days=1)).replace(hour=10, minute=0)
    other = bookings.book(conn, config, bookings.BookingRequest(
        room="main-hall", start=start, end=start + timedelta(hours=1), title="Ada Lovelace's talk",
        organiser="ada lovelace", public=True), now).booking
    found = holdings.holdings(conn, ada.id)
    assert [b.id for b in found.name_only_bookings] == [other.id]
    with transaction(conn):
        result = requests.erase(conn, ada.id, now)
    row = conn.execute("SELECT organiser, title FROM bookings WHERE id = ?", (other.id,)).fetchone()
    assert tuple(row) == ("ada lovelace", "Ada Lovelace's talk")
    assert "bookings" not in result.rows
