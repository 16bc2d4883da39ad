"""Attendance: a group checks in (the kiosk's "We're here", the organiser's fob, the
dashboard), and confirmed bookings nobody turned up for are released, in the rooms that
opt in, if the booking may be released at all (a kiosk booking, or one an admin opted in).

The seam with appliance.booking.bookings: bookings makes, changes and cancels bookings; this
module only records what happened on the day (arrived, or never came).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from appliance.booking.availability import MAX_BOOKING
from appliance.booking.bookings import (
    Booking,
    BookingError,
    from_row,
    get_booking,
    normalise_code,
)
from appliance.core.clock import Clock, iso
from appliance.core.config import Config
from appliance.storage.db import Database, transaction

# How a booking was checked in: the kiosk's "We're here", the organiser's fob tap, the
# dashboard's day list, or the organiser was already signed in when it was due.
CHECKED_IN_BY = ("kiosk", "fob", "dashboard", "present")


def _window(config: Config) -> timedelta:
    return timedelta(minutes=config.bookings.checkin_window_minutes)


def _mark(conn: sqlite3.Connection, booking_id: int, now: datetime, by: str) -> None:
    conn.execute("UPDATE bookings SET checked_in_at = ?, checked_in_by = ?, updated_at = ? WHERE id = ?",
                 (iso(now), by, iso(now), booking_id))


def check_in(conn: sqlite3.Connection, config: Config, booking_id: int, now: datetime, by: str = "kiosk") -> Booking:
    """Mark the group as arrived, from the check-in window before start until the end."""
    if by not in CHECKED_IN_BY:
        raise BookingError(f"check-in by {by!r} must be one of {', '.join(CHECKED_IN_BY)}")
    window = _window(config)
    with transaction(conn):
        booking = get_booking(conn, booking_id)
        if booking.status != "confirmed":
            raise BookingError(f"booking {booking.reference} is {booking.status}; only confirmed bookings check in")
        if not booking.start - window <= now < booking.end:
            raise BookingError(f"check-in for {booking.reference} opens {window.seconds // 60} minutes before it starts"
                               " and closes when it ends")
        if booking.checked_in_at is None:
            _mark(conn, booking.id, now, by)
    return get_booking(conn, booking_id)


def open_for_check_in(conn: sqlite3.Connection, config: Config, now: datetime, room_id: str | None = None) -> list[Booking]:
    """Confirmed bookings nobody has checked in yet whose check-in is open now (from the
    window before the start until the end), soonest first; optionally one room only."""
    sql = ("SELECT * FROM bookings WHERE start_at >= ? AND start_at <= ? AND end_at > ? AND status = 'confirmed'"
           " AND checked_in_at IS NULL")
    params: list[object] = [iso(now - MAX_BOOKING), iso(now + _window(config)), iso(now)]
    if room_id is not None:
        sql += " AND room_id = ?"
        params.append(room_id)
    return [from_row(r) for r in conn.execute(sql + " ORDER BY start_at, id", params)]


def check_in_by_words(conn: sqlite3.Connection, config: Config, room_id: str, words: str, now: datetime) -> Booking | None:
    """The kiosk's "We're here": check in the room's open booking whose reference or
    organiser's whole name is ``words`` (any case and spacing). None when none matches,
    so the kiosk says the same whatever is booked."""
    typed_name = " ".join(words.split()).casefold()
    typed_code = normalise_code(words)
    with transaction(conn):
        for booking in open_for_check_in(conn, config, now, room_id):
            by_name = bool(typed_name) and " ".join(booking.organiser.split()).casefold() == typed_name
            if by_name or (typed_code and typed_code == booking.reference):
                _mark(conn, booking.id, now, "kiosk")
                return get_booking(conn, booking.id)
    return None


def check_in_by_person(conn: sqlite3.Connection, person_id: int, now: datetime, window: timedelta) -> list[Booking]:
    """An organiser's fob tap: check in their confirmed bookings that start within
    ``window`` from now or are running. Joins the caller's transaction (a recorder rule)."""
    with transaction(conn):
        rows = conn.execute(
            "SELECT * FROM bookings WHERE person_id = ? AND start_at >= ? AND start_at <= ? AND end_at > ?"
            " AND status = 'confirmed' AND checked_in_at IS NULL ORDER BY start_at",
            (person_id, iso(now - MAX_BOOKING), iso(now + window), iso(now)),
        ).fetchall()
        for row in rows:
            _mark(conn, row["id"], now, "fob")
    return [get_booking(conn, r["id"]) for r in rows]


def release_no_shows(conn: sqlite3.Connection, config: Config, now: datetime) -> list[Booking]:
    """Release confirmed, unchecked bookings ``no_show_minutes`` after start, in rooms that
    opt in, when the booking may be released (a kiosk booking, or an admin's they opted in).

    A booking linked to an organiser who is signed in at that moment is checked in instead
    ("present"): they are in the building. Returns the bookings released.
    """
    grace = timedelta(minutes=config.bookings.no_show_minutes)
    late = now - grace
    zone = config.site.zone
    released = []
    with transaction(conn):
        rows = conn.execute(
            "SELECT b.* FROM bookings b JOIN rooms r ON r.id = b.room_id"
            " WHERE b.start_at >= ? AND b.start_at <= ? AND b.status = 'confirmed'"
            " AND b.checked_in_at IS NULL AND r.release_no_shows = 1 AND b.release_if_no_show = 1",
            (iso(late - MAX_BOOKING), iso(late)),
        ).fetchall()
        for row in rows:
            booking = from_row(row)
            present = booking.person_id is not None and conn.execute(
                "SELECT 1 FROM visits WHERE person_id = ? AND signed_out_at IS NULL", (booking.person_id,)).fetchone()
            if present:
                _mark(conn, booking.id, now, "present")
                continue
            reason = f"nobody checked in by {booking.start.astimezone(zone):%H:%M} + {config.bookings.no_show_minutes} minutes"
            conn.execute("UPDATE bookings SET status = 'released', released_at = ?, release_reason = ?, updated_at = ?"
                         " WHERE id = ?", (iso(now), reason, iso(now), booking.id))
            released.append(booking.id)
    return [get_booking(conn, booking_id) for booking_id in released]


def release_no_shows_job(db: Database, config: Config, clock: Clock) -> None:
    """Housekeeping: release no-shows in the rooms that opt in."""
    release_no_shows(db.conn(), config, clock.now())
