"""Delivered rows leave the outbox in batches (the SD card's wear), against a real Mosquitto:
until their batch is due they are never sent again, not even after a reconnect; a batch
goes at the latest at stop; the last delivery time reaches the dashboard."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from mqttkit import Listener

from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.core.events import DoorClosed, DoorOpened, Event
from appliance.outbox import delivery, store
from appliance.outbox.topics import TopicContext
from appliance.publishing import mqtt
from appliance.publishing.mqtt import Publisher
from appliance.sensing.recorder import Recorder
from appliance.storage.db import Database
from doorstep.agent import RULES
from doorstep.broker import Mosquitto

EVENTS = "doorstep/community-hall/events"
DOOR = "doorstep/community-hall/door/front"


def wait_until(listener: Listener, condition: Callable[[], bool], timeout: float = 20) -> None:
    """Wait for a condition on our side, waking whenever a message arrives (or every 0.1 s)."""
    listener.wait_for(lambda _ms: condition(), timeout=timeout)


def event_ids(listener: Listener) -> list[str]:
    """Ids on the events stream as received, duplicates included."""
    return [json.loads(m.payload)["id"] for m in listener.on(EVENTS)]


def door_events(clock: ManualClock, n: int) -> list[Event]:
    return [(DoorOpened if i % 2 else DoorClosed)(door="front", at=clock.advance(1)) for i in range(n)]


def wire(db: Database, config: Config, clock: ManualClock) -> tuple[Recorder, Publisher]:
    recorder = Recorder(db, config, clock, RULES)
    publisher = Publisher(db, config.mqtt, TopicContext.of(config), clock)
    recorder.sender = publisher
    publisher.start()
    return recorder, publisher


def test_delivered_rows_wait_for_their_batch_are_not_resent_on_reconnect_and_go_at_stop(
    db: Database, broker_config: Config, clock: ManualClock, broker: Mosquitto, mqtt_listener: Listener,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(mqtt, "ACK_FLUSH_SECONDS", 3600.0)  # no batch falls due by time in this test
    recorder, publisher = wire(db, broker_config, clock)
    try:
        wait_until(mqtt_listener, lambda: publisher.connected)
        sent = door_events(clock, 20)
        for event in sent:
            recorder.write([event])
        wait_until(mqtt_listener, lambda: len(event_ids(mqtt_listener)) == 20)
        # Every message that arrived is acknowledged (door states may have coalesced on the way).
        ours = len(mqtt_listener.on(EVENTS)) + len(mqtt_listener.on(DOOR))
        wait_until(mqtt_listener, lambda: publisher.delivered >= ours)
        assert event_ids(mqtt_listener) == [e.id for e in sent]
        # Delivered, but still in the outbox: the batch is not due yet.
        assert store.events_waiting(db.conn()) == 20
        delivered = publisher.delivered
        broker.stop()
        wait_until(mqtt_listener, lambda: not publisher.connected)
        broker.start()
        wait_until(mqtt_listener, lambda: publisher.connected, timeout=30)
        late = door_events(clock, 1)
        recorder.write(late)
        wait_until(mqtt_listener, lambda: late[0].id in event_ids(mqtt_listener))
        wait_until(mqtt_listener, lambda: publisher.delivered >= delivered + 2)  # its event and door state
        # The reconnect started again from the oldest row in the outbox, yet sent nothing twice
        # (a row sent again would be acknowledged, and counted, again).
        assert publisher.delivered == delivered + 2
        assert event_ids(mqtt_listener)[-1] == late[0].id
    finally:
        publisher.stop()
    assert store.depth(db.conn()) == 0  # stopping deletes what was delivered
    assert delivery.broker_status(db.conn())["last_ack_at"] is not None


def test_a_batch_falls_due_by_its_size(
    db: Database, broker_config: Config, clock: ManualClock, mqtt_listener: Listener, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(mqtt, "ACK_FLUSH_SECONDS", 3600.0)
    monkeypatch.setattr(mqtt, "ACK_FLUSH_ROWS", 10)
    recorder, publisher = wire(db, broker_config, clock)
    try:
        wait_until(mqtt_listener, lambda: publisher.connected)
        recorder.write(door_events(clock, 3))  # one transaction: 3 events and the door's last state
        wait_until(mqtt_listener, lambda: publisher.delivered >= 4)
        assert store.depth(db.conn()) == 4  # delivered, but fewer than a batch: they wait
        recorder.write(door_events(clock, 30))
        wait_until(mqtt_listener, lambda: publisher.delivered >= 35)
        # More than a batch delivered, and no batch can be due by time: deleted by their number.
        wait_until(mqtt_listener, lambda: store.depth(db.conn()) < 10)
    finally:
        publisher.stop()
    assert store.depth(db.conn()) == 0


def test_a_batch_falls_due_by_time(
    db: Database, broker_config: Config, clock: ManualClock, mqtt_listener: Listener, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(mqtt, "ACK_FLUSH_SECONDS", 0.5)
    recorder, publisher = wire(db, broker_config, clock)
    try:
        wait_until(mqtt_listener, lambda: publisher.connected)
        recorder.write(door_events(clock, 3))
        wait_until(mqtt_listener, lambda: store.depth(db.conn()) == 0)  # with no stop to force it
        assert publisher.delivered >= 4
        assert publisher.is_alive()
    finally:
        publisher.stop()
