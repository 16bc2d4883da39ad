"""A recording MQTT subscriber for tests (a plain module, so test files can import it;
``from conftest import`` breaks once a second conftest.py exists under tests/)."""

from __future__ import annotations

import contextlib
import json
import os
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion


@dataclass
class Received:
    """One message as a subscriber saw it."""

    topic: str
    payload: bytes
    retain: bool
    qos: int
    arrived: float  # time.monotonic()

    @property
    def text(self) -> str:
        """The payload as text."""
        return self.payload.decode("utf-8", errors="replace")


@dataclass
class Listener:
    """A subscriber on '#' that records every message with its arrival time."""

    client: paho.Client
    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def snapshot(self) -> list[Received]:
        """The messages so far."""
        with self.lock:
            return list(self.messages)

    def on(self, topic: str) -> list[Received]:
        """Messages on one topic."""
        return [m for m in self.snapshot() if m.topic == topic]

    def wait_for(self, predicate: Callable[[list[Received]], bool], timeout: float = 10.0) -> list[Received]:
        """Wait until ``predicate(messages)`` holds; fail the test with what arrived if it never does."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while not predicate(self.snapshot()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [(m.topic, m.text[:80]) for m in self.snapshot()[-20:]]
                    pytest.fail(f"the expected MQTT messages did not arrive; last seen: {seen}")
                self.arrived.wait(min(remaining, 0.1))
        return self.snapshot()

    def clear(self) -> None:
        """Forget what was recorded."""
        with self.lock:
            self.messages.clear()

    def payloads(self, topic: str) -> list[str]:
        """Payloads on one topic as text, in arrival order."""
        return [m.text for m in self.on(topic)]

    def event_ids(self, topic: str, kind: str | None = None) -> list[str]:
        """Ids of the JSON events on a topic in arrival order, duplicates kept (optionally one kind)."""
        ids = []
        for payload in self.payloads(topic):
            with contextlib.suppress(ValueError):
                body = json.loads(payload)
                if kind is None or body.get("kind") == kind:
                    ids.append(str(body["id"]))
        return ids

    def close(self) -> None:
        """Disconnect, stop the network thread and close its sockets: paho's loop_start makes
        a wake-up socket pair that loop_stop leaves open until the client is collected, and a
        collection in a cycle warns of it at the end of the run (pytest then fails the run)."""
        self.client.disconnect()
        self.client.loop_stop()
        self.client.reinitialise()  # closes every socket the client holds


def make_listener(
    host: str, port: int, topic: str = "#", *, client_id: str | None = None, durable: bool = False,
    ca: Path | None = None, username: str | None = None, password: str | None = None,
) -> Listener:
    """Connect a recording subscriber and wait until its subscription is active.

    ``durable``: a persistent session (clean_session false, QoS 1) that reconnects by
    itself, so the broker queues for it while it is cut off and what it misses is a real
    loss, not the listener's. ``ca``: TLS against that CA. ``username``: log in.
    """
    client_id = client_id or f"listener-{os.getpid()}-{time.monotonic_ns()}"
    client = paho.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id,
                         clean_session=not durable)
    if ca is not None:
        client.tls_set(ca_certs=str(ca), cert_reqs=ssl.CERT_REQUIRED)
    if username is not None:
        client.username_pw_set(username, password)
    if durable:
        client.reconnect_delay_set(1, 2)
    listener = Listener(client)
    subscribed = threading.Event()

    def on_message(c, userdata, msg):  # type: ignore[no-untyped-def]
        with listener.lock:
            listener.messages.append(Received(msg.topic, msg.payload, bool(msg.retain), msg.qos, time.monotonic()))
        with listener.arrived:
            listener.arrived.notify_all()

    def on_connect(c, userdata, flags, reason_code, properties):  # type: ignore[no-untyped-def]
        c.subscribe(topic, qos=1)

    client.on_message = on_message
    client.on_connect = on_connect
    client.on_subscribe = lambda *args: subscribed.set()
    client.max_queued_messages_set(0)
    client.connect(host, port)
    client.loop_start()
    if not subscribed.wait(10):
        client.loop_stop()
        pytest.fail(f"the test subscriber {client_id} could not subscribe on the broker at {host}:{port}")
    return listener


def role_database(config: Any, clock: Any) -> Any:
    """The database as a role opens it: migrated, with the derived-topic refresh run before
    every commit that changes what MQTT's derived topics show (appliance.storage.db)."""
    from appliance.publishing import derived
    from appliance.storage.db import Database

    db = Database(config.database.path, clock, hook=derived.commit_hook(config, clock))
    db.migrate()
    return db
