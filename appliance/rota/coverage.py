"""Who actually came: each date of a shift is covered, taken but not yet in, or uncovered.

A date is **covered** when as many of the people who took it as it needs signed in during
it (a visit of theirs overlapping its time, by fob, by name or on the dashboard); it is
**taken, not yet in** while enough people took it but not all of them have come yet; and
**uncovered** when places are still open, or it ended without enough of them.

The public side (:func:`needed`: the display's "Volunteers needed" and the retained MQTT
topic ``rota/uncovered``) has times and counts only, never who took what. The hours side
(:func:`shift_matches`) finds the shift a volunteer's visit belongs to, so volunteer
hours in the funders' report are counted under an activity even when a fob sign-in gave
none.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from appliance.core.clock import iso, parse_iso
from appliance.core.config import Config
from appliance.rota import signups
from appliance.rota.shifts import Occurrence, RotaError, occurrence_on, occurrences

COVERED, WAITING, UNCOVERED, LEFT_OUT = "covered", "waiting", "uncovered", "left_out"
STATE_WORDS = {COVERED: "Covered", WAITING: "Taken, not yet in", UNCOVERED: "Uncovered", LEFT_OUT: "Left out"}


@dataclass(frozen=True)
class Taker:
    """Someone who took a date, and whether they signed in during it."""

    person_id: int
    name: str
    source: str
    came: bool


@dataclass(frozen=True)
class Cover:
    """A date of a shift with who took it and its state."""

    occurrence: Occurrence
    takers: tuple[Taker, ...]
    state: str

    @property
    def needs(self) -> int:
        """How many people the date needs."""
        return self.occurrence.shift.needs

    @property
    def taken(self) -> int:
        """How many people took it."""
        return len(self.takers)

    @property
    def came(self) -> int:
        """How many of them signed in during it."""
        return sum(1 for t in self.takers if t.came)

    @property
    def open(self) -> int:
        """Places nobody has taken yet."""
        return max(self.needs - self.taken, 0)


def state_of(occurrence: Occurrence, taken: int, came: int, now: datetime) -> str:
    """covered / waiting (taken, not yet in) / uncovered / left_out, as the module doc says."""
    if occurrence.cancelled:
        return LEFT_OUT
    needs = occurrence.shift.needs
    if came >= needs:
        return COVERED
    if taken >= needs and now < occurrence.end:
        return WAITING
    return UNCOVERED


def _visits_of_takers(conn: sqlite3.Connection, first: datetime, last: datetime,
                      first_day: str, last_day: str) -> dict[int, list[tuple[datetime, datetime | None]]]:
    rows = conn.execute(
        "SELECT person_id, signed_in_at, signed_out_at FROM visits WHERE signed_in_at < ?"
        " AND (signed_out_at IS NULL OR signed_out_at > ?)"
        " AND person_id IN (SELECT person_id FROM shift_signups WHERE day >= ? AND day <= ?)",
        (iso(last), iso(first), first_day, last_day),
    )
    found: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for row in rows:
        out = parse_iso(row["signed_out_at"]) if row["signed_out_at"] else None
        found[int(row["person_id"])].append((parse_iso(row["signed_in_at"]), out))
    return found


def _overlaps(visit: tuple[datetime, datetime | None], occurrence: Occurrence) -> bool:
    began, ended = visit
    return began < occurrence.end and (ended is None or ended > occurrence.start)


def rota(conn: sqlite3.Connection, config: Config, start: datetime, end: datetime, now: datetime) -> list[Cover]:
    """Every date of every shift overlapping [start, end) (those left out too), with who
    took it, who came, and its state; earliest first. For admins: it has names."""
    found = occurrences(conn, config, start, end, include_left_out=True)
    if not found:
        return []
    first_day, last_day = min(o.day for o in found), max(o.day for o in found)
    taken = signups.between(conn, first_day, last_day)
    came = _visits_of_takers(conn, min(o.start for o in found), max(o.end for o in found),
                             first_day.isoformat(), last_day.isoformat())
    covers = []
    for occurrence in found:
        takers = tuple(
            Taker(s.person_id, s.name, s.source, any(_overlaps(v, occurrence) for v in came.get(s.person_id, ())))
            for s in taken.get((occurrence.shift.id, occurrence.day), ())
        )
        state = state_of(occurrence, len(takers), sum(t.came for t in takers), now)
        covers.append(Cover(occurrence, takers, state))
    return covers


def cover_of(conn: sqlite3.Connection, config: Config, shift_id: int, day: date, now: datetime) -> Cover:
    """One date of a shift with who took it and who came (:class:`RotaError` if no such date)."""
    occurrence = occurrence_on(conn, config, shift_id, day)
    for cover in rota(conn, config, occurrence.start, occurrence.end, now):
        if cover.occurrence.key == occurrence.key:
            return cover
    raise RotaError(f"{occurrence.shift.label} does not happen on {day}.", code="no_such_date")  # pragma: no cover


def counts(covers: list[Cover]) -> dict[str, int]:
    """How many dates are in each state (for the dashboard's summary line)."""
    found = {COVERED: 0, WAITING: 0, UNCOVERED: 0, LEFT_OUT: 0}
    for cover in covers:
        found[cover.state] += 1
    return found


def needed(conn: sqlite3.Connection, config: Config, now: datetime) -> list[dict[str, Any]]:
    """Dates from now to ``rota.needed_days`` ahead with places nobody has taken: activity,
    the shift's title, start, end (None for a start time only), needs, taken and open.
    Never who."""
    horizon = now + timedelta(days=config.rota.needed_days)
    found = occurrences(conn, config, now, horizon)
    zone = config.site.zone
    # Counts only, read without the people table: nothing here can carry a name.
    taken = signups.counts_between(conn, (now.astimezone(zone) - timedelta(days=1)).date(),
                                   horizon.astimezone(zone).date())
    result = []
    for occurrence in found:
        count = taken.get((occurrence.shift.id, occurrence.day), 0)
        if count >= occurrence.shift.needs:
            continue
        result.append({
            "activity": occurrence.shift.activity,
            "title": occurrence.shift.title,
            "start": iso(occurrence.start),
            "end": None if occurrence.start_only else iso(occurrence.end),
            "needs": occurrence.shift.needs,
            "taken": count,
            "open": occurrence.shift.needs - count,
        })
    return result


@dataclass(frozen=True)
class Match:
    """What a visit was for by the rota: the activity of the shift it overlaps most ('' for
    none) and how much of the visit fell within shifts the person took."""

    activity: str
    on_shift: timedelta


def shift_matches(
    conn: sqlite3.Connection, config: Config, visits: list[tuple[int | None, datetime, datetime]]
) -> list[Match]:
    """For each (person id, signed in, signed out): the shifts they took that it overlaps
    (visitors and erased people have no id, so no shift)."""
    none = Match("", timedelta(0))
    people = {p for p, _, _ in visits if p is not None}
    if not people:
        return [none for _ in visits]
    lo = min(v[1] for v in visits) - timedelta(days=1)
    hi = max(v[2] for v in visits) + timedelta(days=1)
    zone = config.site.zone
    theirs: dict[int, set[tuple[int, date]]] = defaultdict(set)
    for person_id in people:
        theirs[person_id].update(signups.of_person(conn, person_id, lo.astimezone(zone).date(), hi.astimezone(zone).date()))
    shift_ids = {shift_id for keys in theirs.values() for shift_id, _ in keys}
    if not shift_ids:
        return [none for _ in visits]
    dates = occurrences(conn, config, lo, hi, shift_ids=shift_ids)
    found = []
    for who, began, ended in visits:
        best, most, total = "", timedelta(0), timedelta(0)
        for occurrence in dates:
            if who is None or (occurrence.shift.id, occurrence.day) not in theirs.get(who, ()):
                continue
            overlap = min(ended, occurrence.end) - max(began, occurrence.start)
            if overlap > timedelta(0):
                total += overlap
            if overlap > most:
                best, most = occurrence.shift.activity, overlap
        found.append(Match(best, total))
    return found
