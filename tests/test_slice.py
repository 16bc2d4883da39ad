"""The vertical slice (docs/ARCHITECTURE.md, trip 1): a door edge becomes an event row, state and outbox
rows in one transaction, reaches the broker, and shows on a live page without reload."""

from __future__ import annotations

import dataclasses
import json

import pytest
from gpiozero.pins.mock import MockFactory
from live_support import sse

from appliance.core.clock import ManualClock
from appliance.core.config import Config, DoorConfig
from appliance.storage import state
from appliance.storage.db import Database
from doorstep.agent import Agent
from doorstep.broker import free_port
from kiosk import create_app
from kiosk.server import WebServer

DOOR = DoorConfig(id="front", pin=17, name="Front door")


@pytest.fixture
def agent(broker_config: Config, mock_pins: MockFactory, clock: ManualClock):  # type: ignore[no-untyped-def]
    cfg = broker_config.with_changes(doors=(DOOR,))
    running = Agent(cfg, clock=clock, pin_factory=mock_pins)
    running.start()
    yield running
    running.stop()


def test_a_door_edge_reaches_the_broker(agent: Agent, mock_pins: MockFactory, mqtt_listener) -> None:  # type: ignore[no-untyped-def]
    topic = "doorstep/community-hall/door/front"
    pin = mock_pins.pin(17)
    pin.drive_low()  # the reed switch closes: door closed
    mqtt_listener.wait_for(lambda ms: any(m.topic == topic and m.text == "closed" for m in ms))
    pin.drive_high()  # opened
    mqtt_listener.wait_for(lambda ms: [m.text for m in ms if m.topic == topic][-1:] == ["open"])
    messages = mqtt_listener.wait_for(lambda ms: any(b'"door_opened"' in m.payload for m in ms))
    door_msgs = [m for m in messages if m.topic == topic]
    assert all(m.qos == 1 for m in door_msgs)
    events = [json.loads(m.payload) for m in messages if m.topic.endswith("/events")]
    opened = [e for e in events if e["kind"] == "door_opened"]
    assert opened and opened[-1]["door"] == "front" and opened[-1]["site"] == "community-hall"
    assert set(opened[-1]) >= {"id", "at", "kind", "site"}


def test_a_door_edge_writes_its_event_row_state_and_outbox_rows(agent: Agent, mock_pins: MockFactory) -> None:
    assert agent.publisher is not None
    agent.publisher.stop()  # keep what is queued in the outbox, to look at
    mock_pins.pin(17).drive_low()
    agent.recorder.stop()  # flush the writer
    conn = agent.db.conn()
    assert state.get(conn, "door/front")["state"] == "closed"
    event_id, kind = conn.execute("SELECT id, kind FROM sensor_events ORDER BY rowid DESC LIMIT 1").fetchone()
    assert kind == "door_closed"
    queued = {r[0]: r[1] for r in conn.execute("SELECT topic, payload FROM outbox ORDER BY id")}
    assert queued["doorstep/community-hall/door/front"] == "closed"
    assert json.loads(queued["doorstep/community-hall/events"])["id"] == event_id


def test_a_door_edge_shows_on_the_live_stream(
    broker_config: Config, mock_pins: MockFactory, clock: ManualClock, db: Database
) -> None:
    cfg = broker_config.with_changes(doors=(DOOR,), mqtt=dataclasses.replace(broker_config.mqtt, enabled=False))
    agent = Agent(cfg, clock=clock, pin_factory=mock_pins)
    agent.start()
    server = WebServer(create_app(cfg, clock=clock), "127.0.0.1", free_port())
    server.start()
    try:
        snapshots = (data for event, data in sse(server.port, "/live/status", source="127.0.0.7")
                     if event == "snapshot")
        first = next(snapshots)
        assert first["doors"]["front"]["state"] == "open"  # the pull-up: nothing holds it closed
        mock_pins.pin(17).drive_low()
        for snap in snapshots:
            if snap["doors"]["front"]["state"] == "closed":
                break
        else:  # without this, a stream that ended early would pass the test
            pytest.fail("the live stream ended before it showed the door closed")
        snapshots.close()
    finally:
        server.close()
        agent.stop()
