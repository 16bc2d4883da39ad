"""A room's week as a grid: bookings span their rows, buffers and closed hours are not
free, the past is past, and a free cell is one the booking rules accept."""

from __future__ import annotations

from datetime import date, time, timedelta

from appliance.booking import bookings, weekgrid
from appliance.booking.bookings import BookingRequest
from appliance.booking.rooms import Room, create_room


def _book(db, config, clock, start: str, end: str, **extra):  # type: ignore[no-untyped-def]
    request = BookingRequest(room="hall", start=bookings.parse_time(start, config), end=bookings.parse_time(end, config),
                             title="Côr", organiser="Siân Llŷr ap Gwilym", **extra)
    return bookings.book(db.conn(), config, request, clock.now()).booking


def test_the_week_of_a_room(db, config, clock) -> None:  # type: ignore[no-untyped-def]
    room = create_room(db.conn(), Room(id="hall", name="Hall", cleanup_minutes=30,
                                       opening_hours={"sun": "closed"}), clock.now())
    choir = _book(db, config, clock, "2026-03-03T18:00", "2026-03-03T19:30")
    grid = weekgrid.week_grid(db.conn(), room, weekgrid.week_start(date(2026, 3, 4)), config, clock.now())
    assert grid.days[0] == date(2026, 3, 2) and len(grid.days) == 7
    # the site's hours: from 09:00 on weekdays to 23:00 on Friday and Saturday, half-hour rows
    assert grid.times[0] == time(9, 0) and grid.times[-1] == time(22, 30)
    row = {t: n for n, t in enumerate(grid.times)}
    tuesday = 1
    cell = grid.rows[row[time(18, 0)]][tuesday]
    assert cell is not None and cell.state == "booked" and cell.booking == choir and cell.rows == 3
    assert grid.rows[row[time(18, 30)]][tuesday] is None and grid.rows[row[time(19, 0)]][tuesday] is None
    # its clean-up holds 19:30-20:00
    assert grid.rows[row[time(19, 30)]][tuesday].state == "unavailable"  # type: ignore[union-attr]
    assert grid.rows[row[time(20, 0)]][tuesday].state == "free"  # type: ignore[union-attr]
    # Monday 09:00 is now: the clock says 09:00, so that cell has begun; later is free
    assert grid.rows[row[time(9, 0)]][0].state == "free"  # type: ignore[union-attr]
    clock.advance(minutes=10)
    later = weekgrid.week_grid(db.conn(), room, date(2026, 3, 2), config, clock.now())
    assert later.rows[row[time(9, 0)]][0].state == "past"  # type: ignore[union-attr]
    assert {c.state for c in (r[6] for r in later.rows)} == {"closed"}  # Sunday
    assert later.rows[row[time(22, 0)]][0].state == "closed"  # Monday closes at 22:00, Friday at 23:00
    assert later.rows[row[time(22, 0)]][4].state == "free"  # type: ignore[union-attr]
    free = later.rows[row[time(10, 0)]][0]
    assert free is not None and free.free_until is not None and free.free_until - free.start > timedelta(hours=11)


def test_a_request_waiting_for_approval_shows_as_booked(db, config, clock) -> None:  # type: ignore[no-untyped-def]
    room = create_room(db.conn(), Room(id="hall", name="Hall", needs_approval=True), clock.now())
    waiting = _book(db, config, clock, "2026-03-02T10:00", "2026-03-02T10:30")
    grid = weekgrid.week_grid(db.conn(), room, date(2026, 3, 2), config, clock.now())
    cell = grid.rows[2][0]
    assert cell is not None and cell.booking == waiting and waiting.status == "requested"


def test_a_room_closed_all_week_has_no_rows(db, config, clock) -> None:  # type: ignore[no-untyped-def]
    hours = {d: "closed" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    room = create_room(db.conn(), Room(id="hall", name="Hall", opening_hours=hours), clock.now())
    grid = weekgrid.week_grid(db.conn(), room, date(2026, 3, 2), config, clock.now())
    assert grid.times == [] and grid.rows == []
