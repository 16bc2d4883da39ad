"""The fire roll-call: everyone signed in now, with time in, and who may have left unseen.

Someone signed in longer than ``privacy.uncertain_hours`` is flagged "uncertain": they
probably left without signing out, but a marshal should check rather than assume.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from appliance.core.clock import parse_iso
from appliance.core.config import Config
from appliance.people import visits
from appliance.sensing import occupancy


class RollCallError(Exception):
    """The roll-call cannot be drawn up as asked."""


@dataclass(frozen=True)
class Entry:
    """One person on the roll-call."""

    visit_id: int
    name: str
    kind: str
    detail: str            # what they came for / who they are visiting
    signed_in_at: datetime
    uncertain: bool


@dataclass(frozen=True)
class RollCall:
    """The list at one moment, and the door counter's figure to compare against."""

    at: datetime
    entries: list[Entry]
    uncertain_hours: int
    counted: int           # occupancy by the door counter, for a cross-check

    @property
    def certain(self) -> int:
        """How many are signed in within the uncertain threshold."""
        return sum(1 for e in self.entries if not e.uncertain)


def roll_call(conn: sqlite3.Connection, config: Config, now: datetime) -> RollCall:
    """Everyone signed in at ``now``, earliest first."""
    hours = config.privacy.uncertain_hours
    if hours <= 0:
        raise RollCallError(f"privacy.uncertain_hours must be positive, not {hours}")
    threshold = now - timedelta(hours=hours)
    entries = []
    for v in visits.signed_in_now(conn):
        since = parse_iso(v.signed_in_at)
        entries.append(Entry(
            visit_id=v.id,
            name=v.name or "Visitor (name not kept)",
            kind=v.kind,
            detail=v.activity or v.visiting,
            signed_in_at=since,
            uncertain=since < threshold,
        ))
    return RollCall(now, entries, hours, int(occupancy.current(conn)["value"]))
