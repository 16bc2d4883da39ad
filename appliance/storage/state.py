"""Current state (doors, counters, occupancy) and per-day counts, in the database."""

from __future__ import annotations

import json
import sqlite3
from typing import Any


def put(conn: sqlite3.Connection, key: str, value: Any, at: str) -> None:
    """Set a state value (JSON-serialisable) inside the caller's transaction."""
    conn.execute(
        "INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        (key, json.dumps(value, sort_keys=True), at),
    )


def put_unless(conn: sqlite3.Connection, key: str, value: Any, at: str, field: str, current: Any) -> bool:
    """Set a state value unless its ``field`` already holds ``current``; True if it was set.

    One statement instead of a read and a write: the hot path of every door event.
    """
    row = conn.execute(
        "INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
        " WHERE json_extract(state.value, ?) IS NOT ?"
        " RETURNING 1",
        (key, json.dumps(value, sort_keys=True), at, f"$.{field}", current),
    ).fetchone()
    return row is not None


def get(conn: sqlite3.Connection, key: str, default: Any = None) -> Any:
    """A state value, or ``default`` when never set."""
    row = conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
    return json.loads(row[0]) if row else default


def with_prefix(conn: sqlite3.Connection, prefix: str) -> dict[str, Any]:
    """Every state value whose key starts with ``prefix``, keyed by the rest of the key."""
    rows = conn.execute(
        "SELECT key, value FROM state WHERE key >= ? AND key < ? ORDER BY key",
        (prefix, prefix + "\uffff"),
    )
    return {row[0][len(prefix):]: json.loads(row[1]) for row in rows}


def add_count(conn: sqlite3.Connection, day: str, sensor: str, metric: str, amount: int = 1) -> int:
    """Add to a daily count; return the new value."""
    row = conn.execute(
        "INSERT INTO daily_counts (day, sensor, metric, value) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(day, sensor, metric) DO UPDATE SET value = value + excluded.value"
        " RETURNING value",
        (day, sensor, metric, amount),
    ).fetchone()
    return int(row[0])


def set_health(
    conn: sqlite3.Connection, component: str, status: str, detail: str, at: str
) -> bool:
    """Record a component's health; ``since`` moves only when the status changes. True if it did."""
    row = conn.execute("SELECT status FROM health WHERE component = ?", (component,)).fetchone()
    changed = row is None or row[0] != status
    conn.execute(
        "INSERT INTO health (component, status, since, detail, updated_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT(component) DO UPDATE SET"
        "  since = CASE WHEN health.status = excluded.status THEN health.since ELSE excluded.since END,"
        "  status = excluded.status, detail = excluded.detail, updated_at = excluded.updated_at",
        (component, status, at, detail, at),
    )
    return changed
