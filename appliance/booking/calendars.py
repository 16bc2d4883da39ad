"""iCalendar feeds of bookings, and import of an .ics file (the icalendar library).

Public feeds show a private booking as "Booked"; the private feeds (real titles, never
contact details) sit behind a secret token an admin can rotate, stored hashed. An
import runs as a dry run first: the same code path inside a transaction that is
rolled back, so the conflicts it lists are exactly what a real import would meet.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from appliance.booking import bookings, codes
from appliance.booking.bookings import BookingError, BookingRequest, Conflict, from_row
from appliance.booking.rooms import get_room, list_rooms
from appliance.core.clock import iso, rfc3339
from appliance.core.config import Config
from appliance.core.inputs import InputError, check_moment
from appliance.storage.db import get_setting, put_setting, transaction

TOKEN_SETTING = "calendar_token_hash"
FEED_PAST = timedelta(days=30)


class CalendarError(Exception):
    """A feed cannot be made or a file cannot be imported; the message says why."""


def rotate_calendar_token(conn: sqlite3.Connection, at: datetime) -> str:
    """Make a new secret for the private feeds (the old URLs stop working); return it once."""
    token = secrets.token_urlsafe(24)
    put_setting(conn, TOKEN_SETTING, hashlib.sha256(token.encode()).hexdigest(), iso(at))
    return token


def private_link_made(conn: sqlite3.Connection) -> str | None:
    """When the private feeds' current secret was made (stored UTC time), or None if never."""
    row = conn.execute("SELECT updated_at FROM settings WHERE key = ?", (TOKEN_SETTING,)).fetchone()
    return row[0] if row else None


def valid_token(conn: sqlite3.Connection, token: str) -> bool:
    """The token is the current private-feed secret."""
    stored = get_setting(conn, TOKEN_SETTING)
    if not stored or not token:
        return False
    return hmac.compare_digest(stored, hashlib.sha256(token.encode()).hexdigest())


def feed(conn: sqlite3.Connection, config: Config, now: datetime, room_id: str | None = None, private: bool = False) -> bytes:
    """An iCalendar file of live bookings from 30 days ago on, for one room or (None) the site.

    Public feeds: public rooms only (a private room is as absent as on MQTT and the display:
    :class:`CalendarError` for its own feed), real titles of public bookings, "Booked"
    otherwise. Private feeds: every room, real titles and the organiser's name. Never a
    contact detail or a code.
    """
    rooms = {r.id: r for r in list_rooms(conn)} if room_id is None else {room_id: get_room(conn, room_id)}
    if not private:
        rooms = {key: room for key, room in rooms.items() if room.public}
        if room_id is not None and not rooms:
            raise CalendarError(f"there is no public calendar for room {room_id!r}")
    import icalendar  # here, not at the top: 0.1 s of every web start-up, for a rarely fetched feed

    cal = icalendar.Calendar()
    cal.add("prodid", "-//Doorstep//bookings//EN")
    cal.add("version", "2.0")
    name = config.site.name if room_id is None else f"{rooms[room_id].name} - {config.site.name}"
    cal.add("x-wr-calname", name)
    where = "" if room_id is None else " AND room_id = ?"
    rows = conn.execute(
        "SELECT * FROM bookings WHERE start_at >= ? AND status IN ('requested', 'confirmed')" + where + " ORDER BY start_at",
        (iso(now - FEED_PAST), *([room_id] if room_id else [])),
    )
    for booking in map(from_row, rows):
        if booking.room_id not in rooms:
            continue
        event = icalendar.Event()
        event.add("uid", f"{booking.reference}@{config.site.id}.doorstep")
        event.add("dtstamp", now)
        event.add("dtstart", booking.start)
        event.add("dtend", booking.end)
        event.add("summary", booking.title if private else booking.public_title)
        event.add("location", rooms[booking.room_id].name)
        event.add("class", "PUBLIC" if booking.public else "PRIVATE")
        event.add("status", "CONFIRMED" if booking.status == "confirmed" else "TENTATIVE")
        if private:
            event.add("description", f"Organiser: {booking.organiser}")
        cal.add_component(event)
    return bytes(cal.to_ical())


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    dry_run: bool
    booked: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    cancel_code: str | None = None  # one code cancels any booking of this import


class _DryRun(Exception):
    """Raised to roll the dry run's transaction back."""


def _moment(value: Any, zone: Any) -> datetime:
    try:
        if isinstance(value, datetime):
            return check_moment((value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC))
        if isinstance(value, date):
            return check_moment(datetime.combine(value, datetime.min.time(), zone).astimezone(UTC))
    except (InputError, OverflowError) as exc:
        raise CalendarError(str(exc)) from None
    raise CalendarError(f"cannot read the time {str(value)[:40]!r}")


def import_ics(
    conn: sqlite3.Connection, config: Config, room_id: str, data: bytes, organiser: str, now: datetime, dry_run: bool = True
) -> ImportReport:
    """Book each future event of an .ics file into a room. Conflicts (with existing
    bookings or with each other) are listed, never booked; past, recurring and
    already-imported events are listed as skipped."""
    import icalendar  # lazily, as in feed()

    room = get_room(conn, room_id)
    try:
        cal = icalendar.Calendar.from_ical(data)
    except ValueError as exc:
        raise CalendarError(f"this is not an iCalendar (.ics) file: {exc}") from None
    zone = config.site.zone
    report = ImportReport(dry_run=dry_run)
    code = codes.new_code()
    code_hash = codes.hash_code(code)
    try:
        with transaction(conn):
            for event in cal.walk("VEVENT"):
                summary = str(event.get("summary", "")).strip() or "Booking"
                uid = str(event.get("uid", "")) or None
                try:
                    start = _moment(event.decoded("dtstart"), zone)
                    end = _moment(event.decoded("dtend"), zone) if event.get("dtend") else start + event.decoded("duration", timedelta(hours=1))
                except (KeyError, CalendarError, ValueError) as exc:
                    report.skipped.append({"title": summary, "reason": f"no usable start/end ({exc})"})
                    continue
                shown = {"title": summary, "start": rfc3339(start, zone), "end": rfc3339(end, zone)}
                reason = _skip_reason(conn, event, uid, end, now)
                if reason:
                    report.skipped.append({**shown, "reason": reason})
                    continue
                request = BookingRequest(room=room_id, start=start, end=end, title=summary, organiser=organiser,
                                         public=str(event.get("class", "")).upper() == "PUBLIC", imported=True, ical_uid=uid,
                                         made_by="import", source="import")
                try:
                    bookings.check_times(room, start, end, config, now, imported=True)
                    problem = bookings.clash(conn, room, start, end, config, now)
                    if problem:
                        raise problem
                    booking_id = bookings.insert(conn, room, request, bookings.initial_status(room, request), code_hash, now)
                except Conflict as exc:
                    report.conflicts.append({**shown, "detail": str(exc), "clash": exc.clash})
                    continue
                except BookingError as exc:
                    report.skipped.append({**shown, "reason": str(exc)})
                    continue
                reference = conn.execute("SELECT reference FROM bookings WHERE id = ?", (booking_id,)).fetchone()[0]
                report.booked.append({**shown, "reference": reference})
            if dry_run:
                raise _DryRun
            if report.booked:
                report.cancel_code = code
    except _DryRun:
        for item in report.booked:
            item.pop("reference", None)
    return report


def _skip_reason(conn: sqlite3.Connection, event: Any, uid: str | None, end: datetime, now: datetime) -> str | None:
    if event.get("rrule"):
        return "recurring events are not imported: add them as a recurring booking"
    if end <= now:
        return "already over"
    if str(event.get("status", "")).upper() == "CANCELLED":
        return "cancelled in the calendar"
    if uid and conn.execute("SELECT 1 FROM bookings WHERE ical_uid = ? AND status IN ('requested', 'confirmed')", (uid,)).fetchone():
        return "already imported"
    return None
