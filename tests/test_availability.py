"""Availability: free periods with buffers, and the lookup uses the (room, start) index."""

from __future__ import annotations

from datetime import UTC, date, datetime

from appliance.booking import availability, bookings
from appliance.booking.availability import Slot
from appliance.booking.bookings import BookingRequest
from appliance.booking.rooms import Room, create_room
from appliance.core.clock import iso


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 3, hour, minute, tzinfo=UTC)


def test_free_periods_allow_for_both_buffers(db, config, clock):
    create_room(db.conn(), Room(id="hall", name="Hall", setup_minutes=15, cleanup_minutes=30), clock.now())
    bookings.book(db.conn(), config, BookingRequest(room="hall", start=_at(12), end=_at(13), title="t", organiser="o"), clock.now())
    free = availability.free_slots(db.conn(), "hall", date(2026, 3, 3), config, clock.now())
    # Before: a new booking's own 30-minute clean-up must end by 11:45 (the set-up of 12:00).
    # After: the block ends 13:30, and a new booking needs its 15-minute set-up after that.
    assert free == [Slot(_at(9), _at(11, 15)), Slot(_at(13, 45), _at(22))]


def test_today_starts_from_now_on_the_grid(db, config, clock):
    create_room(db.conn(), Room(id="hall", name="Hall"), clock.now())
    clock.set(datetime(2026, 3, 3, 10, 7, tzinfo=UTC))
    free = availability.free_slots(db.conn(), "hall", date(2026, 3, 3), config, clock.now())
    assert free == [Slot(_at(10, 15), _at(22))]
    assert availability.free_slots(db.conn(), "hall", date(2026, 3, 2), config, clock.now()) == []


def test_the_lookup_is_an_index_range_not_a_scan(db):
    plan = db.conn().execute(
        "EXPLAIN QUERY PLAN " + availability.BLOCKS_SQL, ("hall", iso(_at(0)), iso(_at(23)), iso(_at(9)))
    ).fetchall()
    detail = " ".join(row["detail"] for row in plan)
    assert "USING INDEX bookings_room_start (room_id=? AND block_start_at>? AND block_start_at<?)" in detail
    assert "SCAN" not in detail
