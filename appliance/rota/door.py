"""The rota at the door: what a volunteer's fob tap does for them, and their rota screen.

The tap itself is appliance/people/taps.py's rule (toggle, repeat, token). This module's
rule runs after it in the same transaction (doorstep/agent.py RULES): a volunteer who
signs in during, or just before, a shift they took is signed in for that shift's
activity. The kiosk then asks what they are here for (their shift first) unless they
had already chosen on the screen, and shows their shifts for the next
``rota.signup_days``: one tap to take a date, one to give it up (until
``rota.giveup_hours`` before it starts).

Everything the kiosk does for a volunteer goes through their tap's token
(:func:`appliance.people.taps.tap_of`): only the person who just tapped, only for a few
minutes, only until someone else taps.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from appliance.core.clock import iso
from appliance.core.config import Config
from appliance.core.events import FobRead
from appliance.outbox.tx import Tx
from appliance.people import taps, visits
from appliance.people.taps import Tap
from appliance.rota import coverage, signups, volunteers
from appliance.rota.coverage import Cover
from appliance.rota.shifts import Occurrence, RotaError, parse_key
from appliance.sensing.recorder import Rules
from appliance.storage.db import transaction


def _after_tap(tx: Tx, event: FobRead) -> None:
    """A volunteer's sign-in by fob during (or just before) their shift is for its activity."""
    tap = taps.last_tap(tx.conn)
    if tap is None or iso(tap.at) != iso(event.at) or tap.outcome != "signed_in" or not tap.volunteer:
        return
    if tap.person_id is None or tap.visit_id is None:
        return
    shift = volunteers.shift_now(tx.conn, tx.config, tap.person_id, event.at)
    if shift is not None and shift.shift.activity in tx.config.kiosk.activities:
        visits.set_activity(tx.conn, tx.config, tap.visit_id, shift.shift.activity)
        taps.note_activity(tx.conn, tap.visit_id, shift.shift.activity, chosen=False)


# After appliance.people.taps.RULES (combine keeps the order): it reads what the tap did.
RULES: Rules = {FobRead: (_after_tap,)}


def _volunteer(tap: Tap) -> int:
    if not tap.volunteer or tap.person_id is None:
        raise RotaError("Only volunteers have a rota here.", code="not_volunteer")
    return tap.person_id


@dataclass(frozen=True)
class Mine:
    """A date the volunteer took, and whether they may still give it up at the door."""

    cover: Cover
    can_give_up: bool


@dataclass(frozen=True)
class DoorRota:
    """The volunteer's rota screen: what they are signed in for, what to ask, their dates
    and the dates they could take."""

    activity: str | None  # None: not signed in by this tap
    ask: bool  # ask what they are here for: signed in by this tap and not yet chosen on the screen
    choices: volunteers.Choices
    mine: list[Mine]
    offered: list[Cover]
    cutoff_hours: int


def door_rota(conn: sqlite3.Connection, config: Config, tap: Tap, now: datetime) -> DoorRota:
    """What the kiosk shows a volunteer after their tap (``config`` with the dashboard's
    Settings: the give-up cut-off is set there)."""
    person_id = _volunteer(tap)
    activity: str | None = None
    if tap.visit_id is not None and tap.outcome in ("signed_in", "still_in"):
        visit = visits.get(conn, tap.visit_id)
        if visit is not None and visit.signed_out_at is None:
            activity = visit.activity
    horizon = now + timedelta(days=config.rota.signup_days)
    covers = [c for c in coverage.rota(conn, config, now, horizon, now) if c.state != coverage.LEFT_OUT]
    cutoff = timedelta(hours=config.rota.giveup_hours)
    mine = [Mine(c, c.occurrence.start - now >= cutoff) for c in covers
            if any(t.person_id == person_id for t in c.takers)]
    ticked = set(volunteers.activities_of(conn, person_id))
    taken = {m.cover.occurrence.key for m in mine}
    offered = [c for c in covers if c.open > 0 and c.occurrence.key not in taken
               and (not ticked or c.occurrence.shift.activity in ticked)]
    ask = activity is not None and not tap.chosen
    return DoorRota(activity, ask, volunteers.choices(conn, config, person_id, now), mine, offered,
                    config.rota.giveup_hours)


def choose_activity(conn: sqlite3.Connection, config: Config, tap: Tap, activity: str) -> visits.Visit:
    """What a volunteer who just signed in by fob is here for (chosen on the screen)."""
    _volunteer(tap)
    if tap.visit_id is None or tap.outcome not in ("signed_in", "still_in"):
        raise RotaError("You are not signed in by this tap; tap your fob again.", code="not_signed_in")
    with transaction(conn):
        try:
            visit = visits.set_activity(conn, config, tap.visit_id, activity)
        except visits.VisitError as exc:
            raise RotaError(str(exc), code="not_signed_in") from None
        taps.note_activity(conn, tap.visit_id, activity, chosen=True)
    return visit


def take(conn: sqlite3.Connection, config: Config, tap: Tap, key: str, now: datetime) -> Occurrence:
    """The volunteer takes a date (named by its form key '<shift id>/<day>')."""
    shift_id, day = parse_key(key)
    return signups.take(conn, config, now, person_id=_volunteer(tap), shift_id=shift_id, day=day, source="kiosk")


def give_up(conn: sqlite3.Connection, config: Config, tap: Tap, key: str, now: datetime) -> bool:
    """The volunteer gives a date up, until ``rota.giveup_hours`` before it starts."""
    shift_id, day = parse_key(key)
    return signups.give_up(conn, config, now, person_id=_volunteer(tap), shift_id=shift_id, day=day,
                           cutoff=timedelta(hours=config.rota.giveup_hours))
