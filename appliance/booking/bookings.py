"""Room bookings: create, look up, cancel, approve, edit. Arriving and no-shows are in
appliance.booking.attendance; the day's lists (what's on) in appliance.booking.whatson; references
and cancel codes in appliance.booking.codes.

The one rule that matters most: the blocks (booking plus the room's buffers) of live
bookings in a room never overlap. Every write checks it and writes inside the same
``BEGIN IMMEDIATE`` transaction, so two processes or fifty simultaneous requests
cannot both take a slot: SQLite lets one writer in at a time and the second sees the
first's booking.

Writes run in their own transaction, or inside the caller's when one is already open
(a recorder rule handling a fob tap). What MQTT shows of rooms follows by itself: each
role's write path refreshes the derived topics before COMMIT (appliance.storage.db).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from appliance.booking import availability
from appliance.booking.availability import MAX_BOOKING, Slot, nearest_free, on_grid
from appliance.booking.codes import hash_code, new_code, new_reference, normalise_code, verify_code
from appliance.booking.rooms import Room, RoomError, get_room, opening_window
from appliance.core.clock import iso, parse_iso, rfc3339
from appliance.core.config import Config
from appliance.core.inputs import InputError, check_moment, clean_text, parse_moment
from appliance.storage.db import transaction

MAX_TEXT = 200
# Who made a booking: the kiosk (its screens, its phone pages, the API without an admin's
# token), an admin (the dashboard, the API with a token, repeating bookings), an import.
MADE_BY = ("kiosk", "admin", "import")
# Where a booking came from (the dashboard says "asked from a phone"); made_by above is
# who is answerable for it, which decides no-show release.
SOURCES = ("", "kiosk", "api", "dashboard", "phone", "import")


class BookingError(Exception):
    """A booking cannot be made or changed as asked; the message says what to do."""

    status = 400


class UnknownBooking(BookingError):
    """No booking has this reference (or id)."""

    status = 404


class WrongCode(BookingError):
    """The cancel code does not match."""

    status = 403


class TooManyWaiting(BookingError):
    """Too many requests from this source already wait for an admin."""

    status = 429


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
    # Who made it (see MADE_BY) and whether it is released when nobody checks in (in a room
    # that releases no-shows): None means yes for a kiosk booking, no for an admin's.
    made_by: str = "kiosk"
    release_if_no_show: bool | None = None

    @property
    def releasable(self) -> bool:
        """Released when nobody checks in: a kiosk booking, or one an admin opted in."""
        if self.release_if_no_show is not None:
            return self.release_if_no_show
        return self.made_by == "kiosk"
    # Where it came from (SOURCES): the dashboard says "asked from a phone".
    source: str = ""
    # A request from a phone waits for an admin even in a room that needs no approval;
    # one an admin makes on the dashboard is confirmed even in a room that needs it.
    ask_first: bool = False
    approved: bool = False


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
    made_by: str = "kiosk"
    release_if_no_show: bool = True
    released_at: datetime | None = None
    release_reason: str = ""
    checked_in_by: str = ""
    source: str = ""

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
        made_by=row["made_by"],
        release_if_no_show=bool(row["release_if_no_show"]),
        released_at=parse_iso(row["released_at"]) if row["released_at"] else None,
        release_reason=row["release_reason"],
        checked_in_by=row["checked_in_by"],
        source=row["source"],
    )


# -- small parts -------------------------------------------------------------------------


def parse_time(text: str, config: Config, label: str = "time") -> datetime:
    """An ISO-8601 time as aware UTC; without an offset it is the site's wall time. Years
    outside 2000-2100 are refused (appliance.core.inputs), as is anything not a time."""
    try:
        return parse_moment(text, config.site.zone, label)
    except InputError as exc:
        raise BookingError(str(exc)) from None


def _text(value: Any, label: str, required: bool) -> str:
    """What a person typed, as appliance.core.inputs cleans it (no NUL, no control characters)."""
    try:
        return clean_text(value, label, MAX_TEXT, required=required)
    except InputError as exc:
        raise BookingError(str(exc)) from None


# -- rules -------------------------------------------------------------------------------


def check_times(
    room: Room, start: datetime, end: datetime, config: Config, now: datetime, imported: bool = False, occurrence: bool = False
) -> None:
    """Refuse times a person should change: reversed, too long, past, too far ahead,
    outside opening hours, off the slot grid. Overlap is checked separately. Later
    occurrences of a series (``occurrence``) may reach past max_days_ahead, to the horizon."""
    if start.tzinfo is None or end.tzinfo is None:
        raise BookingError("times must carry a timezone (use parse_time)")
    try:
        check_moment(start, "start")
        check_moment(end, "end")
    except InputError as exc:
        raise BookingError(str(exc)) from None
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
        "start": rfc3339(other_start, zone),
        "end": rfc3339(other_end, zone),
        "block_start": rfc3339(other["block_start_at"], zone),
        "block_end": rfc3339(other["block_end_at"], zone),
    }
    buffers = " (with set-up and clean-up time)" if room.setup_minutes or room.cleanup_minutes else ""
    message = (
        f"{room.name} is booked {other_start.astimezone(zone):%a %d %b %H:%M}-{other_end.astimezone(zone):%H:%M}"
        f"{buffers}; try one of the nearest free slots"
    )
    return Conflict(message, detail, nearest_free(conn, room, start, end, config, now, exclude))


def initial_status(room: Room, request: BookingRequest) -> str:
    """'requested' (the slot is held until an admin decides) or 'confirmed'."""
    if request.approved:
        return "confirmed"
    return "requested" if room.needs_approval or request.ask_first else "confirmed"


def insert(
    conn: sqlite3.Connection, room: Room, request: BookingRequest, status: str, code_hash: str, now: datetime,
    series_id: int | None = None, occurrence_start: datetime | None = None,
) -> int:
    """Store a booking row (the caller has checked times and overlap in this transaction)."""
    row = {
        "reference": new_reference(conn),
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
        "made_by": request.made_by,
        "release_if_no_show": int(request.releasable),
        "source": request.source if request.source in SOURCES else "",
        "created_at": iso(now),
        "updated_at": iso(now),
    }
    if request.made_by not in MADE_BY:
        raise BookingError(f"made_by {request.made_by!r} must be one of {', '.join(MADE_BY)}")
    if request.headcount is not None:
        if not isinstance(request.headcount, int) or request.headcount < 1:
            raise BookingError(f"headcount {request.headcount!r} must be a whole number of people, at least 1")
        if room.capacity is not None and request.headcount > room.capacity:
            raise BookingError(f"{room.name} holds {room.capacity}; {request.headcount} people will not fit")
    cursor = conn.execute(f"INSERT INTO bookings ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))
    return int(cursor.lastrowid or 0)


# -- the public API ----------------------------------------------------------------------


def book(
    conn: sqlite3.Connection, config: Config, request: BookingRequest, now: datetime, waiting_max: int | None = None,
) -> Booked:
    """Book a room: :class:`Conflict` on overlap, :class:`BookingError` on anything else wrong.

    Rooms that need approval (and requests that ask first) hold the slot as 'requested'
    until an admin decides. With ``waiting_max``, :class:`TooManyWaiting` when that many
    requests from the same source already wait (checked in the same transaction).
    """
    try:
        room = get_room(conn, request.room)
    except RoomError as exc:
        raise UnknownBooking(str(exc)) from None
    check_times(room, request.start, request.end, config, now, request.imported)
    code = new_code()
    code_hash = hash_code(code)  # slow on purpose: outside the write lock
    with transaction(conn):
        if waiting_max is not None and waiting(conn, request.source, now) >= waiting_max:
            raise TooManyWaiting(f"{waiting_max} requests already wait for a volunteer to approve them; "
                                 "try again later or ask at the entrance")
        problem = clash(conn, room, request.start, request.end, config, now)
        if problem:
            raise problem
        booking_id = insert(conn, room, request, initial_status(room, request), code_hash, now)
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
    with transaction(conn):
        booking = get_by_reference(conn, reference)
        if not verify_code(code or "", conn.execute(
            "SELECT cancel_code_hash FROM bookings WHERE id = ?", (booking.id,)).fetchone()[0]):
            raise WrongCode("that cancel code does not match this booking; it is on the booking receipt")
        if booking.status not in ("requested", "confirmed"):
            raise BookingError(f"booking {booking.reference} is already {booking.status}")
        if booking.end <= now:
            raise BookingError(f"booking {booking.reference} has already ended")
        _set_status(conn, booking, "cancelled", now)
    return get_booking(conn, booking.id)


def cancel_by_admin(conn: sqlite3.Connection, config: Config, booking_id: int, admin: str, now: datetime) -> Booking:
    """Cancel without the code (the dashboard, an admin signed in)."""
    with transaction(conn):
        booking = get_booking(conn, booking_id)
        if booking.status not in ("requested", "confirmed"):
            raise BookingError(f"booking {booking.reference} is already {booking.status}")
        _set_status(conn, booking, "cancelled", now)
    return get_booking(conn, booking_id)


def _decide(conn: sqlite3.Connection, config: Config, booking_id: int, admin: str, now: datetime, status: str) -> Booking:
    if not admin:
        raise BookingError("an approval needs the admin's name")
    with transaction(conn):
        booking = get_booking(conn, booking_id)
        if booking.status != "requested":
            raise BookingError(f"booking {booking.reference} is {booking.status}, not waiting for approval")
        _set_status(conn, booking, status, now)
    return get_booking(conn, booking_id)


def approve(conn: sqlite3.Connection, config: Config, booking_id: int, admin: str, now: datetime) -> Booking:
    """Confirm a requested booking (its slot was already held, so this cannot clash)."""
    return _decide(conn, config, booking_id, admin, now, "confirmed")


def decline(conn: sqlite3.Connection, config: Config, booking_id: int, admin: str, now: datetime) -> Booking:
    """Turn down a requested booking; its slot is free again."""
    return _decide(conn, config, booking_id, admin, now, "declined")


def waiting(conn: sqlite3.Connection, source: str, now: datetime) -> int:
    """How many bookings from ``source`` wait for approval and have not yet ended."""
    row = conn.execute("SELECT count(*) FROM bookings WHERE source = ? AND status = 'requested' AND end_at > ?",
                       (source, iso(now))).fetchone()
    return int(row[0])


def pending_approval(conn: sqlite3.Connection) -> list[Booking]:
    """Bookings waiting for an admin, soonest first."""
    rows = conn.execute("SELECT * FROM bookings WHERE status = 'requested' ORDER BY start_at")
    return [from_row(r) for r in rows]


EDITABLE = ("start", "end", "title", "public", "organiser", "contact", "group", "headcount", "person_id",
            "release_if_no_show")


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
    person_id = changes.get("person_id", booking.person_id)
    if person_id is not None and conn.execute("SELECT 1 FROM people WHERE id = ?", (person_id,)).fetchone() is None:
        raise BookingError(f"there is no person #{person_id} to link the booking to")
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
        "person_id": changes.get("person_id", booking.person_id),
        "release_if_no_show": int(bool(changes.get("release_if_no_show", booking.release_if_no_show))),
        "updated_at": iso(now),
    }
    conn.execute(f"UPDATE bookings SET {', '.join(f'{k} = ?' for k in fields)} WHERE id = ?", (*fields.values(), booking.id))
    return None


def edit(conn: sqlite3.Connection, config: Config, booking_id: int, now: datetime, **changes: Any) -> Booking:
    """Change one booking (times re-checked, overlap excluding itself). For a series
    occurrence this makes it an exception; the rest of the series is untouched."""
    with transaction(conn):
        booking = get_booking(conn, booking_id)
        problem = apply_edit(conn, config, booking, changes, now)
        if problem:
            raise problem
        if booking.series_id is not None and booking.occurrence_start is not None:
            mark_exception(conn, booking.series_id, booking.occurrence_start, "edited", now)
    return get_booking(conn, booking_id)
