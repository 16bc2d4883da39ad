"""Recurring series of bookings: plan, create, extend, edit one or this-and-following.

Occurrences are ordinary rows in bookings (series_id, occurrence_start), stored up to
``bookings.horizon_days`` ahead and extended by housekeeping. What differs from the
rule for one occurrence is a row in booking_exceptions keyed by the start the rule
gave it, so regenerating or splitting a series never resurrects a cancelled
occurrence nor overwrites an edited one (MRBS #659 lost them on a series edit).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from appliance.booking import recurrence
from appliance.booking.bookings import (
    BookingError,
    BookingRequest,
    Conflict,
    apply_edit,
    check_times,
    clash,
    from_row,
    get_booking,
    insert,
    mark_exception,
)
from appliance.booking.codes import hash_code, new_code
from appliance.booking.rooms import Room, RoomError, get_room
from appliance.core.clock import Clock, iso, parse_iso, rfc3339
from appliance.core.config import Config
from appliance.storage.db import Database, transaction

_WALL = "%Y-%m-%dT%H:%M"


class SeriesConflict(BookingError):
    """Some occurrences clash; nothing was saved. ``conflicts`` lists each one."""

    status = 409

    def __init__(self, message: str, conflicts: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.conflicts = conflicts


@dataclass(frozen=True)
class Plan:
    """What a series would store now: each occurrence's start and any clash."""

    occurrences: list[datetime]
    conflicts: list[dict[str, Any]]


def _conflict_entry(start: datetime, problem: BookingError, config: Config) -> dict[str, Any]:
    entry: dict[str, Any] = {"occurrence": rfc3339(start, config.site.zone), "detail": str(problem)}
    if isinstance(problem, Conflict):
        entry["clash"] = problem.clash
        entry["nearest"] = [s.as_dict(config.site.zone) for s in problem.nearest]
    return entry


def _horizon(config: Config, now: datetime) -> datetime:
    return now + timedelta(days=config.bookings.horizon_days)


def plan(conn: sqlite3.Connection, config: Config, request: BookingRequest, rule_text: str, now: datetime) -> Plan:
    """A dry run: the occurrences within the horizon and, per occurrence, what is wrong."""
    rule = recurrence.parse(rule_text)
    try:
        room = get_room(conn, request.room)
    except RoomError as exc:
        raise BookingError(str(exc)) from None
    check_times(room, request.start, request.end, config, now)
    zone = config.site.zone
    wall = request.start.astimezone(zone).replace(tzinfo=None)
    length = request.end - request.start
    starts = rule.between(wall, zone, request.start, _horizon(config, now))
    conflicts = []
    for start in starts:
        try:
            check_times(room, start, start + length, config, now, occurrence=True)
            problem = clash(conn, room, start, start + length, config, now)
        except BookingError as exc:
            problem = exc  # type: ignore[assignment]
        if problem:
            conflicts.append(_conflict_entry(start, problem, config))
    return Plan(starts, conflicts)


def create(
    conn: sqlite3.Connection, config: Config, request: BookingRequest, rule_text: str, now: datetime,
    skip_conflicts: bool = False, moves: dict[datetime, tuple[datetime, datetime]] | None = None,
) -> tuple[int, str, list[int]]:
    """Store a series and its occurrences within the horizon; return (series id, cancel code, booking ids).

    If any occurrence clashes, :class:`SeriesConflict` lists them all and nothing is
    saved, unless each is dealt with: ``moves`` books an occurrence (keyed by the start
    the rule gave it) at another time instead, kept as an 'edited' occurrence of the
    series; ``skip_conflicts`` leaves the rest out (kept as 'clashed' exceptions). A
    move that does not fit either is listed too, and again nothing is saved.
    """
    moves = moves or {}
    code = new_code()
    code_hash = hash_code(code)
    with transaction(conn):
        found = plan(conn, config, request, rule_text, now)
        if not found.occurrences:
            raise BookingError(f"the rule {rule_text!r} gives no dates from {request.start:%d %b %Y}")
        unsettled = [c for c in found.conflicts if parse_iso(c["occurrence"]) not in moves]
        if unsettled and not skip_conflicts:
            raise SeriesConflict(f"{len(unsettled)} of {len(found.occurrences)} dates clash; nothing was booked", unsettled)
        zone = config.site.zone
        room = get_room(conn, request.room)
        cursor = conn.execute(
            "INSERT INTO booking_series (room_id, rrule, dtstart_local, duration_minutes, title, public, organiser,"
            " contact, group_name, headcount, person_id, cancel_code_hash, status, generated_until, created_at, updated_at,"
            " release_if_no_show, approved, source)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?)",
            (room.id, recurrence.parse(rule_text).text, request.start.astimezone(zone).strftime(_WALL),
             int((request.end - request.start).total_seconds() // 60), request.title, int(request.public),
             request.organiser, request.contact, request.group, request.headcount, request.person_id, code_hash,
             iso(_horizon(config, now)), iso(now), iso(now),
             # a repeating booking is an admin's: released only when they opted it in
             int(bool(request.release_if_no_show)), int(request.approved), request.source),
        )
        series_id = int(cursor.lastrowid or 0)
        ids = _store(conn, config, series_id, found.occurrences, now, code_hash)
        ids += _move(conn, config, series_id, moves, found.occurrences, now, code_hash)
    return series_id, code, ids


def _move(
    conn: sqlite3.Connection, config: Config, series_id: int, moves: dict[datetime, tuple[datetime, datetime]],
    starts: list[datetime], now: datetime, code_hash: str,
) -> list[int]:
    """Book the occurrences the organiser moved, each at its new time (inside create's transaction)."""
    series = _template(conn, series_id)
    room = get_room(conn, series["room_id"])
    request = _request(series, room.id, now)
    ids, problems = [], []
    for occurrence, (start, end) in sorted(moves.items()):
        if occurrence not in starts:
            raise BookingError(f"{rfc3339(occurrence, config.site.zone)} is not one of this series' dates")
        try:
            check_times(room, start, end, config, now, occurrence=True)
            problem: BookingError | None = clash(conn, room, start, end, config, now)
        except BookingError as exc:
            problem = exc
        if problem:
            problems.append({**_conflict_entry(occurrence, problem, config), "moved_to": rfc3339(start, config.site.zone)})
            continue
        conn.execute("DELETE FROM booking_exceptions WHERE series_id = ? AND occurrence_start = ?", (series_id, iso(occurrence)))
        moved = replace(request, start=start, end=end)
        ids.append(insert(conn, room, moved, _status(room, series), code_hash, now, series_id=series_id, occurrence_start=occurrence))
        mark_exception(conn, series_id, occurrence, "edited", now)
    if problems:
        raise SeriesConflict(f"{len(problems)} of the new times you chose do not fit either; nothing was booked", problems)
    return ids


def _request(series: sqlite3.Row, room_id: str, now: datetime) -> BookingRequest:
    """The series' template as a request (times are set per occurrence)."""
    return BookingRequest(
        room=room_id, start=now, end=now, title=series["title"], organiser=series["organiser"], contact=series["contact"],
        public=bool(series["public"]), group=series["group_name"], headcount=series["headcount"], person_id=series["person_id"],
        source=series["source"], approved=bool(series["approved"]),
        made_by="admin", release_if_no_show=bool(series["release_if_no_show"]),
    )


def _status(room: Room, series: sqlite3.Row) -> str:
    return "confirmed" if series["approved"] or not room.needs_approval else "requested"


def _template(conn: sqlite3.Connection, series_id: int) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM booking_series WHERE id = ?", (series_id,)).fetchone()
    if row is None:
        raise BookingError(f"there is no series #{series_id}")
    return row


def _store(
    conn: sqlite3.Connection, config: Config, series_id: int, starts: list[datetime], now: datetime, code_hash: str
) -> list[int]:
    """Insert the occurrences that are neither stored nor exceptions; a clash becomes a 'clashed' exception."""
    series = _template(conn, series_id)
    room = get_room(conn, series["room_id"])
    length = timedelta(minutes=series["duration_minutes"])
    done = {r[0] for r in conn.execute(
        "SELECT occurrence_start FROM bookings WHERE series_id = ? UNION SELECT occurrence_start FROM booking_exceptions WHERE series_id = ?",
        (series_id, series_id))}
    request = _request(series, room.id, now)
    ids = []
    for start in starts:
        if iso(start) in done:
            continue
        try:
            check_times(room, start, start + length, config, now, occurrence=True)
            problem = clash(conn, room, start, start + length, config, now)
        except BookingError:
            problem = True  # type: ignore[assignment]
        if problem:
            mark_exception(conn, series_id, start, "clashed", now)
            continue
        occurrence = replace(request, start=start, end=start + length)
        ids.append(insert(conn, room, occurrence, _status(room, series), code_hash, now, series_id=series_id, occurrence_start=start))
    return ids


def extend(conn: sqlite3.Connection, config: Config, now: datetime) -> int:
    """Store occurrences of active series up to the horizon; return how many were added."""
    added = 0
    horizon = _horizon(config, now)
    with transaction(conn):
        for series in conn.execute(
            "SELECT * FROM booking_series WHERE status = 'active' AND generated_until < ?", (iso(horizon),)
        ).fetchall():
            rule = recurrence.parse(series["rrule"])
            wall = datetime.strptime(series["dtstart_local"], _WALL)
            starts = rule.between(wall, config.site.zone, parse_iso(series["generated_until"]), horizon)
            added += len(_store(conn, config, series["id"], starts, now, series["cancel_code_hash"]))
            conn.execute("UPDATE booking_series SET generated_until = ?, updated_at = ? WHERE id = ?", (iso(horizon), iso(now), series["id"]))
    return added


def extend_job(db: Database, config: Config, clock: Clock) -> None:
    """Housekeeping: keep every active series stored up to the horizon."""
    extend(db.conn(), config, clock.now())


def occurrences(conn: sqlite3.Connection, series_id: int) -> list[Any]:
    """The stored occurrences of a series (any status), in order."""
    return [from_row(r) for r in conn.execute("SELECT * FROM bookings WHERE series_id = ? ORDER BY occurrence_start", (series_id,))]


def exceptions(conn: sqlite3.Connection, series_id: int) -> dict[str, str]:
    """Occurrence start (UTC ISO) -> 'cancelled' / 'edited' / 'clashed'."""
    return dict(conn.execute("SELECT occurrence_start, kind FROM booking_exceptions WHERE series_id = ?", (series_id,)).fetchall())


def edit_occurrence(
    conn: sqlite3.Connection, config: Config, booking_id: int, now: datetime, scope: str = "this", **changes: Any
) -> list[int]:
    """Edit one occurrence (``scope="this"``) or it and every later one (``"following"``).

    "following" moves the later occurrences by the same shift in start and end and
    applies the other changes, and makes the series' rule produce the new times from
    then on; occurrences that are already exceptions (edited or cancelled) keep their
    own times and state. Every clash is listed (SeriesConflict) before anything is
    saved. Returns the ids of the bookings changed.
    """
    if scope not in ("this", "following"):
        raise BookingError(f"scope must be 'this' or 'following', not {scope!r}")
    with transaction(conn):
        booking = get_booking(conn, booking_id)
        if booking.series_id is None or booking.occurrence_start is None:
            raise BookingError(f"booking {booking.reference} is not part of a series")
        targets = [booking]
        if scope == "following":
            kept = exceptions(conn, booking.series_id)
            targets += [
                b for b in occurrences(conn, booking.series_id)
                if b.occurrence_start and b.occurrence_start > booking.occurrence_start
                and iso(b.occurrence_start) not in kept and b.status in ("requested", "confirmed")
            ]
        shift_start = changes.get("start", booking.start) - booking.start
        shift_end = changes.get("end", booking.end) - booking.end
        others = {k: v for k, v in changes.items() if k not in ("start", "end")}
        conflicts = []
        for target in targets:
            moved = {"start": target.start + shift_start, "end": target.end + shift_end, **others}
            try:
                problem = apply_edit(conn, config, target, moved, now)
            except BookingError as exc:
                problem = exc  # type: ignore[assignment]
            if problem:
                conflicts.append(_conflict_entry(moved["start"], problem, config))
        if conflicts:
            raise SeriesConflict(f"{len(conflicts)} of {len(targets)} dates clash; nothing was changed", conflicts)
        if scope == "this":
            mark_exception(conn, booking.series_id, booking.occurrence_start, "edited", now)
        else:
            _retemplate(conn, config, booking.series_id, shift_start, shift_end, others, now)
    return [t.id for t in targets]


def _retemplate(
    conn: sqlite3.Connection, config: Config, series_id: int, shift_start: timedelta, shift_end: timedelta,
    others: dict[str, Any], now: datetime,
) -> None:
    """After a this-and-following edit, occurrences generated later take the new form.

    Stored occurrences keep their occurrence_start (the key exceptions hang on), so
    the rule's own dates stay the identity of each occurrence; the template gains a
    shift applied when later ones are generated. Simplest honest form: the series
    template changes (times of day, length, title...) for occurrences not yet stored.
    """
    series = _template(conn, series_id)
    fields = {
        "duration_minutes": series["duration_minutes"] + int((shift_end - shift_start).total_seconds() // 60),
        "title": others.get("title", series["title"]),
        "public": int(bool(others.get("public", series["public"]))),
        "organiser": others.get("organiser", series["organiser"]),
        "contact": others.get("contact", series["contact"]),
        "group_name": others.get("group", series["group_name"]),
        "headcount": others.get("headcount", series["headcount"]),
        "person_id": others.get("person_id", series["person_id"]),
        "release_if_no_show": int(bool(others.get("release_if_no_show", series["release_if_no_show"]))),
        "updated_at": iso(now),
    }
    conn.execute(f"UPDATE booking_series SET {', '.join(f'{k} = ?' for k in fields)} WHERE id = ?", (*fields.values(), series_id))
    if shift_start:
        # Keep the rule's occurrence dates (the identity of each occurrence); store the
        # new time of day by moving dtstart on the wall clock. Only rules whose dates do
        # not depend on the time of day are in our subset, so the dates stay the same.
        wall = datetime.strptime(series["dtstart_local"], _WALL) + shift_start
        conn.execute("UPDATE booking_series SET dtstart_local = ? WHERE id = ?", (wall.strftime(_WALL), series_id))


def cancel_series(conn: sqlite3.Connection, config: Config, series_id: int, now: datetime, from_start: datetime | None = None) -> int:
    """Cancel every live occurrence from ``from_start`` (default now) and stop the series generating."""
    start = from_start or now
    with transaction(conn):
        _template(conn, series_id)
        rows = conn.execute(
            "SELECT * FROM bookings WHERE series_id = ? AND start_at >= ? AND status IN ('requested', 'confirmed')",
            (series_id, iso(start)),
        ).fetchall()
        for row in rows:
            conn.execute("UPDATE bookings SET status = 'cancelled', updated_at = ? WHERE id = ?", (iso(now), row["id"]))
            mark_exception(conn, series_id, parse_iso(row["occurrence_start"]), "cancelled", now)
        conn.execute("UPDATE booking_series SET status = 'cancelled', updated_at = ? WHERE id = ?", (iso(now), series_id))
    return len(rows)
