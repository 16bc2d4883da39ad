"""The derived retained topics (``rooms/<id>``, ``visits``, ``status``, ``rota/uncovered``, ``decisions/<id>``,
Home Assistant discovery), kept current on the broker.

:func:`refresh` recomputes them all and queues, inside the caller's transaction, only
those whose content changed since they were last queued (the fingerprint of each is
remembered in the state table under ``published/...``; the time ``at`` is left out
of the comparison, or every refresh would be a change).

Nobody calls it after their writes: each role gives its database :func:`commit_hook`,
which runs :func:`refresh` once, just before COMMIT, in every transaction that changed
one of the tables in :data:`READS` (appliance.storage.db). The agent also runs it every
few seconds (:func:`refresh_job`) so that changes made by time alone, such as a booking
starting, are published too.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from datetime import datetime
from typing import Any

from appliance.core.clock import Clock, iso
from appliance.core.config import Config
from appliance.decisions import results
from appliance.outbox import store
from appliance.outbox.topics import TOPICS, Message, TopicContext, message
from appliance.publishing import discovery
from appliance.rota import coverage
from appliance.sensing import doors, occupancy
from appliance.storage import settings, state
from appliance.storage.db import CommitHook, Database
from appliance.views import public

log = logging.getLogger(__name__)

_SEEN = "published/"  # state key prefix: fingerprint of each derived topic last queued

# Every table the derived topics read, so a change to one refreshes them in its own
# transaction. Not ``state``: the beams' occupancy count has its own retained topic,
# sent with each pass; the copy of it in ``status`` follows within the refresh job's
# 5 s, so a busy doorway does not add a status message and a state write per pass.
# ``decisions`` (not the tally or who voted: those change with each vote, and a ballot's
# result is published only when the close job marks it closed, a change to ``decisions``).
READS = ("rooms", "bookings", "visits", "settings", "shifts", "shift_exceptions", "shift_signups", "decisions")


def _derived(conn: sqlite3.Connection, config: Config, now: datetime) -> list[tuple[str, dict[str, str], dict[str, Any]]]:
    """(topic name, path, payload values without ``at``) for every derived topic."""
    # The dashboard's Settings (site name, opening hours) show on MQTT too: one read per refresh.
    config = settings.effective(config, conn)
    summary = public.summary(conn, config, now)
    items: list[tuple[str, dict[str, str], dict[str, Any]]] = []
    for room in summary["rooms"]:
        items.append(("rooms", {"room": room["room"]}, room))
    items.append(("visits", {}, summary["visits"]))  # no counts when the site shows a band
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
    # Volunteers needed: times and counts of the coming days' shifts with open places.
    items.append(("rota_uncovered", {}, {"days": config.rota.needed_days, "shifts": coverage.needed(conn, config, now)}))
    # Closed ballots' results: counts and turnout, never who (appliance.decisions.results).
    for result in results.published(conn):
        items.append(("decisions", {"decision": result["decision"]}, result))
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
    ctx = TopicContext.of(config)
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
        store.enqueue(conn, msg, at)
        state.put(conn, _SEEN + msg.topic, fingerprint, at)
    for key in gone:
        store.enqueue(conn, Message(key, "", 1, True), at)
        conn.execute("DELETE FROM state WHERE key = ?", (_SEEN + key,))
    return len(queue) + len(gone)


def republish(conn: sqlite3.Connection, config: Config, now: datetime) -> int:
    """Queue every retained topic's current value once, inside the caller's transaction:
    after each (re)connection, so a broker that lost its retained messages (a new one, or
    one without persistence) is whole again. The derived topics are queued whether they
    changed or not, discovery included; doors, footfall and occupancy from their state.
    A value still waiting in the outbox is replaced, not doubled (appliance.outbox.store).
    Returns how many were queued."""
    if not config.mqtt.enabled:
        return 0
    queued = refresh(conn, config, now, force=tuple(TOPICS))
    ctx = TopicContext.of(config)
    for name, path, values in (*doors.retained_now(conn), *occupancy.retained_now(conn)):
        store.enqueue(conn, message(ctx, name, path=path, **values), iso(now))
        queued += 1
    return queued


def announce(conn: sqlite3.Connection, config: Config, now: datetime) -> None:
    """Queue the Home Assistant discovery message again (Home Assistant restarted)."""
    refresh(conn, config, now, force=("discovery",))


def commit_hook(config: Config, clock: Clock) -> CommitHook:
    """The derived-topic refresh, for a role's :class:`~appliance.storage.db.Database`:
    run just before COMMIT in any transaction that changed one of :data:`READS`."""
    return CommitHook(READS, lambda conn: refresh(conn, config, clock.now()))


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


def bound_job(db: Database, config: Config, clock: Clock) -> None:
    """Keep the undelivered event stream within mqtt.events_max_rows / events_max_days."""
    with db.write() as conn:
        store.trim(conn, config.mqtt.events_max_rows, config.mqtt.events_max_days, clock.now())
