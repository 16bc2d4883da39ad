"""The outbox: messages waiting for the broker, written in the same transaction as the
domain change they describe, and deleted only when the broker acknowledged them.

Two kinds of rows share the table, told apart by ``retain``:

- retained state (door, occupancy, rooms, status ...) coalesces: a newer value
  replaces any older undelivered one for the same topic, so a day-long outage
  queues one row per topic, not every intermediate figure;
- the event stream keeps every row, up to a bound (``mqtt.events_max_rows`` rows,
  ``mqtt.events_max_days`` days). :func:`trim` drops the oldest beyond it and
  counts them in ``outbox_dropped`` so the dashboard can say so.

Row ids only grow (AUTOINCREMENT), so "oldest first" is "lowest id first".
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from appliance.core.clock import iso
from appliance.outbox.topics import Message

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Row:
    """One queued message."""

    id: int
    topic: str
    payload: str
    qos: int
    retain: bool


def enqueue(conn: sqlite3.Connection, message: Message, at: str) -> int:
    """Queue a message inside the caller's transaction; return its row id."""
    if message.retain:
        # Only the newest undelivered value of a state topic matters to anyone.
        conn.execute("DELETE FROM outbox WHERE topic = ? AND retain = 1", (message.topic,))
    cur = conn.execute(
        "INSERT INTO outbox (topic, payload, qos, retain, created_at) VALUES (?, ?, ?, ?, ?)",
        (message.topic, message.payload, message.qos, int(message.retain), at),
    )
    return int(cur.lastrowid or 0)


def pending(conn: sqlite3.Connection, after_id: int, limit: int) -> list[Row]:
    """Up to ``limit`` queued messages with an id above ``after_id``, oldest first."""
    rows = conn.execute(
        "SELECT id, topic, payload, qos, retain FROM outbox WHERE id > ? ORDER BY id LIMIT ?",
        (after_id, limit),
    )
    return [Row(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows]


def acknowledge(conn: sqlite3.Connection, ids: list[int]) -> None:
    """Delete messages the broker has acknowledged (ids already gone are ignored)."""
    conn.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])


def depth(conn: sqlite3.Connection) -> int:
    """How many messages are waiting."""
    return int(conn.execute("SELECT count(*) FROM outbox").fetchone()[0])


def events_waiting(conn: sqlite3.Connection) -> int:
    """How many event-stream (not retained) messages are waiting."""
    return int(conn.execute("SELECT count(*) FROM outbox WHERE retain = 0").fetchone()[0])


def trim(conn: sqlite3.Connection, max_rows: int, max_days: float, now: datetime) -> int:
    """Drop undelivered events beyond the bound, oldest first; count and log them.

    Runs inside the caller's transaction. Retained state rows are never dropped (there
    is at most one per topic). Returns how many rows were dropped.
    """
    cutoff = iso(now - timedelta(days=max_days))
    oldest = conn.execute("SELECT min(created_at) FROM outbox WHERE retain = 0").fetchone()[0]
    dropped = conn.execute("DELETE FROM outbox WHERE retain = 0 AND created_at < ?", (cutoff,)).rowcount
    excess = events_waiting(conn) - max_rows
    if excess > 0:
        dropped += conn.execute(
            "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE retain = 0 ORDER BY id LIMIT ?)",
            (excess,),
        ).rowcount
    if dropped:
        at = iso(now)
        conn.execute(
            "INSERT INTO outbox_dropped (day, dropped, oldest_at, last_dropped_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(day) DO UPDATE SET dropped = dropped + excluded.dropped,"
            "  oldest_at = min(coalesce(oldest_at, excluded.oldest_at), excluded.oldest_at),"
            "  last_dropped_at = excluded.last_dropped_at",
            (at[:10], dropped, oldest, at),
        )
        log.warning(
            "the broker has been unreachable too long: dropped the %d oldest undelivered events"
            " (bound: %d events or %s days)", dropped, max_rows, max_days,
        )
    return dropped


@dataclass(frozen=True)
class Dropped:
    """What the bound has cost so far."""

    total: int
    last_dropped_at: str | None


def dropped(conn: sqlite3.Connection) -> Dropped:
    """How many undelivered events were ever dropped, and when last."""
    row = conn.execute("SELECT coalesce(sum(dropped), 0), max(last_dropped_at) FROM outbox_dropped").fetchone()
    return Dropped(int(row[0]), row[1])


def oldest_waiting(conn: sqlite3.Connection) -> str | None:
    """When the oldest message still waiting was queued."""
    row = conn.execute("SELECT created_at FROM outbox ORDER BY id LIMIT 1").fetchone()
    return row[0] if row else None
