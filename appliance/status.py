"""The public picture of the building: what the display, /status.* and live pages show.

Only counts and states; never a name (the privacy rule of DESIGN.md).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from appliance import state
from appliance.clock import iso
from appliance.config import Config


def is_open(config: Config, now: datetime) -> bool:
    """Whether the site is within its opening hours at ``now``."""
    local = now.astimezone(config.site.zone)
    hours = config.site.opening_hours.for_weekday(local.weekday())
    if hours is None:
        return False
    return hours[0] <= local.strftime("%H:%M") < hours[1]


def snapshot(conn: sqlite3.Connection, config: Config, now: datetime) -> dict[str, Any]:
    """Everything public about the building right now, as JSON-ready data."""
    doors = state.with_prefix(conn, "door/")
    names = {d.id: d.name or d.id for d in config.doors}
    health = {
        row["component"]: {"status": row["status"], "since": row["since"], "detail": row["detail"]}
        for row in conn.execute("SELECT component, status, since, detail FROM health ORDER BY component")
    }
    return {
        "site": config.site.id,
        "name": config.site.name,
        "at": iso(now),
        "open": is_open(config, now),
        "doors": {
            door_id: {"name": names.get(door_id, door_id), **value} for door_id, value in doors.items()
        },
        "health": health,
    }
