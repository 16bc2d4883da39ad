"""Faults on the way to the broker: the broker gone for 30 s mid-stream, the agent
SIGKILLed mid-stream and started again, TLS with the right and the wrong CA. Nothing
committed is lost; order per topic holds; duplicates stay within the in-flight window."""

from __future__ import annotations

import dataclasses
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mqttkit import Listener, make_listener
from pki_support import make_test_pki
from test_mqtt import Running, start, wait_until

from appliance.core.clock import ManualClock, SystemClock
from appliance.core.config import Config, MqttConfig
from appliance.core.events import DoorClosed, DoorOpened
from appliance.outbox import delivery, store
from appliance.sensing.recorder import Recorder
from appliance.storage.db import Database
from doorstep.agent import RULES
from doorstep.broker import Mosquitto

EVENTS = "doorstep/community-hall/events"


def durable_listener(broker: Mosquitto, name: str, ca: Path | None = None) -> Listener:
    """A persistent-session subscriber: the broker queues for it while it is away, so a
    message is never lost because the listener reconnected later than we did."""
    return make_listener(broker.host, broker.port, client_id=name, durable=True, ca=ca)


@pytest.fixture
def durable(broker: Mosquitto) -> Iterator[Listener]:
    listener = durable_listener(broker, f"durable-{time.monotonic_ns()}")
    yield listener
    listener.close()


def event_ids(listener: Listener) -> list[str]:
    """Ids of the events stream as received, duplicates included."""
    return listener.event_ids(EVENTS)


def test_broker_gone_for_30_seconds_mid_stream(
    db: Database, broker_config: Config, clock: ManualClock, broker: Mosquitto, durable: Listener
) -> None:
    running: Running = start(db, broker_config, clock)
    sent: list[str] = []
    stop = threading.Event()

    def stream() -> None:  # a door flapping 20 times a second, all along
        n = 0
        while not stop.is_set():
            event = (DoorOpened if n % 2 else DoorClosed)(door="front", at=clock.advance(0.05))
            running.recorder.write([event])
            sent.append(event.id)
            n += 1
            stop.wait(0.05)

    writer = threading.Thread(target=stream)
    writer.start()
    try:
        durable.wait_for(lambda ms: sum(m.topic == EVENTS for m in ms) >= 40)
        broker.stop()
        time.sleep(30)  # the outage itself: the stream goes on into the outbox
        assert delivery.broker_status(db.conn())["connected"] is False
        assert store.events_waiting(db.conn()) > 100
        broker.start()
        # the stream goes on across the reconnect, so events also arrive while the backlog drains
        wait_until(durable, lambda: delivery.broker_status(db.conn())["connected"] is True, timeout=30)
        stop.set()
        writer.join()
        wait_until(durable, lambda: set(sent) <= set(event_ids(durable)), timeout=120)
    finally:
        stop.set()
        writer.join()
        running.publisher.stop()
    received = event_ids(durable)
    first_seen = list(dict.fromkeys(received))
    assert [i for i in first_seen if i in set(sent)] == sent  # every one, in order
    assert len(received) - len(set(received)) <= broker_config.mqtt.inflight  # one reconnect: one window at most
    door = [m.text for m in durable.snapshot() if m.topic == "doorstep/community-hall/door/front"]
    assert door[-1] == ("open" if (len(sent) - 1) % 2 else "closed")


def _agent_config(path: Path, db: Path, broker: Mosquitto) -> None:
    path.write_text(
        f"""
[database]
path = "{db}"
[mqtt]
host = "{broker.host}"
port = {broker.port}
client_id = "faults-agent"
keepalive = 5
[hardware]
pin_factory = "mock"
simulate = true
[[doors]]
id = "front"
pin = 17
[[doors]]
id = "back"
pin = 27
""",
        encoding="utf-8",
    )


def _committed_door_events(db: Path) -> list[str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT id FROM sensor_events WHERE kind IN ('door_opened', 'door_closed') ORDER BY rowid"
        ).fetchall()
    conn.close()
    return [r[0] for r in rows]


def _wait(condition, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:  # type: ignore[no-untyped-def, type-arg]
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, f"the agent exited: {log.read_text()[-2000:]}"
        assert time.monotonic() < deadline, f"gave up waiting; agent log: {log.read_text()[-2000:]}"
        time.sleep(0.2)


def test_agent_sigkilled_mid_stream_loses_nothing_committed(tmp_path: Path, broker: Mosquitto, durable: Listener) -> None:
    config_path, db_path, log = tmp_path / "config.toml", tmp_path / "doorstep.db", tmp_path / "agent.log"
    _agent_config(config_path, db_path, broker)
    command = [sys.executable, "-m", "doorstep", "agent", "--config", str(config_path)]
    with log.open("ab") as out:
        agent = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    # A second writer on the same database file (as the web role is) keeps a stream of
    # events coming, 50 a second, whatever the simulated visitors do at this hour.
    # Its events are stamped from today (the agent runs on the real clock, and its outbox
    # drops what is older than 7 days): a fixed date here went stale as the calendar moved.
    writer_db = Database(db_path, ManualClock(SystemClock().now()))
    stop = threading.Event()

    def stream() -> None:
        recorder = Recorder(writer_db, Config(), writer_db.clock, RULES)
        n = 0
        while not stop.is_set():
            recorder.write([(DoorOpened if n % 2 else DoorClosed)(door="side", at=writer_db.clock.advance(0.02))])
            n += 1
            stop.wait(0.02)

    writer = threading.Thread(target=stream)
    try:
        _wait(lambda: db_path.exists() and len(event_ids(durable)) >= 1, agent, log)
        writer.start()
        _wait(lambda: len(event_ids(durable)) >= 150, agent, log)
        agent.send_signal(signal.SIGKILL)  # mid-stream: rows in flight, rows waiting
        agent.wait()
        stop.set()
        writer.join()
        committed = _committed_door_events(db_path)
        assert len(set(committed) - set(event_ids(durable))) > 0, "nothing was left to deliver: the test proves nothing"
        # The broker says so for us: the last will.
        durable.wait_for(lambda ms: [m.text for m in ms if m.topic.endswith("/availability")][-1:] == ["offline"])
        with log.open("ab") as out:
            agent = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        _wait(lambda: set(committed) <= set(event_ids(durable)), agent, log)
        durable.wait_for(lambda ms: [m.text for m in ms if m.topic.endswith("/availability")][-1:] == ["online"])
    finally:
        stop.set()
        if writer.is_alive():
            writer.join()
        writer_db.close()
        if agent.poll() is None:
            agent.send_signal(signal.SIGTERM)
            agent.wait(timeout=15)
    first_seen = [i for i in dict.fromkeys(event_ids(durable)) if i in set(committed)]
    assert first_seen == committed  # every one, in the order it was committed


@pytest.fixture
def tls_broker(tmp_path: Path) -> Iterator[tuple[Mosquitto, Path]]:
    pki = make_test_pki(tmp_path / "pki", "right")
    broker = Mosquitto(tmp_path / "tls-broker", tls=pki)
    broker.start()
    yield broker, pki.ca
    broker.stop()


def _tls_config(config: Config, broker: Mosquitto, ca: Path) -> Config:
    return config.with_changes(
        mqtt=dataclasses.replace(MqttConfig(), host=broker.host, port=broker.port, tls_ca=str(ca), client_id="tls-test")
    )


def test_tls_with_the_right_ca_connects(
    tls_broker: tuple[Mosquitto, Path], db: Database, config: Config, clock: ManualClock
) -> None:
    broker, ca = tls_broker
    listener = durable_listener(broker, "tls-listener", ca=ca)
    running = start(db, _tls_config(config, broker, ca), clock)
    try:
        event = DoorOpened(door="front", at=clock.advance(1))
        running.recorder.write([event])
        wait_until(listener, lambda: event.id in event_ids(listener))
        assert delivery.broker_status(db.conn())["connected"] is True
    finally:
        running.publisher.stop()
        listener.close()


def test_tls_with_the_wrong_ca_refuses_says_why_and_keeps_the_outbox(
    tls_broker: tuple[Mosquitto, Path], tmp_path: Path, db: Database, config: Config, clock: ManualClock
) -> None:
    broker, right_ca = tls_broker
    wrong = make_test_pki(tmp_path / "other-pki", "wrong")
    listener = durable_listener(broker, "tls-watcher", ca=right_ca)
    running = start(db, _tls_config(config, broker, wrong.ca), clock)
    try:
        event = DoorOpened(door="front", at=clock.advance(1))
        running.recorder.write([event])
        wait_until(listener, lambda: delivery.broker_status(db.conn())["status"] == "offline")
        status = delivery.broker_status(db.conn())
        assert "could not be verified (self-signed certificate in certificate chain)" in status["detail"]
        assert f"mqtt.tls_ca {wrong.ca}" in status["detail"]
        assert status["events_waiting"] == 1
        time.sleep(1.5)  # a retry (1 s backoff) changes nothing
        assert store.events_waiting(db.conn()) == 1
        assert event.id not in event_ids(listener)
        assert running.publisher.is_alive()
    finally:
        running.publisher.stop()
        listener.close()
