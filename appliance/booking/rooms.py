"""Rooms: what can be booked, its buffers and its opening hours.

A room's set-up and clean-up buffers are stored on the room and copied into each
booking's block (block_start_at / block_end_at) when it is written, so the overlap
check is one indexed range query.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from typing import Any

from appliance.core import hours
from appliance.core.clock import iso
from appliance.core.config import Config
from appliance.core.hours import DAYS
from appliance.core.inputs import InputError, clean_text

# Buffers are capped so the overlap query can bound its index range (see bookings.py).
MAX_BUFFER_MINUTES = 240
MAX_NAME = 80
MAX_NOTES = 500
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_HOURS = re.compile(r"^(closed|([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d)$")


class RoomError(Exception):
    """A room cannot be found, created or changed as asked."""


class UnknownRoom(RoomError):
    """No room has this id."""


@dataclass(frozen=True)
class Room:
    """A bookable (or not) space in the building."""

    id: str
    name: str
    capacity: int | None = None
    bookable: bool = True
    public: bool = True
    setup_minutes: int = 0
    cleanup_minutes: int = 0
    needs_approval: bool = False
    release_no_shows: bool = False
    opening_hours: dict[str, str] | None = None  # None: the site's hours
    accessibility: str = ""
    sort_order: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (what the API and the dashboard show; rooms hold nothing private)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def setup(self) -> timedelta:
        """The set-up buffer before each booking."""
        return timedelta(minutes=self.setup_minutes)

    @property
    def cleanup(self) -> timedelta:
        """The clean-up buffer after each booking."""
        return timedelta(minutes=self.cleanup_minutes)


def _from_row(row: sqlite3.Row) -> Room:
    return Room(
        id=row["id"],
        name=row["name"],
        capacity=row["capacity"],
        bookable=bool(row["bookable"]),
        public=bool(row["public"]),
        setup_minutes=row["setup_minutes"],
        cleanup_minutes=row["cleanup_minutes"],
        needs_approval=bool(row["needs_approval"]),
        release_no_shows=bool(row["release_no_shows"]),
        opening_hours=json.loads(row["opening_hours"]) if row["opening_hours"] else None,
        accessibility=row["accessibility"],
        sort_order=row["sort_order"],
    )


def list_rooms(conn: sqlite3.Connection, bookable_only: bool = False) -> list[Room]:
    """Every room in display order."""
    sql = "SELECT * FROM rooms" + (" WHERE bookable = 1" if bookable_only else "") + " ORDER BY sort_order, name"
    return [_from_row(r) for r in conn.execute(sql)]


def get_room(conn: sqlite3.Connection, room_id: str) -> Room:
    """The room with this id, or :class:`UnknownRoom`."""
    row = conn.execute("SELECT * FROM rooms WHERE id = ?", (room_id,)).fetchone()
    if row is None:
        raise UnknownRoom(f"there is no room {room_id!r}; GET /api/v1/rooms lists them")
    return _from_row(row)


def _cleaned(room: Room) -> Room:
    """The room with its typed text (name, accessibility notes) as appliance.core.inputs cleans it."""
    try:
        name = clean_text(room.name, "room name", MAX_NAME)
        notes = clean_text(room.accessibility, "accessibility notes", MAX_NOTES, multiline=True)
    except InputError as exc:
        raise RoomError(str(exc)) from None
    return replace(room, name=name, accessibility=notes)


def get_bookable(conn: sqlite3.Connection, room_id: str) -> Room:
    """The room with this id if it can be booked, else :class:`UnknownRoom` (the kiosk and
    the phone pages treat a room that cannot be booked as one that is not there)."""
    room = get_room(conn, room_id)
    if not room.bookable:
        raise UnknownRoom(f"{room.name} cannot be booked")
    return room


def _check(room: Room) -> None:
    if not isinstance(room.id, str) or not _ID.match(room.id):
        raise RoomError(f"room id {room.id!r} must be 1-32 lowercase letters, digits, '-' or '_'")
    if not room.name.strip():
        raise RoomError("a room needs a name")
    if room.capacity is not None and room.capacity < 1:
        raise RoomError(f"capacity {room.capacity} must be at least 1 (or empty)")
    for label, value in (("set-up", room.setup_minutes), ("clean-up", room.cleanup_minutes)):
        if not 0 <= value <= MAX_BUFFER_MINUTES:
            raise RoomError(f"{label} buffer {value} must be between 0 and {MAX_BUFFER_MINUTES} minutes")
    for day, text in (room.opening_hours or {}).items():
        if day not in DAYS:
            raise RoomError(f"opening hours: {day!r} is not one of {', '.join(DAYS)}")
        if not isinstance(text, str) or not _HOURS.match(text) or (text != "closed" and text[6:] <= text[:5]):
            raise RoomError(f"opening hours for {day}: {text!r} must be 'closed' or 'HH:MM-HH:MM'")


def _row(room: Room) -> dict[str, Any]:
    row = room.as_dict()
    row["opening_hours"] = json.dumps(room.opening_hours) if room.opening_hours else None
    for flag in ("bookable", "public", "needs_approval", "release_no_shows"):
        row[flag] = int(row[flag])
    return row


def create_room(conn: sqlite3.Connection, room: Room, now: datetime) -> Room:
    """Add a room (:class:`RoomError` if the id is taken or a value is wrong)."""
    room = _cleaned(room)
    _check(room)
    row = {**_row(room), "created_at": iso(now)}
    try:
        conn.execute(
            f"INSERT INTO rooms ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values())
        )
    except sqlite3.IntegrityError:
        raise RoomError(f"a room with id {room.id!r} already exists") from None
    return room


def update_room(conn: sqlite3.Connection, room_id: str, **changes: Any) -> Room:
    """Change some of a room's fields; return the room as now stored.

    Buffers apply to bookings written from now on; existing bookings keep the block
    they were confirmed with, so a change never turns an accepted booking into a clash.
    """
    current = get_room(conn, room_id)
    unknown = set(changes) - {f.name for f in fields(Room)} | ({"id"} & set(changes))
    if unknown:
        raise RoomError(f"cannot change {', '.join(sorted(unknown))} of a room")
    updated = _cleaned(Room(**{**current.as_dict(), **changes}))
    _check(updated)
    row = _row(updated)
    del row["id"]
    conn.execute(f"UPDATE rooms SET {', '.join(f'{k} = ?' for k in row)} WHERE id = ?", (*row.values(), room_id))
    return updated


def opening_window(room: Room, config: Config, day: date) -> tuple[datetime, datetime] | None:
    """When the room is open on a local day, as aware site-time datetimes; None when closed.

    The room's own hours win over the site's for the days it names (appliance.core.hours).
    """
    own = (room.opening_hours or {}).get(DAYS[day.weekday()])
    return hours.window(own or hours.site_hours(config, day), day, config.site.zone)
