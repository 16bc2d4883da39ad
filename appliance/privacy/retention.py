"""Retention: each kind of record is kept only as long as ``[privacy]`` says, then purged.

What happens to each kind, and why:

- **visitor details** (a visitor's name and who they came to see): after
  ``visitor_days`` the visit row is *anonymised*, not deleted: name and visiting go,
  kind and times stay, so footfall and "visits by kind" reports keep their numbers;
- **member and volunteer visits**: after ``member_visit_days`` the link to the person
  (and any name) goes; kind, activity and times stay, so volunteer hours per activity
  still add up (only the per-person split is lost, which is the point);
- **raw sensor events**: deleted after ``sensor_event_days`` (daily counts hold the totals);
- **booking contacts**: organiser, contact and person link are cleared
  ``booking_contact_days`` after the booking ended; room, times, title and group stay
  for room-use reports;
- **rota sign-ups** (who took which date of a shift): deleted ``member_visit_days`` after
  the date, like the visits they are matched with for volunteer hours; the shifts
  themselves hold no one's details and stay;
- **the audit log**: entries older than ``audit_days`` are deleted;
- **login attempts** (typed names and addresses, needed for five minutes of lockout):
  deleted after a day;
- **daily counts**: kept for good; they hold no one's details.

The agent runs :func:`purge` daily as a housekeeping job; the dashboard runs it on demand.
Days come from :func:`appliance.storage.settings.effective`, so a change made on the dashboard
applies to the next run.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from appliance.core.clock import Clock, iso
from appliance.core.config import Config, PrivacyConfig
from appliance.people import lockout
from appliance.storage import settings, state
from appliance.storage.db import Database, transaction

LAST_PURGE_KEY = "retention/last_purge"


class RetentionError(Exception):
    """A purge could not be run as asked."""


@dataclass(frozen=True)
class Purged:
    """How many rows of each kind one purge changed or removed."""

    visitor_visits: int = 0
    member_visits: int = 0
    sensor_events: int = 0
    booking_contacts: int = 0
    audit_entries: int = 0
    login_attempts: int = 0
    rota_signups: int = 0

    @property
    def total(self) -> int:
        """All rows touched."""
        return sum(asdict(self).values())

    def as_dict(self) -> dict[str, int]:
        """JSON-ready counts."""
        return asdict(self)


LABELS = {
    "visitor_visits": "visitor visits anonymised",
    "member_visits": "member and volunteer visits anonymised",
    "sensor_events": "sensor events deleted",
    "booking_contacts": "bookings' organiser details cleared",
    "audit_entries": "audit log entries deleted",
    "login_attempts": "ended login pauses deleted",
    "rota_signups": "rota sign-ups deleted",
}


def cutoffs(privacy: PrivacyConfig, now: datetime) -> dict[str, str]:
    """The moment before which each kind of record goes, as stored times."""
    return {
        "visitor_visits": iso(now - timedelta(days=privacy.visitor_days)),
        "member_visits": iso(now - timedelta(days=privacy.member_visit_days)),
        "sensor_events": iso(now - timedelta(days=privacy.sensor_event_days)),
        "booking_contacts": iso(now - timedelta(days=privacy.booking_contact_days)),
        "audit_entries": iso(now - timedelta(days=privacy.audit_days)),
    }


def purge(conn: sqlite3.Connection, privacy: PrivacyConfig, now: datetime) -> Purged:
    """Apply the retention rules once, inside the caller's transaction; return the counts.

    Login attempts are left to :func:`purge_now` (their module opens its own transaction).
    """
    cut = cutoffs(privacy, now)
    at = iso(now)
    # A visit still open counts from when it began: a visitor never signed out is not kept forever.
    visitors = conn.execute(
        "UPDATE visits SET name = NULL, visiting = '', anonymised_at = ?"
        " WHERE person_id IS NULL AND anonymised_at IS NULL"
        " AND COALESCE(signed_out_at, signed_in_at) < ?",
        (at, cut["visitor_visits"]),
    ).rowcount
    members = conn.execute(
        "UPDATE visits SET person_id = NULL, name = NULL, visiting = '', anonymised_at = ?"
        " WHERE person_id IS NOT NULL AND COALESCE(signed_out_at, signed_in_at) < ?",
        (at, cut["member_visits"]),
    ).rowcount
    events = conn.execute("DELETE FROM sensor_events WHERE at < ?", (cut["sensor_events"],)).rowcount
    bookings = conn.execute(
        "UPDATE bookings SET organiser = '', contact = '', person_id = NULL, updated_at = ?"
        " WHERE end_at < ? AND (organiser != '' OR contact != '' OR person_id IS NOT NULL)",
        (at, cut["booking_contacts"]),
    ).rowcount
    # A series keeps its organiser while any of its occurrences is still within the limit.
    conn.execute(
        "UPDATE booking_series SET organiser = '', contact = '', person_id = NULL, updated_at = ?"
        " WHERE (organiser != '' OR contact != '' OR person_id IS NOT NULL) AND status != 'active'"
        " AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.series_id = booking_series.id AND b.end_at >= ?)",
        (at, cut["booking_contacts"]),
    )
    audit = conn.execute("DELETE FROM audit_log WHERE at < ?", (cut["audit_entries"],)).rowcount
    # Sign-ups are keyed by the shift's local day; a day before the visits' cut-off is gone.
    rota = conn.execute("DELETE FROM shift_signups WHERE day < ?", (cut["member_visits"][:10],)).rowcount
    return Purged(visitors, members, events, bookings, audit, rota_signups=rota)


def purge_now(conn: sqlite3.Connection, config: Config, now: datetime) -> Purged:
    """Run every rule with the days in force (file plus dashboard overrides); return the counts.

    The counts are also kept (see :func:`last_purge`) for the dashboard.
    """
    # lockout.purge_locks takes its own transaction, so it runs first, on its own. The agent
    # also runs it on its own schedule; here it is counted with the rest on demand.
    attempts = lockout.purge_locks(conn, now - lockout.KEEP_LOCKS)
    with transaction(conn):
        privacy = settings.effective(config, conn).privacy
        result = dataclasses.replace(purge(conn, privacy, now), login_attempts=attempts)
        at = iso(now)
        state.put(conn, LAST_PURGE_KEY, {"at": at, "counts": result.as_dict()}, at)
    return result


def last_purge(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """When the last purge ran and what it did (``{"at", "counts"}``), or None if never."""
    value = state.get(conn, LAST_PURGE_KEY)
    return value if isinstance(value, dict) else None


def daily_purge(db: Database, config: Config, clock: Clock) -> None:
    """The agent's daily purge (also run once when the agent starts)."""
    purge_now(db.conn(), config, clock.now())
