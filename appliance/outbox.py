"""The outbox: messages waiting for the broker, written in the same transaction as the
domain change they describe, and deleted only when the broker acknowledged them.

Retained state topics coalesce: a newer value replaces any older undelivered one, so a
long outage does not queue every intermediate occupancy figure.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from appliance.topics import Message


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
    """Delete messages the broker has acknowledged."""
    conn.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])


def depth(conn: sqlite3.Connection) -> int:
    """How many messages are waiting."""
    return int(conn.execute("SELECT count(*) FROM outbox").fetchone()[0])
