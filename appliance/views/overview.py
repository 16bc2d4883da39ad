"""The dashboard's picture of the building: occupancy now and through the day, doors,
footfall by hour, who is in, today's bookings and volunteer shifts, sensor health and the
broker link.

This is for the people who run the space (it has names); the public picture without
names is appliance.views.public. Views call :func:`overview` and render; no SQL in views.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from appliance.booking import whatson
from appliance.core.clock import iso, parse_iso
from appliance.core.config import Config
from appliance.outbox import delivery
from appliance.people import visits
from appliance.rota import coverage
from appliance.sensing import occupancy
from appliance.storage import state
from appliance.views.public import is_open


class OverviewError(Exception):
    """The overview cannot be built as asked."""


@dataclass(frozen=True)
class Point:
    """One point of a curve: a local time and a value."""

    at: datetime
    value: int


def day_bounds(config: Config, now: datetime) -> tuple[datetime, datetime]:
    """Start and end (UTC) of the site's local day containing ``now``."""
    zone = config.site.zone
    day = now.astimezone(zone).date()
    start = datetime.combine(day, time(0, 0), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0, 0), zone).astimezone(UTC)
    return start, end


def occupancy_curve(conn: sqlite3.Connection, config: Config, now: datetime) -> list[Point]:
    """Occupancy through today so far, replayed from today's passes and resets.

    The day starts at zero (occupancy resets at closing time); each pass in or out is a
    step, never below zero, like the live rule in appliance.sensing.occupancy.
    """
    start, _ = day_bounds(config, now)
    zone = config.site.zone
    value = 0
    points = [Point(start.astimezone(zone), 0)]
    rows = conn.execute(
        "SELECT at, kind, json_extract(data, '$.direction') AS direction FROM sensor_events"
        " WHERE at >= ? AND at <= ? AND kind IN ('passed', 'occupancy_reset') ORDER BY at",
        (iso(start), iso(now)),
    )
    for row in rows:
        if row["kind"] == "occupancy_reset":
            value = 0
        elif row["direction"] == "in":
            value += 1
        elif row["direction"] == "out":
            value = max(0, value - 1)
        points.append(Point(parse_iso(row["at"]).astimezone(zone), value))
    points.append(Point(now.astimezone(zone), value))
    return points


def footfall_by_hour(conn: sqlite3.Connection, config: Config, now: datetime) -> list[int]:
    """People counted in through every beam pair, per local hour of today (24 values)."""
    return passes_in_by_hour(conn, config, *day_bounds(config, now))


def passes_in_by_hour(conn: sqlite3.Connection, config: Config, start: datetime, end: datetime) -> list[int]:
    """People counted in through every beam pair between ``start`` and ``end``, per local
    hour of the day (24 values; a range of many days adds them up)."""
    hours = [0] * 24
    zone = config.site.zone
    rows = conn.execute(
        "SELECT at FROM sensor_events WHERE at >= ? AND at < ? AND kind = 'passed'"
        " AND json_extract(data, '$.direction') = 'in'",
        (iso(start), iso(end)),
    )
    for row in rows:
        hours[parse_iso(row["at"]).astimezone(zone).hour] += 1
    return hours


def presumed_left_since(conn: sqlite3.Connection, since: datetime) -> list[visits.Visit]:
    """Visits the end-of-day sweep closed at or after ``since`` (the last closing: shown the next morning)."""
    ids = [r["id"] for r in conn.execute(
        "SELECT id FROM visits WHERE end_reason = 'presumed_left' AND signed_out_at >= ? ORDER BY signed_in_at",
        (iso(since),),
    )]
    return [v for v in (visits.get(conn, i) for i in ids) if v is not None]


def health_rows(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every component's health, worst first."""
    order = {"fault": 0, "unplugged": 1, "offline": 2, "unknown": 3, "ok": 4}
    rows = [dict(r) for r in conn.execute("SELECT component, status, since, detail FROM health")]
    return sorted(rows, key=lambda r: (order.get(r["status"], 5), r["component"]))


def broker_link(conn: sqlite3.Connection) -> dict[str, Any]:
    """The broker link as the agent last wrote it (appliance.outbox.delivery.broker_status)."""
    return delivery.broker_status(conn)


def doors(conn: sqlite3.Connection, config: Config) -> list[dict[str, Any]]:
    """Every configured door (and any seen in state) with its state and since when."""
    seen = state.with_prefix(conn, "door/")
    names = {d.id: d.name or d.id for d in config.doors}
    ids = list(names) + [d for d in seen if d not in names]
    return [
        {"id": d, "name": names.get(d, d), "state": seen.get(d, {}).get("state", "unknown"),
         "since": seen.get(d, {}).get("since"), "held_open": bool(seen.get(d, {}).get("held_open", False))}
        for d in ids
    ]


def overview(conn: sqlite3.Connection, config: Config, now: datetime) -> dict[str, Any]:
    """Everything the dashboard shows, fresh from the database."""
    closing = occupancy.last_closing(config, now)
    return {
        "at": now,
        "open": is_open(config, now),
        "occupancy": occupancy.current(conn),
        "curve": occupancy_curve(conn, config, now),
        "doors": doors(conn, config),
        "footfall": footfall_by_hour(conn, config, now),
        "in_now": visits.signed_in_now(conn),
        "presumed_left": presumed_left_since(conn, closing) if closing else [],
        "last_closing": closing,
        "bookings": whatson.todays_public(conn, config, now),
        "rota": coverage.rota(conn, config, *day_bounds(config, now), now),
        "health": health_rows(conn),
        "broker": broker_link(conn),
    }

