"""The agent's single writer: every sensor event becomes, in one transaction, an event
row, the new state and the outbox rows that tell the broker.

Sensors call :meth:`Recorder.submit` from their own threads; one thread applies the
events in order. Domain rules register a handler per event type with :func:`handles`.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from appliance import outbox
from appliance.clock import Clock, iso
from appliance.config import Config
from appliance.db import Database
from appliance.events import Event
from appliance.topics import TopicContext, message

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)


@dataclass
class Tx:
    """What a handler gets: the open transaction and how to publish from it."""

    conn: sqlite3.Connection
    topics: TopicContext
    zone: ZoneInfo
    # The agent's config, for rules that publish derived topics at once (a fob sign-in);
    # None in tests and tools that record events without one.
    config: Config | None = None

    def publish(self, name: str, when: datetime, /, *, path: dict[str, str] | None = None, **values: Any) -> None:
        """Queue a message from the topic table in this transaction (``when``: its time)."""
        outbox.enqueue(self.conn, message(self.topics, name, path=path, **values), iso(when))

    def local_day(self, at: datetime) -> str:
        """The site's local date of a moment, for daily counts."""
        return at.astimezone(self.zone).date().isoformat()


Handler = Callable[[Tx, Any], None]
_HANDLERS: dict[type[Event], list[Handler]] = {}

# Modules holding domain rules; importing one registers its handlers.
RULE_MODULES = ["appliance.doors", "appliance.visits", "appliance.occupancy"]


def load_rules() -> None:
    """Import every rule module so its handlers are registered."""
    for name in RULE_MODULES:
        importlib.import_module(name)


def handles(event_type: type[E]) -> Callable[[Callable[[Tx, E], None]], Callable[[Tx, E], None]]:
    """Register a domain rule to run, inside the writer's transaction, for an event type."""

    def register(fn: Callable[[Tx, E], None]) -> Callable[[Tx, E], None]:
        _HANDLERS.setdefault(event_type, []).append(fn)
        return fn

    return register


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


def apply(tx: Tx, event: Event) -> None:
    """Write one event and everything that follows from it, in the caller's transaction."""
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
    for handler in _HANDLERS.get(type(event), ()):
        handler(tx, event)
    if getattr(event, "published", True):
        tx.publish("events", event.at, id=event.id, at=at, kind=kind, sensor=sensor, data=public)


class Recorder:
    """The single writer thread of the agent."""

    def __init__(
        self, db: Database, topics: TopicContext, zone: ZoneInfo, clock: Clock, config: Config | None = None
    ) -> None:
        load_rules()
        self.config = config
        self.db = db
        self.topics = topics
        self.zone = zone
        self.clock = clock
        self._queue: queue.SimpleQueue[Event | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.written = 0
        self.failed = 0
        self.last_progress = clock.monotonic()
        self.on_commit: list[Callable[[], None]] = []

    def submit(self, event: Event) -> None:
        """Hand an event to the writer; safe from any thread, never blocks."""
        self._queue.put(event)

    def write(self, events: list[Event]) -> None:
        """Apply events now, in one transaction, on the calling thread."""
        with self.db.write() as conn:
            tx = Tx(conn, self.topics, self.zone, self.config)
            for event in events:
                apply(tx, event)
        self.written += len(events)
        for callback in self.on_commit:
            callback()

    def start(self) -> None:
        """Start the writer thread."""
        self._thread = threading.Thread(target=self._run, name="recorder", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Write what is queued, then stop."""
        if self._thread:
            self._queue.put(None)
            self._thread.join(timeout=10)

    def is_alive(self) -> bool:
        """The writer thread is running."""
        return bool(self._thread and self._thread.is_alive())

    def _run(self) -> None:
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
