"""The derived retained topics (``rooms/<id>``, ``visits``, ``status``, Home Assistant
discovery), kept current on the broker, and what the dashboard shows about the link.

:func:`refresh` recomputes them all and queues, inside the caller's transaction, only
those whose content changed since they were last queued (the fingerprint of each is
remembered in the state table under ``published/...``; the time ``at`` is left out
of the comparison, or every refresh would be a change). Anyone who changes visits,
bookings or rooms calls it after their writes, in the same transaction; the agent
also runs it every few seconds (the ``publish-refresh`` job) so that changes made by
time alone, such as a booking starting, are published too.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from datetime import datetime
from typing import Any

from appliance import discovery, outbox, settings, state, status
from appliance.clock import Clock, iso
from appliance.config import Config
from appliance.db import Database
from appliance.housekeeping import job
from appliance.topics import Message, TopicContext, message

log = logging.getLogger(__name__)

_SEEN = "published/"  # state key prefix: fingerprint of each derived topic last queued


def context(config: Config) -> TopicContext:
    """The topic prefix, site id and discovery prefix from config."""
    return TopicContext(config.mqtt.topic_prefix, config.site.id, config.mqtt.discovery_prefix)


def _derived(conn: sqlite3.Connection, config: Config, now: datetime) -> list[tuple[str, dict[str, str], dict[str, Any]]]:
    """(topic name, path, payload values without ``at``) for every derived topic."""
    # The dashboard's Settings (site name, opening hours) show on MQTT too: one read per refresh.
    config = settings.effective(config, conn)
    summary = status.summary(conn, config, now)
    items: list[tuple[str, dict[str, str], dict[str, Any]]] = []
    for room in summary["rooms"]:
        items.append(("rooms", {"room": room["room"]}, room))
    counts = status.visit_counts(conn, config, now)
    items.append(("visits", {}, counts))
    items.append(
        (
            "status", {},
            {
                # people_in is None when the site shows a band (the occupancy topic still
                # carries the beams' estimate for Home Assistant).
                "name": config.site.name, "open": summary["open"], "busy": summary["busy"],
                "people_in": summary["people_in"],
                "sentence": summary["sentence"], "now": summary["now"], "next": summary["next"],
            },
        )
    )
    if config.mqtt.discovery:
        items.append(("discovery", {"node": discovery.node_id(config)}, {"config": discovery.payload(conn, config)}))
    return items


def _fingerprint(msg: Message) -> str:
    return hashlib.sha256(msg.payload.encode("utf-8")).hexdigest()[:32]


def _changes(
    conn: sqlite3.Connection, config: Config, now: datetime, force: tuple[str, ...] = ()
) -> tuple[list[tuple[Message, str]], list[str]]:
    """What a refresh would do: (message, fingerprint) to queue, and room topics to clear."""
    if not config.mqtt.enabled:
        return [], []
    ctx = context(config)
    at = iso(now)
    seen = state.with_prefix(conn, _SEEN)
    live: set[str] = set()
    queue: list[tuple[Message, str]] = []
    for name, path, values in _derived(conn, config, now):
        timed = name != "discovery"  # discovery carries no ``at``
        untimed = message(ctx, name, path=path, **(dict(values, at="") if timed else values))
        live.add(untimed.topic)
        fingerprint = _fingerprint(untimed)
        if seen.get(untimed.topic) != fingerprint or name in force:
            # Only a topic that changed is built again with its time (nearly always none is).
            msg = message(ctx, name, path=path, **dict(values, at=at)) if timed else untimed
            queue.append((msg, fingerprint))
    # A room that went (deleted or made private): its retained message is cleared.
    gone = [key for key in seen if key not in live and key.startswith(ctx.full("rooms/"))]
    return queue, gone


def refresh(conn: sqlite3.Connection, config: Config, now: datetime, force: tuple[str, ...] = ()) -> int:
    """Queue every derived retained topic whose content changed; return how many were queued.

    Call it inside your write transaction after changing visits, bookings or rooms.
    ``force`` names topics (e.g. ``("discovery",)``) to queue even if unchanged.
    Does nothing when MQTT is switched off.
    """
    queue, gone = _changes(conn, config, now, force)
    at = iso(now)
    for msg, fingerprint in queue:
        outbox.enqueue(conn, msg, at)
        state.put(conn, _SEEN + msg.topic, fingerprint, at)
    for key in gone:
        outbox.enqueue(conn, Message(key, "", 1, True), at)
        conn.execute("DELETE FROM state WHERE key = ?", (_SEEN + key,))
    return len(queue) + len(gone)


def announce(conn: sqlite3.Connection, config: Config, now: datetime) -> None:
    """Queue the Home Assistant discovery message again (Home Assistant restarted)."""
    refresh(conn, config, now, force=("discovery",))


def broker_status(conn: sqlite3.Connection) -> dict[str, Any]:
    """What the dashboard shows about the broker link, from the database (either role).

    Keys: ``connected`` (bool), ``status`` ('ok' / 'offline' / 'unknown' before the
    agent ever tried), ``since`` (when that status began), ``detail`` (in words),
    ``depth`` (messages waiting), ``events_waiting``, ``oldest_waiting_at``,
    ``last_ack_at``, ``dropped`` (events given up for the bound, ever),
    ``last_dropped_at``, ``last_error`` and ``last_error_at`` (None when never).
    """
    row = conn.execute("SELECT status, since, detail FROM health WHERE component = 'broker'").fetchone()
    error = state.get(conn, "broker/last_error")
    gone = outbox.dropped(conn)
    return {
        "connected": bool(row and row["status"] == "ok"),
        "status": row["status"] if row else "unknown",
        "since": row["since"] if row else None,
        "detail": row["detail"] if row else "the agent has not tried to reach the broker yet",
        "depth": outbox.depth(conn),
        "events_waiting": outbox.events_waiting(conn),
        "oldest_waiting_at": outbox.oldest_waiting(conn),
        "last_ack_at": state.get(conn, "broker/last_ack"),
        "dropped": gone.total,
        "last_dropped_at": gone.last_dropped_at,
        "last_error": error["detail"] if isinstance(error, dict) else None,
        "last_error_at": error["at"] if isinstance(error, dict) else None,
    }


@job("publish-refresh", every_seconds=5)
def refresh_job(db: Database, config: Config, clock: Clock) -> None:
    """Publish what changed by time alone (a booking starting, opening hours).

    Looks first without the write lock (nearly always nothing changed, and the single
    writer must not wait every 5 s while the topics are worked out), then writes only
    if something did, working it out again inside the transaction.
    """
    now = clock.now()
    queue, gone = _changes(db.conn(), config, now)
    if queue or gone:
        with db.write() as conn:
            refresh(conn, config, now)


@job("outbox-bound", every_seconds=60)
def bound_job(db: Database, config: Config, clock: Clock) -> None:
    """Keep the undelivered event stream within mqtt.events_max_rows / events_max_days."""
    with db.write() as conn:
        outbox.trim(conn, config.mqtt.events_max_rows, config.mqtt.events_max_days, clock.now())
