"""What each volunteer does: the activities an admin ticked for them (the shifts they are
offered at the door), and what the kiosk asks after their fob tap: their shift's
activity first, then their usual ones, then the rest."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from appliance.core.config import Config
from appliance.people import register
from appliance.rota import signups
from appliance.rota.shifts import Occurrence, RotaError, occurrences
from appliance.storage.db import transaction

# A volunteer who taps in this long before a shift they took is here for it.
EARLY = timedelta(hours=1)
# How many past sign-ins tell what a volunteer usually does, when nobody ticked any.
RECENT_VISITS = 20


def activities_of(conn: sqlite3.Connection, person_id: int) -> list[str]:
    """The activities ticked for a person on the dashboard (alphabetical)."""
    rows = conn.execute("SELECT activity FROM volunteer_activities WHERE person_id = ? ORDER BY activity",
                        (person_id,))
    return [str(r[0]) for r in rows]


def set_activities(conn: sqlite3.Connection, config: Config, person_id: int, chosen: list[str]) -> list[str]:
    """Replace the activities ticked for a person; each must be a configured activity."""
    unknown = [a for a in chosen if a not in config.kiosk.activities]
    if unknown:
        raise RotaError(f"Not an activity here: {', '.join(unknown)}; choose from {', '.join(config.kiosk.activities)}.",
                        field="activities")
    if register.get(conn, person_id) is None:
        raise RotaError(f"There is no person #{person_id}.", code="no_person")
    with transaction(conn):
        conn.execute("DELETE FROM volunteer_activities WHERE person_id = ?", (person_id,))
        conn.executemany("INSERT OR IGNORE INTO volunteer_activities (person_id, activity) VALUES (?, ?)",
                         [(person_id, a) for a in chosen])
    return activities_of(conn, person_id)


def usual(conn: sqlite3.Connection, config: Config, person_id: int) -> list[str]:
    """What the person usually does: the activities ticked for them (in the configured
    order), then those they signed in for lately; only activities still configured."""
    ticked = set(activities_of(conn, person_id))
    found = [a for a in config.kiosk.activities if a in ticked]
    rows = conn.execute(
        "SELECT activity FROM visits WHERE person_id = ? AND activity != '' ORDER BY signed_in_at DESC LIMIT ?",
        (person_id, RECENT_VISITS),
    )
    for row in rows:
        activity = str(row[0])
        if activity in config.kiosk.activities and activity not in found:
            found.append(activity)
    return found


def shift_now(conn: sqlite3.Connection, config: Config, person_id: int, now: datetime) -> Occurrence | None:
    """The date of a shift the person took that is under way, or starts within :data:`EARLY`."""
    zone = config.site.zone
    day = now.astimezone(zone).date()
    theirs = set(signups.of_person(conn, person_id, day - timedelta(days=1), day + timedelta(days=1)))
    if not theirs:
        return None
    nearby = occurrences(conn, config, now, now + EARLY, shift_ids={shift_id for shift_id, _ in theirs})
    mine = [o for o in nearby if (o.shift.id, o.day) in theirs]
    return mine[0] if mine else None


@dataclass(frozen=True)
class Choices:
    """What to offer a volunteer after their tap: their shift (if any) and the activities in order."""

    shift: Occurrence | None
    activities: list[str]


def choices(conn: sqlite3.Connection, config: Config, person_id: int, now: datetime) -> Choices:
    """Their shift's activity first, then their usual activities, then every other one."""
    shift = shift_now(conn, config, person_id, now)
    ordered: list[str] = []
    if shift is not None and shift.shift.activity in config.kiosk.activities:
        ordered.append(shift.shift.activity)
    for activity in [*usual(conn, config, person_id), *config.kiosk.activities]:
        if activity not in ordered:
            ordered.append(activity)
    return Choices(shift, ordered)
