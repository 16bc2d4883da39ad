"""The agent's single writer: every sensor event becomes, in one transaction, an event
row, the new state and the outbox rows that tell the broker.

Sensors hand events to :meth:`Recorder.submit` from their own threads (they know it as
their :class:`~appliance.core.events.EventSink`); one thread applies them in order. What
follows from each kind of event is a rule: a plain function ``(tx, event)`` from a table
of :data:`Rules` that the role running the recorder gives it (doorstep.agent).
After each commit the writer hands over to its :class:`Sender` (the MQTT publisher), which
sends at once when idle.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import queue
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from appliance.core.clock import Clock, iso
from appliance.core.config import Config
from appliance.core.events import Event
from appliance.core.threads import Worker
from appliance.outbox.tx import Tx
from appliance.storage.db import Database

log = logging.getLogger(__name__)

Rule = Callable[[Tx, Any], None]
# Which rules run, in order, for each type of event.
Rules = Mapping[type[Event], Sequence[Rule]]


def combine(*tables: Rules) -> dict[type[Event], tuple[Rule, ...]]:
    """One rules table from several modules' tables (their rules for a type run in order)."""
    merged: dict[type[Event], tuple[Rule, ...]] = {}
    for table in tables:
        for event_type, rules in table.items():
            merged[event_type] = merged.get(event_type, ()) + tuple(rules)
    return merged


class Sender(Protocol):
    """Who the writer tells after each commit (the publisher's ``kick``)."""

    def kick(self) -> None:
        """Send what was just committed, at once if idle."""


# Per event type, worked out once: its own field names and its kind (on every event's path).
_FIELDS: dict[type[Event], tuple[str, ...]] = {}
_KINDS: dict[type[Event], str] = {}


def _fields(event: Event) -> tuple[str, ...]:
    names = _FIELDS.get(type(event))
    if names is None:
        names = _FIELDS[type(event)] = tuple(f.name for f in dataclasses.fields(event) if f.name not in ("id", "at"))
    return names


def _kind(event: Event) -> str:
    kind = _KINDS.get(type(event))
    if kind is None:
        kind = _KINDS[type(event)] = event.kind
    return kind


def event_data(event: Event) -> dict[str, Any]:
    """The event's own fields (not id/at) as JSON-ready values."""
    data = {}
    for name in _fields(event):
        value = getattr(event, name)
        data[name] = iso(value) if isinstance(value, datetime) else value
    return data


def sensor_of(event: Event) -> str:
    """The id of the sensor an event came from."""
    for attr in ("door", "beam", "pir", "reader", "sensor"):
        value = getattr(event, attr, None)
        if isinstance(value, str):
            return value
    return ""


def apply(tx: Tx, event: Event, rules: Rules) -> None:
    """Write one event and everything ``rules`` make follow from it, in the caller's transaction."""
    data = event_data(event)
    private = getattr(event, "private_fields", ())
    public = {k: v for k, v in data.items() if k not in private}
    at = iso(event.at)
    kind, sensor = _kind(event), sensor_of(event)
    # A retry of an event already recorded has the same id and time; the time index finds it.
    cur = tx.conn.execute(
        "INSERT INTO sensor_events (id, at, kind, sensor, data) SELECT :id, :at, :kind, :sensor, :data"
        " WHERE NOT EXISTS (SELECT 1 FROM sensor_events WHERE at = :at AND id = :id)",
        {"id": event.id, "at": at, "kind": kind, "sensor": sensor, "data": json.dumps(public, sort_keys=True)},
    )
    if cur.rowcount == 0:
        return  # the same event twice (a retry): already recorded
    for rule in rules.get(type(event), ()):
        rule(tx, event)
    if getattr(event, "published", True):
        tx.publish("events", event.at, id=event.id, at=at, kind=kind, sensor=sensor, data=public)


class Recorder(Worker):
    """The single writer thread of the agent."""

    def __init__(self, db: Database, config: Config, clock: Clock, rules: Rules) -> None:
        super().__init__("recorder", join_seconds=10)
        self.db = db
        self.config = config
        self.clock = clock
        self.rules = rules
        self.sender: Sender | None = None
        self._queue: queue.SimpleQueue[Event | None] = queue.SimpleQueue()
        self.written = 0
        self.failed = 0
        self.last_progress = clock.monotonic()

    def submit(self, event: Event) -> None:
        """Hand an event to the writer; safe from any thread, never blocks."""
        self._queue.put(event)

    def write(self, events: list[Event]) -> None:
        """Apply events now, in one transaction, on the calling thread."""
        with self.db.write() as conn:
            tx = Tx(conn, self.config)
            for event in events:
                apply(tx, event, self.rules)
        self.written += len(events)
        if self.sender is not None:
            self.sender.kick()

    def wake(self) -> None:
        """Write what is queued, then stop (the None ends the loop after it)."""
        self._queue.put(None)

    def loop(self) -> None:
        stopping = False
        while not stopping:
            try:
                first = self._queue.get(timeout=1.0)
            except queue.Empty:
                self.last_progress = self.clock.monotonic()
                continue
            batch: list[Event] = []
            item: Event | None = first
            while True:
                if item is None:
                    stopping = True
                else:
                    batch.append(item)
                # Only this thread takes from the queue, so "not empty" means get_nowait() has an
                # item (and no exception is raised on every event's path).
                if len(batch) >= 500 or self._queue.empty():
                    break
                item = self._queue.get_nowait()
            if batch:
                self._write_batch(batch)
            self.last_progress = self.clock.monotonic()

    def _write_batch(self, batch: list[Event]) -> None:
        try:
            self.write(batch)
        except Exception as exc:  # the writer thread must outlive any one bad event
            # One bad event must not lose the others: retry one by one, keep what works.
            log.error("writing %d events failed (%s); retrying one by one", len(batch), exc)
            for event in batch:
                try:
                    self.write([event])
                except Exception as one_exc:
                    self.failed += 1
                    log.error("could not record %s %s: %s", event.kind, event.id, one_exc)
