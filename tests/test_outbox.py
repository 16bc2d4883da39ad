"""The outbox: state topics coalesce, the event stream is bounded and says what it dropped."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from appliance.core.clock import ManualClock, iso
from appliance.outbox import store
from appliance.outbox.topics import Message
from appliance.storage.db import Database

STATE = "doorstep/hall/occupancy"
EVENTS = "doorstep/hall/events"


def _event(n: int) -> Message:
    return Message(EVENTS, f'{{"id":"e{n}"}}', 1, False)


def test_retained_state_keeps_only_the_newest_undelivered_value(db: Database, clock: ManualClock) -> None:
    conn = db.conn()
    with db.write():
        for value in range(50):
            store.enqueue(conn, Message(STATE, str(value), 1, True), iso(clock.now()))
    rows = store.pending(conn, 0, 100)
    assert [(r.topic, r.payload, r.retain) for r in rows] == [(STATE, "49", True)]


def test_events_are_all_kept_in_order(db: Database, clock: ManualClock) -> None:
    conn = db.conn()
    with db.write():
        ids = [store.enqueue(conn, _event(n), iso(clock.now())) for n in range(10)]
    assert ids == sorted(ids)
    assert [r.payload for r in store.pending(conn, 0, 100)] == [f'{{"id":"e{n}"}}' for n in range(10)]
    assert [r.id for r in store.pending(conn, ids[4], 3)] == ids[5:8]


def test_acknowledge_deletes_and_ignores_rows_already_gone(db: Database, clock: ManualClock) -> None:
    conn = db.conn()
    with db.write():
        ids = [store.enqueue(conn, _event(n), iso(clock.now())) for n in range(3)]
    with db.write():
        store.acknowledge(conn, [ids[0], ids[0], 999_999])
    assert store.depth(conn) == 2


def test_beyond_the_row_bound_the_oldest_events_are_dropped_and_counted(
    db: Database, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    conn = db.conn()
    with db.write():
        store.enqueue(conn, Message(STATE, "3", 1, True), iso(clock.now()))
        for n in range(8):
            store.enqueue(conn, _event(n), iso(clock.advance(1)))
    with caplog.at_level(logging.WARNING), db.write():
        dropped = store.trim(conn, max_rows=5, max_days=7, now=clock.now())
    assert dropped == 3
    waiting = [r.payload for r in store.pending(conn, 0, 100)]
    assert waiting == ["3"] + [f'{{"id":"e{n}"}}' for n in range(3, 8)]  # state row kept, oldest events gone
    assert store.dropped(conn).total == 3
    assert "dropped the 3 oldest undelivered events" in caplog.text


def test_events_older_than_the_day_bound_are_dropped(db: Database, clock: ManualClock) -> None:
    conn = db.conn()
    with db.write():
        store.enqueue(conn, _event(0), iso(clock.now()))
        clock.advance(3 * 86400)
        store.enqueue(conn, _event(1), iso(clock.now()))
    clock.advance(5 * 86400)  # the first is now 8 days old, the second 5
    with db.write():
        assert store.trim(conn, max_rows=100, max_days=7, now=clock.now()) == 1
    with db.write():
        assert store.trim(conn, max_rows=100, max_days=7, now=clock.now()) == 0
    assert [r.payload for r in store.pending(conn, 0, 10)] == ['{"id":"e1"}']
    gone = store.dropped(conn)
    assert gone.total == 1 and gone.last_dropped_at == iso(clock.now())


def test_drops_add_up_across_days(db: Database, clock: ManualClock) -> None:
    conn = db.conn()
    for _day in range(2):
        with db.write():
            for n in range(4):
                store.enqueue(conn, _event(n), iso(clock.now()))
            store.trim(conn, max_rows=2, max_days=7, now=clock.now())
        clock.advance(timedelta(days=1).total_seconds())
    assert store.dropped(conn).total == 2 + 4  # day 1: 4 - 2; day 2: (2 + 4) - 2
    assert store.events_waiting(conn) == 2
