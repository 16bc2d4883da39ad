"""Attendance: a group checks in (kiosk tap or the organiser's fob), and confirmed
bookings nobody turned up for are released in the rooms that opt in.

The seam with appliance.bookings: bookings makes, changes and cancels bookings; this
module only records what happened on the day (arrived, or never came).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from appliance.availability import MAX_BOOKING
from appliance.bookings import Booking, BookingError, get_booking, refresh_published, write_tx
from appliance.clock import Clock, iso
from appliance.config import Config
from appliance.db import Database
from appliance.housekeeping import job


def check_in(conn: sqlite3.Connection, config: Config, booking_id: int, now: datetime) -> Booking:
    """Mark the group as arrived (from the kiosk), from the check-in window before start until the end."""
    window = timedelta(minutes=config.bookings.checkin_window_minutes)
    with write_tx(conn):
        booking = get_booking(conn, booking_id)
        if booking.status != "confirmed":
            raise BookingError(f"booking {booking.reference} is {booking.status}; only confirmed bookings check in")
        if not booking.start - window <= now < booking.end:
            raise BookingError(f"check-in for {booking.reference} opens {window.seconds // 60} minutes before it starts")
        if booking.checked_in_at is None:
            conn.execute("UPDATE bookings SET checked_in_at = ?, updated_at = ? WHERE id = ?", (iso(now), iso(now), booking.id))
            refresh_published(conn, config, now)
    return get_booking(conn, booking_id)


def check_in_by_person(
    conn: sqlite3.Connection, person_id: int, now: datetime, window: timedelta, config: Config | None = None
) -> list[Booking]:
    """An organiser's fob tap: check in their confirmed bookings that start within
    ``window`` from now or are running. Joins the caller's transaction (a recorder rule)."""
    with write_tx(conn):
        rows = conn.execute(
            "SELECT * FROM bookings WHERE person_id = ? AND start_at >= ? AND start_at <= ? AND end_at > ?"
            " AND status = 'confirmed' AND checked_in_at IS NULL ORDER BY start_at",
            (person_id, iso(now - MAX_BOOKING), iso(now + window), iso(now)),
        ).fetchall()
        for row in rows:
            conn.execute("UPDATE bookings SET checked_in_at = ?, updated_at = ? WHERE id = ?", (iso(now), iso(now), row["id"]))
        if rows and config is not None:
            refresh_published(conn, config, now)
    return [get_booking(conn, r["id"]) for r in rows]


def release_no_shows(conn: sqlite3.Connection, config: Config, now: datetime) -> list[Booking]:
    """Release confirmed, unchecked bookings in opted-in rooms ``no_show_minutes`` after start."""
    late = now - timedelta(minutes=config.bookings.no_show_minutes)
    with write_tx(conn):
        rows = conn.execute(
            "SELECT b.* FROM bookings b JOIN rooms r ON r.id = b.room_id"
            " WHERE b.start_at >= ? AND b.start_at <= ? AND b.status = 'confirmed'"
            " AND b.checked_in_at IS NULL AND r.release_no_shows = 1",
            (iso(late - MAX_BOOKING), iso(late)),
        ).fetchall()
        for row in rows:
            conn.execute("UPDATE bookings SET status = 'released', updated_at = ? WHERE id = ?", (iso(now), row["id"]))
        if rows:
            refresh_published(conn, config, now)
    return [get_booking(conn, r["id"]) for r in rows]



@job("bookings.release_no_shows", every_seconds=60)
def release_no_shows_job(db: Database, config: Config, clock: Clock) -> None:
    """Housekeeping: release no-shows in the rooms that opt in."""
    release_no_shows(db.conn(), config, clock.now())
