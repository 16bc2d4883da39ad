"""Visits: signing in and out at the kiosk, by fob, through the API or the dashboard.

Sign-out by name is matched only against people signed in now, and only on the whole name
or member number, so typing reveals nobody else. A fob tap toggles its holder in or out.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from appliance import attendance, people, publishing, state
from appliance.clock import iso, parse_iso
from appliance.config import BookingConfig, Config
from appliance.events import FobRead
from appliance.recorder import Tx, handles

VISITOR = "visitor"


def by_name_only(kind: str) -> bool:
    """Kinds without a people record (visitors, and any extra kind configured, such as
    contractors) sign in with a typed name; members and volunteers are a person."""
    return kind not in people.KINDS
# What the kiosk shows after a tap (first name only, on the Pi's own screen).
LAST_FOB_KEY = "kiosk/last_fob"
# The last card nobody holds, for the dashboard's assign-a-fob form.
LAST_UNKNOWN_KEY = "fob/last_unknown"
MAX_TEXT = 120


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

    @property
    def first_name(self) -> str:
        """The first word of the name, for a greeting."""
        words = (self.name or "").split()
        return words[0] if words else ""


def _clean(text: str | None, what: str) -> str:
    value = " ".join((text or "").split())
    if len(value) > MAX_TEXT:
        raise VisitError(f"The {what} is too long ({len(value)} characters); keep it under {MAX_TEXT}.")
    return value


def _refresh(conn: sqlite3.Connection, config: Config | None, now: datetime) -> None:
    """Let the publisher update the public visit counts in this same transaction."""
    if config is not None:
        publishing.refresh(conn, config, now)


def _visit(row: sqlite3.Row) -> Visit:
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
    )


_SELECT = (
    "SELECT v.*, COALESCE(p.name, v.name) AS display_name FROM visits v"
    " LEFT JOIN people p ON p.id = v.person_id"
)


def get(conn: sqlite3.Connection, visit_id: int) -> Visit | None:
    """A visit by id, or None."""
    row = conn.execute(f"{_SELECT} WHERE v.id = ?", (visit_id,)).fetchone()
    return _visit(row) if row else None


def open_visit_of(conn: sqlite3.Connection, person_id: int) -> Visit | None:
    """The person's visit still open now, or None."""
    row = conn.execute(
        f"{_SELECT} WHERE v.person_id = ? AND v.signed_out_at IS NULL ORDER BY v.signed_in_at DESC LIMIT 1",
        (person_id,),
    ).fetchone()
    return _visit(row) if row else None


def signed_in_now(conn: sqlite3.Connection) -> list[Visit]:
    """Everyone signed in now, earliest first (roll-call; never for a public screen)."""
    rows = conn.execute(f"{_SELECT} WHERE v.signed_out_at IS NULL ORDER BY v.signed_in_at, v.id")
    return [_visit(r) for r in rows]


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
    else:
        person = people.get(conn, person_id)
        if person is None or not person.active:
            raise VisitError(f"No current member or volunteer with id {person_id}.")
        already = open_visit_of(conn, person_id)
        if already is not None:
            return already
    return _open(conn, config, config.site.zone, now, person_id, visitor_name, kind, visiting, activity, source)


def _open(
    conn: sqlite3.Connection,
    config: Config | None,
    zone: ZoneInfo,
    now: datetime,
    person_id: int | None,
    name: str | None,
    kind: str,
    visiting: str,
    activity: str,
    source: str,
) -> Visit:
    cur = conn.execute(
        "INSERT INTO visits (person_id, name, kind, visiting, activity, source, signed_in_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (person_id, name, kind, visiting, activity, source, iso(now)),
    )
    # Counts per kind survive the retention purge, for reports.
    state.add_count(conn, now.astimezone(zone).date().isoformat(), "visits", kind)
    _refresh(conn, config, now)
    visit = get(conn, int(cur.lastrowid or 0))
    assert visit is not None
    return visit


def sign_out(
    conn: sqlite3.Connection, config: Config | None, now: datetime, visit_id: int, reason: str = "signed_out"
) -> Visit:
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
    _refresh(conn, config, now)
    ended = get(conn, visit_id)
    assert ended is not None
    return ended


def sign_out_by_name(conn: sqlite3.Connection, config: Config, now: datetime, text: str) -> Visit | None:
    """Sign out the person signed in now whose whole name or member number is ``text``.

    Returns None when nobody signed in matches: the caller says so without naming anyone.
    """
    matches = people.signed_in_by_name(conn, text)
    if not matches:
        return None
    return sign_out(conn, config, now, matches[0])


def retention_days(config: Config, kind: str) -> int:
    """How many days a visit of this kind keeps its details."""
    return config.privacy.visitor_days if by_name_only(kind) else config.privacy.member_visit_days


def retention_notice(config: Config, kind: str) -> str:
    """The one line shown before confirming a sign-in: what is kept and for how long."""
    days = retention_days(config, kind)
    if by_name_only(kind):
        return f"We keep your name and reason for {days} days, then delete them. Nothing is published."
    return f"We keep this visit for {days} days for volunteer and membership reports. Nothing is published."


def record_fob_outcome(conn: sqlite3.Connection, at: datetime, outcome: str, first_name: str = "") -> None:
    """Tell the open kiosk page what a tap did (read through its live stream)."""
    state.put(conn, LAST_FOB_KEY, {"at": iso(at), "outcome": outcome, "first_name": first_name}, iso(at))


def toggle_by_card(
    conn: sqlite3.Connection,
    config: Config | None,
    zone: ZoneInfo,
    now: datetime,
    card_hash: str,
    source: str = "fob",
) -> dict[str, Any]:
    """A fob tap: sign its holder in (or out if in), or remember an unknown card.

    Returns the outcome as written to ``kiosk/last_fob``.
    """
    person = people.by_card(conn, card_hash)
    if person is None:
        state.put(conn, LAST_UNKNOWN_KEY, {"card_hash": card_hash, "at": iso(now)}, iso(now))
        record_fob_outcome(conn, now, "unknown")
        return {"outcome": "unknown", "first_name": ""}
    visit = open_visit_of(conn, person.id)
    if visit is not None:
        sign_out(conn, config, now, visit.id)
        outcome = "signed_out"
    else:
        _open(conn, config, zone, now, person.id, None, person.kind, "", "", source)
        outcome = "signed_in"
        _check_in_booking(conn, config, person.id, now)
    record_fob_outcome(conn, now, outcome, person.first_name)
    return {"outcome": outcome, "first_name": person.first_name}


def _check_in_booking(conn: sqlite3.Connection, config: Config | None, person_id: int, now: datetime) -> None:
    """An organiser's tap checks in their booking that starts soon or is running."""
    window = timedelta(
        minutes=(config.bookings if config is not None else BookingConfig()).checkin_window_minutes
    )
    attendance.check_in_by_person(conn, person_id, now, window, config)


@handles(FobRead)
def _fob_read(tx: Tx, event: FobRead) -> None:
    # The agent's Tx carries its config, so the new counts are published in this same
    # transaction; without one (a tool recording events) the publish-refresh job sends them.
    toggle_by_card(tx.conn, tx.config, tx.zone, event.at, event.card_hash)


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
) -> Visit:
    """Sign in from typed text: a visitor's name, or a member's whole name or member number.

    A member or volunteer who cannot be identified gets the same message whoever else
    exists, so nothing about other people leaks.
    """
    if kind not in config.kiosk.visit_kinds:
        raise VisitError(f"Kind {kind!r} is not offered here; choose one of {', '.join(config.kiosk.visit_kinds)}.")
    if by_name_only(kind):
        return sign_in(conn, config, now, kind=kind, name=name, visiting=visiting, activity=activity, source=source)
    person = people.identify(conn, name)
    if person is None:
        raise VisitError("We could not find that name or member number. Try your member number, or ask a volunteer.")
    return sign_in(
        conn, config, now, kind=kind, person_id=person.id, visiting=visiting, activity=activity, source=source
    )
