"""Publishing is the write path's job, not the domain's: each role's database runs the
derived-topic refresh just before COMMIT in every transaction that changed a table a
derived topic reads (appliance.storage.db CommitHook, appliance.publishing.derived)."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator
from datetime import timedelta

import pytest
from mqttkit import role_database

from appliance.booking import bookings
from appliance.booking.rooms import Room, create_room, update_room
from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.core.events import DoorOpened
from appliance.people import register, visits
from appliance.privacy import requests
from appliance.publishing import derived
from appliance.sensing.recorder import Recorder
from appliance.storage import settings
from appliance.storage.db import CommitHook, Database, connect
from doorstep.agent import RULES

PREFIX = "doorstep/community-hall/"


@pytest.fixture
def cfg(config: Config) -> Config:
    return config.with_changes(mqtt=dataclasses.replace(config.mqtt, enabled=True, discovery=False))


@pytest.fixture
def role(cfg: Config, clock: ManualClock) -> Iterator[Database]:
    db = role_database(cfg, clock)
    with db.write() as conn:
        create_room(conn, Room(id="main-hall", name="Main Hall"), clock.now())
    yield db
    db.close()


def _derived_rows(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT topic FROM outbox ORDER BY id").fetchall()
    return [r[0].removeprefix(PREFIX) for r in rows if not r[0].endswith(("/events",))]


def _clear(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM outbox")


def test_the_tables_the_derived_topics_read_are_the_tables_watched(
    role: Database, cfg: Config, clock: ManualClock
) -> None:
    """Ask SQLite which tables working out the derived topics reads: each must be watched,
    or be one of the two kept out on purpose (READS' comment says why)."""
    read: set[str] = set()

    def authorizer(action: int, table: str | None, *_: object) -> int:
        if action == sqlite3.SQLITE_READ and table:
            read.add(table)
        return sqlite3.SQLITE_OK

    conn = role.conn()
    conn.set_authorizer(authorizer)
    try:
        derived._changes(conn, dataclasses.replace(cfg, mqtt=dataclasses.replace(cfg.mqtt, discovery=True)), clock.now())
    finally:
        conn.set_authorizer(None)
    assert read, "the authorizer saw no read at all"
    # state: the beams' count (own topic) and the fingerprints refresh itself writes.
    assert read - set(derived.READS) <= {"state"}, read
    assert set(derived.READS) <= read | {"settings"}  # settings is read only when it has rows


@pytest.mark.parametrize("table", derived.READS)
def test_a_change_to_each_watched_table_refreshes_in_the_same_transaction(
    role: Database, cfg: Config, clock: ManualClock, table: str
) -> None:
    conn = role.conn()
    if table in ("shift_exceptions", "shift_signups"):
        with role.write():  # a shift with a place open next Friday, and a volunteer, published before
            conn.execute("INSERT INTO shifts (id, activity, rrule, dtstart_local, duration_minutes, needs, created_at,"
                         " updated_at) VALUES (90, 'Reception', 'FREQ=WEEKLY;BYDAY=FR', '2026-03-02T18:00', 120, 2,"
                         " 'x', 'x')")
            conn.execute("INSERT INTO people (id, name, kind, created_at) VALUES (90, 'Siân', 'volunteer', 'x')")
    with role.write():
        _clear(conn)
    # Something a derived topic shows, changed by hand in that table alone.
    changes = {
        "rooms": "UPDATE rooms SET name = 'Great Hall' WHERE id = 'main-hall'",
        "bookings": None,
        "visits": None,
        "settings": "INSERT INTO settings (key, value, updated_at) VALUES ('config:site.name', '\"Neuadd\"', 'x')",
        # A shift next Friday with nobody on it yet: rota/uncovered lists it.
        "shifts": "INSERT INTO shifts (activity, rrule, dtstart_local, duration_minutes, needs, created_at, updated_at)"
                  " VALUES ('Reception', 'FREQ=WEEKLY;BYDAY=FR', '2026-03-02T18:00', 120, 2, 'x', 'x')",
        "shift_exceptions": None,
        "shift_signups": None,
        # A ballot that has closed: its result goes out as decisions/<id>.
        "decisions": "INSERT INTO decisions (title, kind, options, electorate, opens_at, closes_at, salt, closed_at,"
                     " created_at, updated_at) VALUES ('Boiler', 'proposal', '[\"Yes\",\"No\",\"Abstain\"]',"
                     " 'members', '2026-03-01T09:00:00.000Z', '2026-03-02T08:00:00.000Z', '00', "
                     "'2026-03-02T08:00:00.000Z', 'x', 'x')",
    }
    other = connect(cfg.database.path)
    try:
        with role.write():
            if table == "bookings":
                conn.execute(
                    "INSERT INTO bookings (reference, room_id, start_at, end_at, block_start_at, block_end_at,"
                    " title, public, organiser, contact, status, cancel_code_hash, created_at, updated_at)"
                    " VALUES ('AAAAAA', 'main-hall', ?, ?, ?, ?, 'Choir', 1, 'x', '', 'confirmed', 'x', 'x', 'x')",
                    (_at(clock, 0), _at(clock, 2), _at(clock, 0), _at(clock, 2)),
                )
            elif table in ("shift_exceptions", "shift_signups"):
                _rota_change(conn, table)
            elif table == "visits":
                conn.execute(
                    "INSERT INTO visits (name, kind, visiting, activity, source, signed_in_at)"
                    " VALUES ('Vera', 'visitor', '', '', 'kiosk', ?)", (_at(clock, 0),)
                )
            else:
                conn.execute(changes[table])
            # Inside the transaction: nothing queued yet, and another connection sees nothing.
            assert _derived_rows(conn) == []
            assert other.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
        queued = _derived_rows(conn)
    finally:
        other.close()
    assert queued, f"a change to {table} queued no derived topic"
    assert {"status", "rooms/main-hall", "visits", "rota/uncovered", "decisions/1"} & set(queued)



def _rota_change(conn: sqlite3.Connection, table: str) -> None:
    """A date left out of, or taken on, the shift made before the test's transaction."""
    if table == "shift_exceptions":
        conn.execute("INSERT INTO shift_exceptions (shift_id, day, kind, created_at) VALUES (90, '2026-03-06', 'cancelled', 'x')")
    else:
        conn.execute("INSERT INTO shift_signups (shift_id, day, person_id, source, created_at)"
                     " VALUES (90, '2026-03-06', 90, 'kiosk', 'x')")

def _at(clock: ManualClock, hours: int) -> str:
    from appliance.core.clock import iso

    return iso(clock.now() + timedelta(hours=hours))


def test_a_transaction_that_touches_no_watched_table_does_not_refresh(
    role: Database, cfg: Config, clock: ManualClock
) -> None:
    conn = role.conn()
    with role.write():
        _clear(conn)
    Recorder(role, cfg, clock, RULES).write([DoorOpened(door="front", at=clock.advance(1))])
    assert _derived_rows(conn) == ["door/front"]  # the door and its event, no status refresh


def test_rooms_settings_and_privacy_changes_publish_at_once(
    role: Database, cfg: Config, clock: ManualClock
) -> None:
    """Before: only the 5-second job noticed these (they never called refresh)."""
    conn = role.conn()
    with role.write():
        _clear(conn)
        create_room(conn, Room(id="green-room", name="Green Room"), clock.now())
    assert "rooms/green-room" in _derived_rows(conn)

    with role.write():
        _clear(conn)
        update_room(conn, "green-room", public=False)
    assert _derived_rows(conn) == ["rooms/green-room"]  # cleared: a private room is not published
    assert conn.execute("SELECT payload FROM outbox").fetchone()[0] == ""

    with role.write():
        _clear(conn)
        settings.save(conn, cfg, {"site.name": "Neuadd y Pentref"}, "2026-03-02T09:00:00.000Z")
    assert "status" in _derived_rows(conn)


def test_an_erase_runs_the_refresh_in_its_transaction(cfg: Config, clock: ManualClock) -> None:
    """An erase changes no count (visits are anonymised, not removed), so it may queue
    nothing; what matters is that the refresh looked, in the erase's own transaction."""
    calls: list[int] = []
    db = Database(cfg.database.path, clock, hook=CommitHook(derived.READS, lambda conn: calls.append(1)))
    db.migrate()
    conn = db.conn()
    with db.write():
        ada = register.create(conn, clock.now(), name="Ada Lovelace", kind="member")
    assert calls == []  # people is not read by any derived topic
    with db.write():
        visits.sign_in(conn, cfg, clock.now(), kind="member", person_id=ada.id)
    with db.write():
        requests.erase(conn, ada.id, clock.now())
    assert calls == [1, 1]
    db.close()


def test_a_booking_through_the_domain_publishes_its_room(role: Database, cfg: Config, clock: ManualClock) -> None:
    conn = role.conn()
    with role.write():
        _clear(conn)
    start = clock.now().replace(minute=0) + timedelta(hours=1)
    bookings.book(conn, cfg, bookings.BookingRequest(
        room="main-hall", start=start, end=start + timedelta(hours=1), title="Choir", organiser="Nia", public=True,
    ), clock.now())
    assert "rooms/main-hall" in _derived_rows(conn)
