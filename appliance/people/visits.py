"""Visits: signing in and out at the kiosk, by fob, through the API or the dashboard.

Sign-out by name is matched only against people signed in now, and only on the whole name
or member number, so typing reveals nobody else. What a fob tap does is in
appliance/people/taps.py.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from appliance.core.clock import iso, parse_iso
from appliance.core.config import Config
from appliance.core.inputs import InputError, clean_text
from appliance.people import recognise, register
from appliance.storage import state

VISITOR = "visitor"


def by_name_only(kind: str) -> bool:
    """Kinds without a people record (visitors, and any extra kind configured, such as
    contractors) sign in with a typed name; members and volunteers are a person."""
    return kind not in register.KINDS


MAX_TEXT = 120
# The same visitor's name signed in again this soon is the same person pressing twice (a
# double tap, a reload): it returns the first visit. Later, it is someone else of that name.
REPEAT_WINDOW = timedelta(seconds=60)


class VisitError(Exception):
    """A sign-in or sign-out could not be done as asked; the message says what to do."""


@dataclass(frozen=True)
class Visit:
    """One visit, open or ended."""

    id: int
    person_id: int | None
    name: str | None
    kind: str
    visiting: str
    activity: str
    source: str
    signed_in_at: str
    signed_out_at: str | None
    end_reason: str | None = None  # signed_out, presumed_left or removed (None while open)

    @property
    def first_name(self) -> str:
        """The first word of the name, for a greeting."""
        words = (self.name or "").split()
        return words[0] if words else ""


def _clean(text: str | None, what: str) -> str:
    """Typed text as appliance.core.inputs cleans it: no NUL, no control characters."""
    try:
        return clean_text(text, what, MAX_TEXT)
    except InputError as exc:
        raise VisitError(str(exc)) from None


def from_row(row: sqlite3.Row) -> Visit:
    """A visit from a row of :data:`SELECT` (the person's name when they have a record)."""
    return Visit(
        id=int(row["id"]),
        person_id=row["person_id"],
        name=row["display_name"],
        kind=str(row["kind"]),
        visiting=str(row["visiting"]),
        activity=str(row["activity"]),
        source=str(row["source"]),
        signed_in_at=str(row["signed_in_at"]),
        signed_out_at=row["signed_out_at"],
        end_reason=row["end_reason"],
    )


# Visits with the name to show (the person's record's, else the typed one); add WHERE ...
SELECT = (
    "SELECT v.*, COALESCE(p.name, v.name) AS display_name FROM visits v"
    " LEFT JOIN people p ON p.id = v.person_id"
)


def get(conn: sqlite3.Connection, visit_id: int) -> Visit | None:
    """A visit by id, or None."""
    row = conn.execute(f"{SELECT} WHERE v.id = ?", (visit_id,)).fetchone()
    return from_row(row) if row else None


def open_visit_of(conn: sqlite3.Connection, person_id: int) -> Visit | None:
    """The person's visit still open now, or None."""
    row = conn.execute(
        f"{SELECT} WHERE v.person_id = ? AND v.signed_out_at IS NULL ORDER BY v.signed_in_at DESC LIMIT 1",
        (person_id,),
    ).fetchone()
    return from_row(row) if row else None


def signed_in_now(conn: sqlite3.Connection) -> list[Visit]:
    """Everyone signed in now, earliest first (roll-call; never for a public screen)."""
    rows = conn.execute(f"{SELECT} WHERE v.signed_out_at IS NULL ORDER BY v.signed_in_at, v.id")
    return [from_row(r) for r in rows]


def sign_in(
    conn: sqlite3.Connection,
    config: Config,
    now: datetime,
    *,
    kind: str,
    name: str | None = None,
    person_id: int | None = None,
    visiting: str = "",
    activity: str = "",
    source: str = "kiosk",
) -> Visit:
    """Open a visit in the caller's transaction and return it.

    Visitors give a name; members and volunteers are a person (by id). Signing in someone
    already in returns their open visit rather than opening a second one.
    """
    if kind not in config.kiosk.visit_kinds:
        raise VisitError(f"Kind {kind!r} is not offered here; choose one of {', '.join(config.kiosk.visit_kinds)}.")
    visiting = _clean(visiting, "visiting or reason")
    activity = _clean(activity, "activity")
    if activity and activity not in config.kiosk.activities:
        raise VisitError(f"Activity {activity!r} is not one of {', '.join(config.kiosk.activities)}.")
    visitor_name: str | None = None
    if person_id is None:
        visitor_name = _clean(name, "name")
        if not visitor_name:
            raise VisitError("Please type your name.")
        if not by_name_only(kind):
            raise VisitError(f"A {kind} signs in with a fob, their whole name or their member number.")
        repeated = _just_signed_in(conn, now, kind, visitor_name, visiting)
        if repeated is not None:
            return repeated
    else:
        person = register.get(conn, person_id)
        if person is None or not person.active:
            raise VisitError(f"No current member or volunteer with id {person_id}.")
        already = open_visit_of(conn, person_id)
        if already is not None:
            return already
    return open_visit(conn, config.site.zone, now, person_id, visitor_name, kind, visiting, activity, source)


def _just_signed_in(conn: sqlite3.Connection, now: datetime, kind: str, name: str, visiting: str) -> Visit | None:
    """The open visit of this name, kind and reason begun within :data:`REPEAT_WINDOW`, or None."""
    rows = conn.execute(
        f"{SELECT} WHERE v.person_id IS NULL AND v.kind = ? AND v.visiting = ? AND v.signed_out_at IS NULL"
        " AND v.signed_in_at >= ? ORDER BY v.signed_in_at DESC",
        (kind, visiting, iso(now - REPEAT_WINDOW)),
    )
    wanted = register.normalise_name(name)
    return next((from_row(r) for r in rows if register.normalise_name(r["display_name"] or "") == wanted), None)


def open_visit(
    conn: sqlite3.Connection,
    zone: ZoneInfo,
    now: datetime,
    person_id: int | None,
    name: str | None,
    kind: str,
    visiting: str,
    activity: str,
    source: str,
) -> Visit:
    """Insert a visit as given (callers check who and what first) and count it for the day."""
    cur = conn.execute(
        "INSERT INTO visits (person_id, name, kind, visiting, activity, source, signed_in_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (person_id, name, kind, visiting, activity, source, iso(now)),
    )
    # Counts per kind survive the retention purge, for reports.
    state.add_count(conn, now.astimezone(zone).date().isoformat(), "visits", kind)
    visit = get(conn, int(cur.lastrowid or 0))
    assert visit is not None
    return visit


def sign_out(conn: sqlite3.Connection, now: datetime, visit_id: int, reason: str = "signed_out") -> Visit:
    """End an open visit in the caller's transaction and return it."""
    visit = get(conn, visit_id)
    if visit is None:
        raise VisitError(f"No visit with id {visit_id}.")
    if visit.signed_out_at is not None:
        raise VisitError(f"Visit {visit_id} has already ended.")
    # A Pi has no real-time clock: if NTP moved the clock back since the sign-in, the
    # visit ends when it began rather than before it (hours are never negative).
    ended_at = max(now, parse_iso(visit.signed_in_at))
    conn.execute(
        "UPDATE visits SET signed_out_at = ?, end_reason = ? WHERE id = ?", (iso(ended_at), reason, visit_id)
    )
    ended = get(conn, visit_id)
    assert ended is not None
    return ended


def last_ended_visit_of(conn: sqlite3.Connection, person_id: int) -> Visit | None:
    """The person's most recently ended visit, or None."""
    row = conn.execute(
        f"{SELECT} WHERE v.person_id = ? AND v.signed_out_at IS NOT NULL ORDER BY v.signed_out_at DESC LIMIT 1",
        (person_id,),
    ).fetchone()
    return from_row(row) if row else None


def set_activity(conn: sqlite3.Connection, config: Config, visit_id: int, activity: str) -> Visit:
    """What a volunteer signed in by fob is here for (asked on the kiosk after the tap, or
    their shift's); only an open visit, and only a configured activity."""
    if activity not in config.kiosk.activities:
        raise VisitError(f"Activity {activity!r} is not one of {', '.join(config.kiosk.activities)}.")
    visit = get(conn, visit_id)
    if visit is None or visit.signed_out_at is not None:
        raise VisitError(f"Visit {visit_id} is not open; sign in again first.")
    conn.execute("UPDATE visits SET activity = ? WHERE id = ?", (activity, visit_id))
    changed = get(conn, visit_id)
    assert changed is not None
    return changed


def sign_out_by_name(conn: sqlite3.Connection, config: Config, now: datetime, text: str) -> Visit | None:
    """Sign out the person signed in now whose whole name or member number is ``text``.

    Returns None when nobody signed in matches: the caller says so without naming anyone.
    """
    matches = register.signed_in_by_name(conn, text)
    if not matches:
        return None
    return sign_out(conn, now, matches[0])


def retention_days(config: Config, kind: str) -> int:
    """How many days a visit of this kind keeps its details."""
    return config.privacy.visitor_days if by_name_only(kind) else config.privacy.member_visit_days


def sign_in_named(
    conn: sqlite3.Connection,
    config: Config,
    now: datetime,
    *,
    kind: str,
    name: str,
    visiting: str = "",
    activity: str = "",
    source: str = "kiosk",
    surname: str | None = None,
) -> Visit:
    """Sign in from typed text: a visitor's name, or a member's whole name or member number.

    A member or volunteer who cannot be identified gets the same message whoever else
    exists, so nothing about other people leaks. At the kiosk (``surname`` given, even
    empty) a member number counts only with the member's surname
    (appliance/people/recognise.py): a number is printed on cards and lists, not a secret.
    ``surname=None`` is for callers that are trusted already (an admin's API token).
    """
    if kind not in config.kiosk.visit_kinds:
        raise VisitError(f"Kind {kind!r} is not offered here; choose one of {', '.join(config.kiosk.visit_kinds)}.")
    name = _clean(name, "name")
    if by_name_only(kind):
        return sign_in(conn, config, now, kind=kind, name=name, visiting=visiting, activity=activity, source=source)
    if surname is None:
        person = register.identify(conn, name)
    else:
        person = recognise.by_number_and_surname(conn, name, surname) or recognise.by_whole_name(conn, name)
    if person is None:
        raise VisitError("We could not find that name or member number. Try your member number, or ask a volunteer.")
    return sign_in(
        conn, config, now, kind=kind, person_id=person.id, visiting=visiting, activity=activity, source=source
    )
