"""Taking and giving up dates of shifts: at the door by the volunteer, or by an admin.

A date holds at most as many people as it needs; two taps for the last place cannot both
win, because the count and the insert happen in one write transaction. Taking a date
already taken, or giving up one not taken, does nothing (a double tap is harmless). At
the door a date can be given up only until ``rota.giveup_hours`` before it starts; after
that an admin does it on the dashboard.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from appliance.core.clock import iso
from appliance.core.config import Config
from appliance.people import register
from appliance.rota.shifts import Occurrence, RotaError, occurrence_on, occurrences
from appliance.storage.db import transaction

SOURCES = ("kiosk", "dashboard")


@dataclass(frozen=True)
class Signup:
    """One person on one date of a shift."""

    shift_id: int
    day: date
    person_id: int
    name: str
    source: str
    created_at: str


def _signup(row: sqlite3.Row) -> Signup:
    return Signup(int(row["shift_id"]), date.fromisoformat(row["day"]), int(row["person_id"]), str(row["name"]),
                  str(row["source"]), str(row["created_at"]))


_SELECT = (
    "SELECT s.shift_id, s.day, s.person_id, s.source, s.created_at, p.name FROM shift_signups s"
    " JOIN people p ON p.id = s.person_id"
)


def between(conn: sqlite3.Connection, first_day: date, last_day: date) -> dict[tuple[int, date], list[Signup]]:
    """Everyone on every date from ``first_day`` to ``last_day`` (inclusive), by (shift id, day),
    in the order they took it."""
    found: dict[tuple[int, date], list[Signup]] = defaultdict(list)
    rows = conn.execute(f"{_SELECT} WHERE s.day >= ? AND s.day <= ? ORDER BY s.created_at, p.name",
                        (first_day.isoformat(), last_day.isoformat()))
    for row in rows:
        signup = _signup(row)
        found[(signup.shift_id, signup.day)].append(signup)
    return found


def counts_between(conn: sqlite3.Connection, first_day: date, last_day: date) -> dict[tuple[int, date], int]:
    """How many people took each date from ``first_day`` to ``last_day`` (never who: for
    the public "volunteers needed" list)."""
    rows = conn.execute(
        "SELECT shift_id, day, count(*) AS n FROM shift_signups WHERE day >= ? AND day <= ? GROUP BY shift_id, day",
        (first_day.isoformat(), last_day.isoformat()),
    )
    return {(int(r["shift_id"]), date.fromisoformat(r["day"])): int(r["n"]) for r in rows}


def of_person(conn: sqlite3.Connection, person_id: int, first_day: date, last_day: date) -> list[tuple[int, date]]:
    """(shift id, day) of every date the person took from ``first_day`` to ``last_day``."""
    rows = conn.execute(
        "SELECT shift_id, day FROM shift_signups WHERE person_id = ? AND day >= ? AND day <= ? ORDER BY day",
        (person_id, first_day.isoformat(), last_day.isoformat()),
    )
    return [(int(r["shift_id"]), date.fromisoformat(r["day"])) for r in rows]


def _count(conn: sqlite3.Connection, shift_id: int, day: date) -> int:
    row = conn.execute("SELECT count(*) FROM shift_signups WHERE shift_id = ? AND day = ?",
                       (shift_id, day.isoformat())).fetchone()
    return int(row[0])


def _clash(conn: sqlite3.Connection, config: Config, person_id: int, wanted: Occurrence) -> Occurrence | None:
    """Another date the person took that overlaps ``wanted``."""
    theirs = set(of_person(conn, person_id, wanted.day - timedelta(days=1), wanted.day + timedelta(days=1)))
    if not theirs:
        return None
    nearby = occurrences(conn, config, wanted.start - timedelta(days=1), wanted.end + timedelta(days=1),
                         shift_ids={shift_id for shift_id, _ in theirs})
    for other in nearby:
        if (other.shift.id, other.day) in theirs and other.key != wanted.key \
                and other.start < wanted.end and wanted.start < other.end:
            return other
    return None


def take(
    conn: sqlite3.Connection, config: Config, now: datetime, *, person_id: int, shift_id: int, day: date,
    source: str,
) -> Occurrence:
    """Put a person on a date of a shift (nothing changes if they are on it already).

    Refused (:class:`RotaError`) when the date is full, left out, or clashes with another
    they took; at the door also once it is over (an admin may record who did a past shift).
    """
    if source not in SOURCES:
        raise RotaError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    with transaction(conn):
        person = register.get(conn, person_id)
        if person is None or not person.active:
            raise RotaError(f"There is no current member or volunteer #{person_id}.", field="person", code="no_person")
        occurrence = occurrence_on(conn, config, shift_id, day)
        label = f"{occurrence.shift.label} on {day:%a} {day.day} {day:%b}"
        if occurrence.cancelled:
            raise RotaError(f"{label} is not happening (left out of the rota).", code="left_out")
        if source == "kiosk" and occurrence.end <= now:
            raise RotaError(f"{label} is over.", code="over")
        if conn.execute("SELECT 1 FROM shift_signups WHERE shift_id = ? AND day = ? AND person_id = ?",
                        (shift_id, day.isoformat(), person_id)).fetchone():
            return occurrence
        taken = _count(conn, shift_id, day)
        if taken >= occurrence.shift.needs:
            raise RotaError(f"{label} is full ({taken} of {occurrence.shift.needs}).", code="full")
        other = _clash(conn, config, person_id, occurrence)
        if other is not None:
            raise RotaError(f"{person.name} already has {other.shift.label} at that time.", code="clash")
        conn.execute(
            "INSERT INTO shift_signups (shift_id, day, person_id, source, created_at) VALUES (?, ?, ?, ?, ?)",
            (shift_id, day.isoformat(), person_id, source, iso(now)),
        )
    return occurrence


def give_up(
    conn: sqlite3.Connection, config: Config, now: datetime, *, person_id: int, shift_id: int, day: date,
    cutoff: timedelta | None = None,
) -> bool:
    """Take a person off a date; True if they were on it.

    With a ``cutoff`` (at the door: ``rota.giveup_hours``), a date starting sooner than
    that, or already begun, is refused with code ``too_late``.
    """
    with transaction(conn):
        if not conn.execute("SELECT 1 FROM shift_signups WHERE shift_id = ? AND day = ? AND person_id = ?",
                            (shift_id, day.isoformat(), person_id)).fetchone():
            return False
        if cutoff is not None:
            occurrence = occurrence_on(conn, config, shift_id, day)
            if occurrence.start - now < cutoff:
                hours = int(cutoff.total_seconds() // 3600)
                raise RotaError(
                    f"{occurrence.shift.label} starts in less than {hours} hours: ask a coordinator to change it.",
                    code="too_late",
                )
        conn.execute("DELETE FROM shift_signups WHERE shift_id = ? AND day = ? AND person_id = ?",
                     (shift_id, day.isoformat(), person_id))
    return True
