"""A room's week as a grid, the view people know from MRBS and LibreBooking: a row per
time of day, a column per day, and in each cell whether it is free (and can be booked
from there), booked (the booking spans its rows), held by a set-up or clean-up buffer,
closed or already past.

Built from the same answers the booking rules use (opening_window, free_periods and the
day's live bookings), so a cell shown free is one a booking can start in.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from appliance.booking.availability import free_periods
from appliance.booking.bookings import Booking
from appliance.booking.recurrence import to_utc
from appliance.booking.rooms import Room, opening_window
from appliance.booking.whatson import day_bookings
from appliance.core.config import Config

# Rows are half an hour (or the booking grid, when it does not divide 30 minutes).
ROW_MINUTES = 30
CELL_STATES = ("free", "booked", "unavailable", "closed", "past")


@dataclass(frozen=True)
class Cell:
    """One day at one time of day; times aware UTC."""

    state: str  # one of CELL_STATES
    start: datetime
    end: datetime
    rows: int = 1  # a booking's cell spans the rows it covers
    booking: Booking | None = None
    free_until: datetime | None = None  # a free cell: the end of its free period


@dataclass(frozen=True)
class Week:
    """Seven days of one room; ``rows[i][d]`` is None where a booking above spans into it."""

    room: Room
    days: list[date]
    times: list[time]
    rows: list[list[Cell | None]]


def week_start(day: date) -> date:
    """The Monday of the week ``day`` is in."""
    return day - timedelta(days=day.weekday())


def row_minutes(config: Config) -> int:
    """How long one row is: half an hour, or the booking grid when that does not divide it."""
    step = config.bookings.granularity_minutes
    return ROW_MINUTES if step <= ROW_MINUTES and ROW_MINUTES % step == 0 else step


def week_grid(conn: sqlite3.Connection, room: Room, first_day: date, config: Config, now: datetime) -> Week:
    """The grid of ``room`` for the seven days from ``first_day`` (site time)."""
    zone = config.site.zone
    days = [first_day + timedelta(days=n) for n in range(7)]
    windows = {day: opening_window(room, config, day) for day in days}
    open_days = [(w[0].astimezone(zone), w[1].astimezone(zone)) for w in windows.values() if w]
    if not open_days:
        return Week(room, days, [], [])
    step = row_minutes(config)
    first = min(o.hour * 60 + o.minute for o, _ in open_days) // step * step
    last = max(24 * 60 if c.date() > o.date() else c.hour * 60 + c.minute for o, c in open_days)
    times = [time(m // 60, m % 60) for m in range(first, last, step)]
    columns = [_column(conn, room, day, windows[day], times, step, config, now) for day in days]
    rows = [[column[i] for column in columns] for i in range(len(times))]
    return Week(room, days, times, rows)


def _column(
    conn: sqlite3.Connection, room: Room, day: date, window: tuple[datetime, datetime] | None, times: list[time],
    step: int, config: Config, now: datetime,
) -> list[Cell | None]:
    zone = config.site.zone
    live = day_bookings(conn, day, config, room=room.id, statuses=("requested", "confirmed"))
    free = free_periods(conn, room, day, config, now) if window else []
    bounds = []
    for t in times:
        wall = datetime.combine(day, t)
        bounds.append((to_utc(wall, zone), to_utc(wall + timedelta(minutes=step), zone)))
    cells: list[Cell | None] = []
    covered_until = None
    for start, end in bounds:
        if covered_until is not None and start < covered_until:
            cells.append(None)
            continue
        booking = next((b for b in live if b.start < end and b.end > start), None)
        if booking is not None:
            rows = sum(1 for s, _ in bounds if start <= s < booking.end)
            covered_until = booking.end
            cells.append(Cell("booked", start, end, rows=max(rows, 1), booking=booking))
        elif window is None or start < window[0] or end > window[1]:
            cells.append(Cell("closed", start, end))
        elif start < now:
            cells.append(Cell("past", start, end))
        else:
            period = next((p for p in free if p.start <= start and end <= p.end), None)
            if period is None:
                cells.append(Cell("unavailable", start, end))
            else:
                cells.append(Cell("free", start, end, free_until=period.end))
    return cells
