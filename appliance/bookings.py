"""Room bookings: create, look up, cancel, approve, edit. Arriving and no-shows are in
appliance.attendance; the day's lists (what's on) in appliance.whatson.

The one rule that matters most: the blocks (booking plus the room's buffers) of live
bookings in a room never overlap. Every write checks it and writes inside the same
``BEGIN IMMEDIATE`` transaction, so two processes or fifty simultaneous requests
cannot both take a slot: SQLite lets one writer in at a time and the second sees the
first's booking.

Writes run in their own transaction, or inside the caller's when one is already open
(a recorder rule handling a fob tap). After each write appliance.publishing's
``refresh`` runs in the same transaction so rooms/<id> on MQTT follows.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from appliance import availability, publishing
from appliance.availability import MAX_BOOKING, Slot, nearest_free, on_grid
from appliance.clock import iso, parse_iso
from appliance.config import Config
from appliance.db import transaction
from appliance.rooms import Room, RoomError, get_room, opening_window

# Booking references and cancel codes: no 0/O, 1/I/L, 2/Z, 5/S, 8/B, so they survive
# being read aloud, handwritten or typed on a touchscreen.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
REFERENCE_LENGTH = 6
CODE_LENGTH = 6
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
MAX_TEXT = 200


class BookingError(Exception):
    """A booking cannot be made or changed as asked; the message says what to do."""

    status = 400


class UnknownBooking(BookingError):
    """No booking has this reference (or id)."""

    status = 404


class WrongCode(BookingError):
    """The cancel code does not match."""

    status = 403


class Conflict(BookingError):
    """The slot overlaps another booking (buffers included)."""

    status = 409

    def __init__(self, message: str, clash: dict[str, str], nearest: list[Slot]) -> None:
        super().__init__(message)
        self.clash = clash
        self.nearest = nearest


@dataclass(frozen=True, kw_only=True)
class BookingRequest:
    """What someone asked for; times are aware datetimes (see :func:`parse_time`)."""

    room: str
    start: datetime
    end: datetime
    title: str
    organiser: str
    contact: str = ""
    public: bool = False
    group: str = ""
    headcount: int | None = None
    person_id: int | None = None
    # Imports keep their own times: not snapped to the grid, may start in the past.
    imported: bool = False
    ical_uid: str | None = None


@dataclass(frozen=True)
class Booking:
    """A stored booking (times aware UTC). ``contact`` is private: never publish or show it."""

    id: int
    reference: str
    room_id: str
    start: datetime
    end: datetime
    block_start: datetime
    block_end: datetime
    title: str
    public: bool
    organiser: str
    contact: str
    group: str
    headcount: int | None
    status: str
    series_id: int | None
    occurrence_start: datetime | None
    checked_in_at: datetime | None
    person_id: int | None

    @property
    def public_title(self) -> str:
        """The title anyone may see: the real one only for public bookings."""
        return self.title if self.public else "Booked"


@dataclass(frozen=True)
class Booked:
    """A new booking and the cancel code to give the booker (shown once, stored hashed)."""

    booking: Booking
    cancel_code: str
    warnings: list[str] = field(default_factory=list)


def from_row(row: sqlite3.Row) -> Booking:
    """A bookings row as a :class:`Booking`."""
    return Booking(
        id=row["id"],
        reference=row["reference"],
        room_id=row["room_id"],
        start=parse_iso(row["start_at"]),
        end=parse_iso(row["end_at"]),
        block_start=parse_iso(row["block_start_at"]),
        block_end=parse_iso(row["block_end_at"]),
        title=row["title"],
        public=bool(row["public"]),
        organiser=row["organiser"],
        contact=row["contact"],
        group=row["group_name"],
        headcount=row["headcount"],
        status=row["status"],
        series_id=row["series_id"],
        occurrence_start=parse_iso(row["occurrence_start"]) if row["occurrence_start"] else None,
        checked_in_at=parse_iso(row["checked_in_at"]) if row["checked_in_at"] else None,
        person_id=row["person_id"],
    )


# -- small parts -------------------------------------------------------------------------


def parse_time(text: str, config: Config) -> datetime:
    """An ISO-8601 time as aware UTC; without an offset it is the site's wall time."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise BookingError(f"{text!r} is not a date and time; use ISO-8601 like 2026-03-02T18:30") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=config.site.zone)
    return value.astimezone(UTC)


def new_code(length: int = CODE_LENGTH) -> str:
    """A short random code from the unambiguous alphabet."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def hash_code(code: str) -> str:
    """How a cancel code is stored: scrypt with a random salt (slow on purpose: codes are short)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(normalise_code(code).encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def normalise_code(code: str) -> str:
    """Codes are case-blind and ignore spaces and dashes people type in."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def verify_code(code: str, stored: str) -> bool:
    """The code matches its stored hash (constant-time compare)."""
    try:
        _, salt, digest = stored.split("$")
        actual = hashlib.scrypt(normalise_code(code).encode(), salt=bytes.fromhex(salt), **_SCRYPT)
    except ValueError:
        return False
    return hmac.compare_digest(actual.hex(), digest)


@contextlib.contextmanager
def write_tx(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE, unless the caller already holds a transaction (then join it)."""
    if conn.in_transaction:
        yield conn
        return
    with transaction(conn):
        yield conn


def refresh_published(conn: sqlite3.Connection, config: Config, now: datetime) -> None:
    """Let appliance.publishing update rooms/<id> and status in this same transaction."""
    publishing.refresh(conn, config, now)


def _reference(conn: sqlite3.Connection) -> str:
    while True:  # 25^6 = 244 million: a collision is rare, and then we draw again
        ref = new_code(REFERENCE_LENGTH)
        if conn.execute("SELECT 1 FROM bookings WHERE reference = ?", (ref,)).fetchone() is None:
            return ref


def _text(value: Any, label: str, required: bool) -> str:
    if not isinstance(value, str):
        raise BookingError(f"{label} must be text")
    value = value.strip()
    if required and not value:
        raise BookingError(f"{label} is required")
    if len(value) > MAX_TEXT:
        raise BookingError(f"{label} is longer than {MAX_TEXT} characters")
    return value


# -- rules -------------------------------------------------------------------------------


def check_times(
    room: Room, start: datetime, end: datetime, config: Config, now: datetime, imported: bool = False, occurrence: bool = False
) -> None:
    """Refuse times a person should change: reversed, too long, past, too far ahead,
    outside opening hours, off the slot grid. Overlap is checked separately. Later
    occurrences of a series (``occurrence``) may reach past max_days_ahead, to the horizon."""
    if start.tzinfo is None or end.tzinfo is None:
        raise BookingError("times must carry a timezone (use parse_time)")
    zone = config.site.zone
    shown = f"{start.astimezone(zone):%a %d %b %H:%M}-{end.astimezone(zone):%H:%M}"
    if end <= start:
        raise BookingError(f"the end ({end.astimezone(zone):%H:%M}) must be after the start ({start.astimezone(zone):%H:%M})")
    if end - start > MAX_BOOKING:
        raise BookingError(f"{shown} is longer than {MAX_BOOKING.total_seconds() / 3600:.0f} hours; book separate days")
    if imported:
        return
    if not room.bookable:
        raise BookingError(f"{room.name} cannot be booked")
    if start < now:
        raise BookingError(f"{shown} has already started; choose a time from now on")
    if not occurrence and start > now + timedelta(days=config.bookings.max_days_ahead):
        raise BookingError(f"bookings open {config.bookings.max_days_ahead} days ahead; {shown} is further than that")
    step = config.bookings.granularity_minutes
    if not (on_grid(start, config) and on_grid(end, config)):
        raise BookingError(f"{shown}: bookings start and end on the {step}-minute marks (e.g. :00, :{step:02d})")
    window = opening_window(room, config, start.astimezone(zone).date())
    if window is None:
        raise BookingError(f"{room.name} is closed on {start.astimezone(zone):%A %d %B}")
    opens, closes = window
    if start < opens or end > closes:
        raise BookingError(f"{room.name} is open {opens:%H:%M}-{closes:%H:%M} that day; {shown} is outside it")


def clash(
    conn: sqlite3.Connection, room: Room, start: datetime, end: datetime, config: Config, now: datetime,
    exclude: int | None = None,
) -> Conflict | None:
    """A :class:`Conflict` if [start, end) plus the room's buffers overlaps a live block."""
    rows = availability.blocks(conn, room.id, start - room.setup, end + room.cleanup, exclude)
    if not rows:
        return None
    zone = config.site.zone
    other = rows[0]
    other_start, other_end = parse_iso(other["start_at"]), parse_iso(other["end_at"])
    detail = {
        "start": other_start.astimezone(zone).isoformat(timespec="minutes"),
        "end": other_end.astimezone(zone).isoformat(timespec="minutes"),
        "block_start": parse_iso(other["block_start_at"]).astimezone(zone).isoformat(timespec="minutes"),
        "block_end": parse_iso(other["block_end_at"]).astimezone(zone).isoformat(timespec="minutes"),
    }
    buffers = " (with set-up and clean-up time)" if room.setup_minutes or room.cleanup_minutes else ""
    message = (
        f"{room.name} is booked {other_start.astimezone(zone):%a %d %b %H:%M}-{other_end.astimezone(zone):%H:%M}"
        f"{buffers}; try one of the nearest free slots"
    )
    return Conflict(message, detail, nearest_free(conn, room, start, end, config, now, exclude))


def insert(
    conn: sqlite3.Connection, room: Room, request: BookingRequest, status: str, code_hash: str, now: datetime,
    series_id: int | None = None, occurrence_start: datetime | None = None,
) -> int:
    """Store a booking row (the caller has checked times and overlap in this transaction)."""
    row = {
        "reference": _reference(conn),
        "room_id": room.id,
        "start_at": iso(request.start),
        "end_at": iso(request.end),
        "block_start_at": iso(request.start - room.setup),
        "block_end_at": iso(request.end + room.cleanup),
        "title": _text(request.title, "title", True),
        "public": int(bool(request.public)),
        "organiser": _text(request.organiser, "organiser", True),
        "contact": _text(request.contact, "contact", False),
        "group_name": _text(request.group, "group", False),
        "headcount": request.headcount,
        "status": status,
        "cancel_code_hash": code_hash,
        "series_id": series_id,
        "occurrence_start": iso(occurrence_start) if occurrence_start else None,
        "person_id": request.person_id,
        "ical_uid": request.ical_uid,
        "created_at": iso(now),
        "updated_at": iso(now),
    }
    if request.headcount is not None:
        if not isinstance(request.headcount, int) or request.headcount < 1:
            raise BookingError(f"headcount {request.headcount!r} must be a whole number of people, at least 1")
        if room.capacity is not None and request.headcount > room.capacity:
            raise BookingError(f"{room.name} holds {room.capacity}; {request.headcount} people will not fit")
    cursor = conn.execute(f"INSERT INTO bookings ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))
    return int(cursor.lastrowid or 0)


# -- the public API ----------------------------------------------------------------------


def book(conn: sqlite3.Connection, config: Config, request: BookingRequest, now: datetime) -> Booked:
    """Book a room: :class:`Conflict` on overlap, :class:`BookingError` on anything else wrong.

    Rooms that need approval hold the slot as 'requested' until an admin decides.
    """
    try:
        room = get_room(conn, request.room)
    except RoomError as exc:
        raise UnknownBooking(str(exc)) from None
    check_times(room, request.start, request.end, config, now, request.imported)
    code = new_code()
    code_hash = hash_code(code)  # slow on purpose: outside the write lock
    with write_tx(conn):
        problem = clash(conn, room, request.start, request.end, config, now)
        if problem:
            raise problem
        status = "requested" if room.needs_approval else "confirmed"
        booking_id = insert(conn, room, request, status, code_hash, now)
        refresh_published(conn, config, now)
    return Booked(get_booking(conn, booking_id), code)


def get_booking(conn: sqlite3.Connection, booking_id: int) -> Booking:
    """A booking by its id (:class:`UnknownBooking` if none)."""
    row = conn.execute("SELECT * FROM bookings WHERE id = ?", (booking_id,)).fetchone()
    if row is None:
        raise UnknownBooking(f"there is no booking #{booking_id}")
    return from_row(row)


def get_by_reference(conn: sqlite3.Connection, reference: str) -> Booking:
    """A booking by its reference, typed any case (:class:`UnknownBooking` if none)."""
    ref = normalise_code(reference or "")
    row = conn.execute("SELECT * FROM bookings WHERE reference = ?", (ref,)).fetchone()
    if row is None:
        raise UnknownBooking(f"there is no booking with reference {reference!r}; check the letters on your receipt")
    return from_row(row)


def _set_status(conn: sqlite3.Connection, booking: Booking, status: str, now: datetime) -> None:
    conn.execute("UPDATE bookings SET status = ?, updated_at = ? WHERE id = ?", (status, iso(now), booking.id))
    if booking.series_id is not None and booking.occurrence_start is not None and status in ("cancelled", "declined"):
        mark_exception(conn, booking.series_id, booking.occurrence_start, "cancelled", now)


def mark_exception(conn: sqlite3.Connection, series_id: int, occurrence: datetime, kind: str, now: datetime) -> None:
    """Remember that one occurrence of a series differs from its rule (a cancel wins over an edit)."""
    conn.execute(
        "INSERT INTO booking_exceptions (series_id, occurrence_start, kind, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (series_id, occurrence_start) DO UPDATE SET kind ="
        " CASE WHEN booking_exceptions.kind = 'cancelled' THEN 'cancelled' ELSE excluded.kind END",
        (series_id, iso(occurrence), kind, iso(now)),
    )


def cancel(conn: sqlite3.Connection, config: Config, reference: str, code: str, now: datetime) -> Booking:
    """Cancel with the booker's code. One occurrence of a series: the rest of the series stays."""
    with write_tx(conn):
        booking = get_by_reference(conn, reference)
        if not verify_code(code or "", conn.execute(
            "SELECT cancel_code_hash FROM bookings WHERE id = ?", (booking.id,)).fetchone()[0]):
            raise WrongCode("that cancel code does not match this booking; it is on the booking receipt")
        if booking.status not in ("requested", "confirmed"):
            raise BookingError(f"booking {booking.reference} is already {booking.status}")
        if booking.end <= now:
            raise BookingError(f"booking {booking.reference} has already ended")
        _set_status(conn, booking, "cancelled", now)
        refresh_published(conn, config, now)
    return get_booking(conn, booking.id)


def cancel_by_admin(conn: sqlite3.Connection, config: Config, booking_id: int, admin: str, now: datetime) -> Booking:
    """Cancel without the code (the dashboard, an admin signed in)."""
    with write_tx(conn):
        booking = get_booking(conn, booking_id)
        if booking.status not in ("requested", "confirmed"):
            raise BookingError(f"booking {booking.reference} is already {booking.status}")
        _set_status(conn, booking, "cancelled", now)
        refresh_published(conn, config, now)
    return get_booking(conn, booking_id)


def _decide(conn: sqlite3.Connection, config: Config, booking_id: int, admin: str, now: datetime, status: str) -> Booking:
    if not admin:
        raise BookingError("an approval needs the admin's name")
    with write_tx(conn):
        booking = get_booking(conn, booking_id)
        if booking.status != "requested":
            raise BookingError(f"booking {booking.reference} is {booking.status}, not waiting for approval")
        _set_status(conn, booking, status, now)
        refresh_published(conn, config, now)
    return get_booking(conn, booking_id)


def approve(conn: sqlite3.Connection, config: Config, booking_id: int, admin: str, now: datetime) -> Booking:
    """Confirm a requested booking (its slot was already held, so this cannot clash)."""
    return _decide(conn, config, booking_id, admin, now, "confirmed")


def decline(conn: sqlite3.Connection, config: Config, booking_id: int, admin: str, now: datetime) -> Booking:
    """Turn down a requested booking; its slot is free again."""
    return _decide(conn, config, booking_id, admin, now, "declined")


def pending_approval(conn: sqlite3.Connection) -> list[Booking]:
    """Bookings waiting for an admin, soonest first."""
    rows = conn.execute("SELECT * FROM bookings WHERE status = 'requested' ORDER BY start_at")
    return [from_row(r) for r in rows]


EDITABLE = ("start", "end", "title", "public", "organiser", "contact", "group", "headcount")


def apply_edit(
    conn: sqlite3.Connection, config: Config, booking: Booking, changes: dict[str, Any], now: datetime
) -> Conflict | None:
    """Write changes to one booking inside the caller's transaction; a Conflict is returned, not raised,
    so a series edit can list every clash before rolling back."""
    if unknown := set(changes) - set(EDITABLE):
        raise BookingError(f"cannot change {', '.join(sorted(unknown))} of a booking")
    if booking.status not in ("requested", "confirmed"):
        raise BookingError(f"booking {booking.reference} is {booking.status} and cannot be changed")
    room = get_room(conn, booking.room_id)
    start, end = changes.get("start", booking.start), changes.get("end", booking.end)
    if (start, end) != (booking.start, booking.end):
        check_times(room, start, end, config, now, occurrence=booking.series_id is not None)
        problem = clash(conn, room, start, end, config, now, exclude=booking.id)
        if problem:
            return problem
    fields = {
        "start_at": iso(start), "end_at": iso(end),
        "block_start_at": iso(start - room.setup), "block_end_at": iso(end + room.cleanup),
        "title": _text(changes.get("title", booking.title), "title", True),
        "public": int(bool(changes.get("public", booking.public))),
        "organiser": _text(changes.get("organiser", booking.organiser), "organiser", True),
        "contact": _text(changes.get("contact", booking.contact), "contact", False),
        "group_name": _text(changes.get("group", booking.group), "group", False),
        "headcount": changes.get("headcount", booking.headcount),
        "updated_at": iso(now),
    }
    conn.execute(f"UPDATE bookings SET {', '.join(f'{k} = ?' for k in fields)} WHERE id = ?", (*fields.values(), booking.id))
    return None


def edit(conn: sqlite3.Connection, config: Config, booking_id: int, now: datetime, **changes: Any) -> Booking:
    """Change one booking (times re-checked, overlap excluding itself). For a series
    occurrence this makes it an exception; the rest of the series is untouched."""
    with write_tx(conn):
        booking = get_booking(conn, booking_id)
        problem = apply_edit(conn, config, booking, changes, now)
        if problem:
            raise problem
        if booking.series_id is not None and booking.occurrence_start is not None:
            mark_exception(conn, booking.series_id, booking.occurrence_start, "edited", now)
        refresh_published(conn, config, now)
    return get_booking(conn, booking_id)
