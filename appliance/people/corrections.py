"""Putting the record right by hand, from the dashboard: signing someone in or out who
forgot (at the time they really came or went), resetting the door count, and finding a
past visit.

Every correction needs a reason; the dashboard writes it with the change to the audit log
in the same transaction (kiosk/manage/forms.py ``admin_action``), naming the visit by its
number. A visit signed in by hand says so itself (source ``dashboard``); a sign-out by
hand is an ordinary sign-out at the time given, and the audit log says who made it and why.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from appliance.core import inputs
from appliance.core.clock import iso, parse_iso
from appliance.core.config import Config
from appliance.people import register, visits
from appliance.sensing import occupancy

BY_HAND = "dashboard"
REASON_LENGTH = 200
PAGE = 50


class CorrectionError(Exception):
    """A correction cannot be made as asked; the message says what to change."""


def reason_text(value: object) -> str:
    """The reason for a correction, as typed (required, one line, at most 200 characters)."""
    try:
        return inputs.clean_text(value, "reason", REASON_LENGTH, required=True)
    except inputs.InputError as exc:
        raise CorrectionError(str(exc)) from None


def _when(at: datetime | None, now: datetime, config: Config, earliest: datetime | None = None) -> datetime:
    """The moment a correction is for: now when not given; never in the future, never before
    ``earliest`` (the sign-in, for a sign-out), never older than visits are kept."""
    if at is None:
        return now
    try:
        inputs.check_moment(at)
    except inputs.InputError as exc:
        raise CorrectionError(str(exc)) from None
    if at > now:
        raise CorrectionError(f"{at.astimezone(config.site.zone):%H:%M on %d %b} is in the future; give a time that has passed.")
    if earliest is not None and at < earliest:
        zone = config.site.zone
        raise CorrectionError(f"They signed in at {earliest.astimezone(zone):%H:%M on %d %b}; "
                              "the sign-out cannot be before that.")
    oldest = now - timedelta(days=config.privacy.member_visit_days)
    if at < oldest:
        raise CorrectionError(f"Visits are kept for {config.privacy.member_visit_days} days; "
                              "a time before that cannot be recorded.")
    return at


def sign_in_by_hand(
    conn: sqlite3.Connection, config: Config, now: datetime, *, kind: str, reason: str,
    person_id: int | None = None, name: str = "", visiting: str = "", activity: str = "",
    at: datetime | None = None,
) -> visits.Visit:
    """Sign a member or volunteer (``person_id``) or a visitor (``name``) in, at ``at``
    (now by default), in the caller's transaction. Someone already in is an error: sign
    them out first if the time is wrong."""
    reason_text(reason)
    when = _when(at, now, config)
    if person_id is not None:
        person = register.get(conn, person_id)
        if person is None or not person.active:
            raise CorrectionError(f"There is no current member or volunteer #{person_id}.")
        if visits.open_visit_of(conn, person_id) is not None:
            raise CorrectionError(f"{person.name} is already signed in; sign them out first to correct the time.")
        kind = person.kind
    try:
        return visits.sign_in(conn, config, when, kind=kind, person_id=person_id,
                              name=None if person_id is not None else name, visiting=visiting,
                              activity=activity, source=BY_HAND)
    except visits.VisitError as exc:
        raise CorrectionError(str(exc)) from None


def sign_out_by_hand(conn: sqlite3.Connection, config: Config, now: datetime, visit_id: int, *, reason: str,
                     at: datetime | None = None) -> visits.Visit:
    """End an open visit at ``at`` (now by default), in the caller's transaction."""
    reason_text(reason)
    visit = visits.get(conn, visit_id)
    if visit is None:
        raise CorrectionError(f"There is no visit #{visit_id}.")
    if visit.signed_out_at is not None:
        raise CorrectionError(f"Visit #{visit_id} has already ended.")
    when = _when(at, now, config, earliest=parse_iso(visit.signed_in_at))
    return visits.sign_out(conn, when, visit_id)


def reset_count(conn: sqlite3.Connection, config: Config, now: datetime, *, reason: str) -> int:
    """Set the door counter's occupancy back to zero (everyone has left, a beam miscounted),
    in the caller's transaction; returns what it said before."""
    try:
        return occupancy.reset(conn, config, now, reason_text(reason))
    except occupancy.OccupancyError as exc:
        raise CorrectionError(str(exc)) from None


@dataclass(frozen=True)
class History:
    """One page of past visits, newest first, and how many match in all."""

    visits: list[visits.Visit]
    total: int
    start: date
    end: date
    offset: int


def history(conn: sqlite3.Connection, config: Config, now: datetime, *, text: str = "", kind: str = "",
            start: date | None = None, end: date | None = None, offset: int = 0, limit: int = PAGE) -> History:
    """Visits begun between ``start`` and ``end`` (site days, inclusive; by default the
    whole time visits are kept), newest first, whose name, member number, reason or
    activity contains ``text``; one page of ``limit`` from ``offset``."""
    zone = config.site.zone
    today = now.astimezone(zone).date()
    start = start or today - timedelta(days=config.privacy.member_visit_days)
    end = end or today
    inputs.check_date(start, "first day")
    inputs.check_date(end, "last day")
    if end < start:
        raise CorrectionError(f"The range ends ({end}) before it starts ({start}).")
    text = inputs.clean_text(text, "search", 120)
    if kind and kind not in config.kiosk.visit_kinds:
        raise CorrectionError(f"Kind {kind!r} is not one of {', '.join(config.kiosk.visit_kinds)}.")
    lo = iso(datetime.combine(start, time(0), zone))
    hi = iso(datetime.combine(end + timedelta(days=1), time(0), zone))
    where = ["v.signed_in_at >= ?", "v.signed_in_at < ?"]
    params: list[object] = [lo, hi]
    if kind:
        where.append("v.kind = ?")
        params.append(kind)
    if text:
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append("(COALESCE(p.name, v.name, '') LIKE ? ESCAPE '\\' OR COALESCE(p.member_number, '') LIKE ? ESCAPE '\\'"
                     " OR v.visiting LIKE ? ESCAPE '\\' OR v.activity LIKE ? ESCAPE '\\')")
        params += [like] * 4
    condition = " AND ".join(where)
    total = int(conn.execute(
        f"SELECT count(*) FROM visits v LEFT JOIN people p ON p.id = v.person_id WHERE {condition}", params
    ).fetchone()[0])
    rows = conn.execute(
        f"{visits.SELECT} WHERE {condition} ORDER BY v.signed_in_at DESC, v.id DESC LIMIT ? OFFSET ?",
        [*params, limit, max(0, offset)],
    )
    return History([visits.from_row(r) for r in rows], total, start, end, max(0, offset))
