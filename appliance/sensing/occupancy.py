"""Footfall, motion and occupancy: the rules that turn beam and PIR events into counts.

Occupancy is IN minus OUT over every beam pair, never below zero. The estimate carries a
confidence hint: "good" while the counts make sense, "uncertain" once something says
they may not (an OUT with nobody counted in, a beam obstructed while people may have
passed). It goes back to zero, and to "good", at the configured closing time and
whenever someone resets it by hand (the dashboard calls :func:`reset`).

State keys (read by the dashboard and the display):

- ``occupancy`` → ``{"value", "confidence", "since_reset"}``
- ``footfall/<beam>`` → ``{"in", "out"}``: cumulative since the counter began
- ``motion/<pir>`` → ``{"count", "last"}``: cumulative motion count, last motion time

Daily counts (kept for reports after raw events are purged): metric ``in`` / ``out``
per beam pair, ``motion`` per PIR (``opened`` per door is in appliance.sensing.doors).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from appliance.core.clock import Clock, iso, parse_iso
from appliance.core.config import Config
from appliance.core.events import (
    BeamCleared,
    BeamObstructed,
    MotionDetected,
    OccupancyReset,
    Passed,
    SensorHealthChanged,
)
from appliance.core.hours import last_closing
from appliance.outbox.tx import Tx
from appliance.sensing.recorder import Rules, apply
from appliance.storage import settings, state
from appliance.storage.db import Database

GOOD = "good"
UNCERTAIN = "uncertain"


class OccupancyError(Exception):
    """An occupancy action was asked for with a value it cannot use."""


def current(conn: sqlite3.Connection) -> dict[str, Any]:
    """The occupancy state: value, confidence and since_reset (None before the first reset)."""
    return state.get(conn, "occupancy", {"value": 0, "confidence": GOOD, "since_reset": None})


def _put(tx: Tx, at: datetime, value: int, confidence: str, since_reset: str | None) -> None:
    # Counting starts with the first event: that is the first "since".
    since_reset = since_reset or iso(at)
    state.put(tx.conn, "occupancy", {"value": value, "confidence": confidence, "since_reset": since_reset}, iso(at))
    tx.publish("occupancy", at, value=value, confidence=confidence)


def retained_now(conn: sqlite3.Connection) -> list[tuple[str, dict[str, str], dict[str, Any]]]:
    """The footfall and occupancy topics as they stand (when anything was ever counted),
    (topic name, path, payload values), for sending again after the broker link (re)connects."""
    counters = state.with_prefix(conn, "footfall/")
    found: list[tuple[str, dict[str, str], dict[str, Any]]] = [
        ("footfall", {"direction": direction}, {"value": sum(int(c.get(direction, 0)) for c in counters.values())})
        for direction in ("in", "out") if counters
    ]
    occupancy = state.get(conn, "occupancy")
    if isinstance(occupancy, dict) and isinstance(occupancy.get("value"), int):
        found.append(("occupancy", {}, {"value": occupancy["value"], "confidence": occupancy.get("confidence", GOOD)}))
    return found


def _passed(tx: Tx, event: Passed) -> None:
    if event.direction not in ("in", "out"):
        raise OccupancyError(f"pass direction {event.direction!r} is neither 'in' nor 'out'")
    counts = state.get(tx.conn, f"footfall/{event.beam}", {"in": 0, "out": 0})
    counts[event.direction] += 1
    state.put(tx.conn, f"footfall/{event.beam}", counts, iso(event.at))
    state.add_count(tx.conn, tx.local_day(event.at), event.beam, event.direction)
    total = sum(c.get(event.direction, 0) for c in state.with_prefix(tx.conn, "footfall/").values())
    tx.publish("footfall", event.at, path={"direction": event.direction}, value=total)

    now = current(tx.conn)
    value, confidence = now["value"], now["confidence"]
    if event.direction == "in":
        value += 1
    elif value > 0:
        value -= 1
    else:
        confidence = UNCERTAIN  # someone left whom we never counted in
    _put(tx, event.at, value, confidence, now["since_reset"])


def _obstructed(tx: Tx, event: BeamObstructed) -> None:
    now = current(tx.conn)
    # People may walk past uncounted while the beam is blocked.
    _put(tx, event.at, now["value"], UNCERTAIN, now["since_reset"])
    _health(tx, f"beam/{event.beam}", "fault", f"{event.which} beam obstructed", event.at)


def _cleared(tx: Tx, event: BeamCleared) -> None:
    _health(tx, f"beam/{event.beam}", "ok", "", event.at)


def _motion(tx: Tx, event: MotionDetected) -> None:
    seen = state.get(tx.conn, f"motion/{event.pir}", {"count": 0, "last": None})
    seen = {"count": seen["count"] + 1, "last": iso(event.at)}
    state.put(tx.conn, f"motion/{event.pir}", seen, iso(event.at))
    state.add_count(tx.conn, tx.local_day(event.at), event.pir, "motion")


def _sensor_health(tx: Tx, event: SensorHealthChanged) -> None:
    _health(tx, event.sensor, event.status, event.detail, event.at)


def _health(tx: Tx, component: str, status: str, detail: str, at: datetime) -> None:
    """Record health; a problem's detail says since when, in the site's time."""
    if status != "ok":
        detail = f"{detail or status} since {at.astimezone(tx.zone):%H:%M}"
    state.set_health(tx.conn, component, status, detail, iso(at))


def _reset(tx: Tx, event: OccupancyReset) -> None:
    _put(tx, event.at, 0, GOOD, iso(event.at))


def reset(conn: sqlite3.Connection, config: Config, at: datetime, reason: str) -> int:
    """Set occupancy back to zero inside the caller's write transaction; return what it was.

    Usable from either role: it records an ``occupancy_reset`` event and queues the
    retained occupancy message in the same transaction (``with db.write() as conn: ...``).
    """
    if not reason.strip():
        raise OccupancyError("say why occupancy is reset (e.g. 'closing time', 'everyone left')")
    previous = int(current(conn)["value"])
    event = OccupancyReset(at=at, reason=reason.strip(), previous=previous)
    apply(Tx(conn, config), event, {OccupancyReset: (_reset,)})
    return previous


def reset_if_closed(db: Database, config: Config, clock: Clock) -> bool:
    """Reset occupancy once after each closing time; True when it did (a housekeeping job)."""
    now = clock.now()
    config = settings.effective(config, db.conn())  # opening hours changed on the Settings page
    closing = last_closing(config, now)
    if closing is None:
        return False
    with db.write() as conn:
        since = current(conn)["since_reset"]
        if since is None or parse_iso(since) >= closing:
            return False  # nothing counted yet, or already reset since that closing
        reset(conn, config, now, "closing time")
    return True


RULES: Rules = {
    Passed: (_passed,),
    BeamObstructed: (_obstructed,),
    BeamCleared: (_cleared,),
    MotionDetected: (_motion,),
    SensorHealthChanged: (_sensor_health,),
    OccupancyReset: (_reset,),
}
