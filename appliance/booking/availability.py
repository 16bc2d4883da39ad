"""When a room is free: answered from the (room_id, block_start_at) index, never a scan.

Every booking holds a *block*: its own time plus the room's set-up buffer before and
clean-up buffer after. Blocks of live bookings never overlap. A booking can be no
longer than :data:`MAX_BOOKING` and buffers no longer than rooms.MAX_BUFFER_MINUTES,
so any block that reaches into a period starts at most :data:`MAX_BLOCK` before it:
that bounds both ends of the index range, so the cost does not grow with the number
of bookings the room has ever had.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from appliance.booking.rooms import MAX_BUFFER_MINUTES, Room, get_room, opening_window
from appliance.core.clock import iso, parse_iso, rfc3339
from appliance.core.config import Config

MAX_BOOKING = timedelta(hours=24)
MAX_BLOCK = MAX_BOOKING + timedelta(minutes=2 * MAX_BUFFER_MINUTES)

# The overlap query: both bounds on block_start_at come from the index; only live
# bookings (requested, confirmed) hold their block.
BLOCKS_SQL = (
    "SELECT id, reference, block_start_at, block_end_at, start_at, end_at, status FROM bookings"
    " WHERE room_id = ? AND block_start_at >= ? AND block_start_at < ? AND block_end_at > ?"
    " AND status IN ('requested', 'confirmed') ORDER BY block_start_at"
)


class AvailabilityError(Exception):
    """Availability cannot be worked out as asked."""


@dataclass(frozen=True)
class Slot:
    """A period, aware UTC datetimes."""

    start: datetime
    end: datetime

    def as_dict(self, zone: tzinfo = UTC) -> dict[str, str]:
        """JSON-ready: RFC 3339 in the given zone (the site's, for people; UTC by default)."""
        return {"start": rfc3339(self.start, zone), "end": rfc3339(self.end, zone)}


def blocks(
    conn: sqlite3.Connection, room_id: str, start: datetime, end: datetime, exclude: int | None = None
) -> list[sqlite3.Row]:
    """Live bookings whose block overlaps [start, end), in order (optionally leaving one out)."""
    rows = conn.execute(BLOCKS_SQL, (room_id, iso(start - MAX_BLOCK), iso(end), iso(start))).fetchall()
    return [r for r in rows if r["id"] != exclude]


def _grid(moment: datetime, config: Config, up: bool) -> datetime:
    """Round to the site's granularity on the local wall clock (whole-hour offsets keep it exact)."""
    step = config.bookings.granularity_minutes
    local = moment.astimezone(config.site.zone)
    minutes = local.hour * 60 + local.minute
    extra = minutes % step
    base = moment.replace(second=0, microsecond=0) - timedelta(minutes=extra)
    if up and (extra or moment.second or moment.microsecond):
        base += timedelta(minutes=step)
    return base


def on_grid(moment: datetime, config: Config) -> bool:
    """The time is on a slot boundary."""
    return _grid(moment, config, up=False) == moment


def free_periods(
    conn: sqlite3.Connection, room: Room, day: date, config: Config, now: datetime, exclude: int | None = None
) -> list[Slot]:
    """When a booking in this room could run on a local day (buffers already allowed for).

    A period [a, b) means any booking with a <= start and end <= b fits: its set-up
    and clean-up buffers stay clear of every other block. Within opening hours, not in
    the past, on the granularity grid.
    """
    window = opening_window(room, config, day)
    if window is None:
        return []
    opens, closes = (w.astimezone(UTC) for w in window)
    cursor = max(opens, _grid(now, config, up=True))
    periods: list[Slot] = []
    for row in blocks(conn, room.id, opens - room.cleanup, closes + room.setup, exclude):
        gap_end = parse_iso(row["block_start_at"]) - room.cleanup
        _add(periods, cursor, min(gap_end, closes), config)
        cursor = max(cursor, parse_iso(row["block_end_at"]) + room.setup)
    _add(periods, cursor, closes, config)
    return periods


def _add(periods: list[Slot], start: datetime, end: datetime, config: Config) -> None:
    start, end = _grid(start, config, up=True), _grid(end, config, up=False)
    if end > start:
        periods.append(Slot(start, end))


def free_slots(conn: sqlite3.Connection, room_id: str, day: date, config: Config, now: datetime) -> list[Slot]:
    """The free periods of a room on a local day (UnknownRoom if there is no such room)."""
    return free_periods(conn, get_room(conn, room_id), day, config, now)


def start_times(periods: list[Slot], config: Config, step_minutes: int, shortest: timedelta) -> list[datetime]:
    """Start times to offer as buttons (site time): every ``step_minutes`` on the wall clock
    within each free period, leaving room for the ``shortest`` booking."""
    zone = config.site.zone
    step = timedelta(minutes=step_minutes)
    starts = []
    for period in periods:
        at = period.start.astimezone(zone)
        if minute := at.minute % step_minutes:
            at += timedelta(minutes=step_minutes - minute)
        while at + shortest <= period.end.astimezone(zone):
            starts.append(at)
            at += step
    return starts


def lengths_that_fit(
    conn: sqlite3.Connection, room: Room, start: datetime, lengths: tuple[int, ...], config: Config, now: datetime
) -> list[int]:
    """Which of ``lengths`` (minutes) fit in the free period that contains ``start``."""
    day = start.astimezone(config.site.zone).date()
    for period in free_periods(conn, room, day, config, now):
        if period.start <= start < period.end:
            return [m for m in lengths if start + timedelta(minutes=m) <= period.end]
    return []


def nearest_free(
    conn: sqlite3.Connection,
    room: Room,
    start: datetime,
    end: datetime,
    config: Config,
    now: datetime,
    exclude: int | None = None,
    days: int = 7,
) -> list[Slot]:
    """Up to two slots as long as [start, end): the latest one starting at or before
    ``start`` and the earliest after it, looking up to ``days`` local days ahead."""
    length = end - start
    first_day = start.astimezone(config.site.zone).date()
    earlier: Slot | None = None
    later: Slot | None = None
    for period in free_periods(conn, room, first_day, config, now, exclude):
        before = _grid(min(start, period.end - length), config, up=False)
        if before >= period.start and (earlier is None or before > earlier.start):
            earlier = Slot(before, before + length)
        after = _grid(max(start, period.start), config, up=True)
        if after > start and after + length <= period.end and (later is None or after < later.start):
            later = Slot(after, after + length)
    for offset in range(1, days + 1):
        if later is not None:
            break
        for period in free_periods(conn, room, first_day + timedelta(days=offset), config, now, exclude):
            if period.end - period.start >= length:
                later = Slot(period.start, period.start + length)
                break
    return [s for s in (earlier, later) if s is not None]
