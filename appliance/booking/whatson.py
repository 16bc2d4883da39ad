"""What's on: a day's bookings as lists, for the management screen (everything, every
status) and for the public (live bookings, public titles only: the kiosk's what's-on,
the display and MQTT rooms/<id>).

The seam with appliance.booking.bookings: bookings writes; this module only reads and decides
what each audience may see of a booking.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta
from typing import Any

from appliance.booking.availability import MAX_BOOKING
from appliance.booking.bookings import Booking, from_row
from appliance.booking.rooms import Room, list_rooms
from appliance.core.clock import iso, parse_iso, rfc3339
from appliance.core.config import Config

STATUSES = ("requested", "confirmed", "cancelled", "declined", "released")


class WhatsOnError(Exception):
    """A listing cannot be made as asked."""


def day_bounds(day: date, config: Config) -> tuple[datetime, datetime]:
    """The site's local day as [start, end) in aware UTC (23 or 25 hours on a clock change)."""
    zone = config.site.zone
    start = datetime.combine(day, datetime.min.time(), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), zone).astimezone(UTC)
    return start, end


def day_bookings(
    conn: sqlite3.Connection, day: date, config: Config, room: str | None = None,
    statuses: Collection[str] = STATUSES,
) -> list[Booking]:
    """Bookings overlapping the site's ``day`` (any status by default), by start time;
    optionally one room only. Private fields included: for admins, never the public."""
    if unknown := set(statuses) - set(STATUSES):
        raise WhatsOnError(f"unknown booking status {', '.join(sorted(unknown))}; use {', '.join(STATUSES)}")
    if not statuses:
        return []
    start, end = day_bounds(day, config)
    # start_at is indexed; a booking is at most MAX_BOOKING long, so that bounds the look-back.
    sql = (f"SELECT * FROM bookings WHERE start_at >= ? AND start_at < ? AND end_at > ?"
           f" AND status IN ({', '.join('?' * len(statuses))})")
    params: list[Any] = [iso(start - MAX_BOOKING), iso(end), iso(start), *statuses]
    if room:
        sql += " AND room_id = ?"
        params.append(room)
    return [from_row(r) for r in conn.execute(sql + " ORDER BY start_at, id", params)]


def public_view(booking: Booking, room: Room, config: Config) -> dict[str, Any]:
    """What anyone may see of a booking: never the contact, the code or a private title."""
    zone = config.site.zone
    return {
        "reference": booking.reference,
        "room": {"id": room.id, "name": room.name},
        "start": rfc3339(booking.start, zone),
        "end": rfc3339(booking.end, zone),
        "title": booking.public_title,
        "public": booking.public,
        "status": booking.status,
        "checked_in": booking.checked_in_at is not None,
        "recurring": booking.series_id is not None,
    }


def todays_public(conn: sqlite3.Connection, config: Config, now: datetime) -> list[dict[str, Any]]:
    """Today's (site day) live bookings in order, public titles only: the what's-on list."""
    rooms = {r.id: r for r in list_rooms(conn)}
    day = now.astimezone(config.site.zone).date()
    return [
        public_view(b, rooms[b.room_id], config)
        for b in day_bookings(conn, day, config, statuses=("confirmed",))
        if b.room_id in rooms
    ]


def now_and_next(conn: sqlite3.Connection, config: Config, now: datetime) -> dict[str, dict[str, Any]]:
    """Per room: the booking on now and the next one today (public titles only), for the
    display and MQTT rooms/<id>."""
    result: dict[str, dict[str, Any]] = {}
    for room in list_rooms(conn):
        rows = conn.execute(
            "SELECT * FROM bookings WHERE room_id = ? AND block_start_at >= ? AND end_at > ?"
            " AND status = 'confirmed' ORDER BY block_start_at LIMIT 2",
            (room.id, iso(now - MAX_BOOKING), iso(now)),
        ).fetchall()
        current = next((from_row(r) for r in rows if parse_iso(r["start_at"]) <= now), None)
        upcoming = next((from_row(r) for r in rows if parse_iso(r["start_at"]) > now), None)
        if upcoming and upcoming.start.astimezone(config.site.zone).date() != now.astimezone(config.site.zone).date():
            upcoming = None
        result[room.id] = {
            "name": room.name,
            "busy": current is not None,
            "now": public_view(current, room, config) if current else None,
            "next": public_view(upcoming, room, config) if upcoming else None,
        }
    return result


def later_today(conn: sqlite3.Connection, config: Config, now: datetime) -> list[dict[str, Any]]:
    """Today's live bookings that start after ``now`` (public titles only), in order: the
    rest of the day, for the hall display below what is on now and next."""
    return [b for b in todays_public(conn, config, now) if datetime.fromisoformat(b["start"]) > now]
