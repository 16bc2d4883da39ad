"""After every (re)connection the agent sends every retained topic's current value once,
through the outbox (issue 14.9): a broker that lost its retained messages (a new
Mosquitto, or one without persistence) is whole again within seconds, discovery included.
The agent used to remember what it had published in its own database and send nothing."""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from decisions_support import make_ballot
from gpiozero.pins.mock import MockFactory
from mqttkit import make_listener

from appliance.booking import bookings
from appliance.booking.rooms import Room, create_room
from appliance.core.clock import ManualClock
from appliance.core.config import BeamConfig, Config, DoorConfig, MqttConfig
from appliance.core.events import DoorOpened, Passed
from appliance.decisions import ballots
from appliance.outbox.topics import TOPICS
from appliance.people import register, visits
from appliance.publishing import derived
from appliance.storage.db import transaction
from doorstep.agent import Agent
from doorstep.broker import Mosquitto

BASE = "doorstep/community-hall/"
RETAINED = [BASE + t for t in ("availability", "door/front", "footfall/in", "footfall/out", "occupancy",
                               "rooms/hall", "visits", "status")] + ["homeassistant/device/doorstep-community-hall/config"]


def _config(config: Config, broker: Mosquitto) -> Config:
    return config.with_changes(
        doors=(DoorConfig(id="front", pin=17),), beams=(BeamConfig(id="entrance", outer_pin=5, inner_pin=6),),
        mqtt=dataclasses.replace(MqttConfig(), host=broker.host, port=broker.port, client_id="doorstep-republish"),
    )


def _fill(agent: Agent, config: Config, clock: ManualClock) -> None:
    """Rooms, a booking, visits, a closed ballot, a door and passes through the beams, as a month of use leaves them."""
    conn = agent.db.conn()
    with transaction(conn):
        create_room(conn, Room(id="hall", name="Main Hall"), clock.now())
        ada = register.create(conn, clock.now(), name="Ada Lovelace", kind="member")
        visits.sign_in(conn, config, clock.now(), kind="member", person_id=ada.id)
    # a members' poll that closed an hour ago, closed by the agent's job
    poll = make_ballot(conn, clock.now() - timedelta(hours=3), kind="single", options="Quiz\nCeilidh", hours=2)
    with transaction(conn):
        ballots.close_due(conn, clock.now())
    assert poll.id
    start = clock.now() + timedelta(hours=1)
    bookings.book(conn, config, bookings.BookingRequest(room="hall", start=start, end=start + timedelta(hours=1),
                                                        title="Choir", organiser="Sam", public=True), clock.now())
    for event in (DoorOpened(door="front", at=clock.now()), Passed(beam="entrance", direction="in", at=clock.now()),
                  Passed(beam="entrance", direction="in", at=clock.now()),
                  Passed(beam="entrance", direction="out", at=clock.now())):
        agent.recorder.submit(event)


def _retained_on(broker: Mosquitto, timeout: float = 10.0) -> dict[str, bytes]:
    """What the broker holds as retained for a new subscriber, once every contract topic is
    there (asked again by a fresh subscriber every half second until ``timeout``)."""
    deadline = time.monotonic() + timeout
    seen: dict[str, bytes] = {}
    while time.monotonic() < deadline:
        listener = make_listener(broker.host, broker.port)
        try:
            time.sleep(0.5)
            seen = {m.topic: m.payload for m in listener.snapshot() if m.retain}
        finally:
            listener.close()
        if set(RETAINED) <= set(seen):
            return seen
    pytest.fail(f"retained topics missing after {timeout} s: {sorted(set(RETAINED) - set(seen))}")


def test_a_filled_database_against_a_fresh_broker_is_whole_within_10_s(
    config: Config, clock: ManualClock, mock_pins: MockFactory, tmp_path: Path
) -> None:
    first = Mosquitto(tmp_path / "first")
    first.start()
    agent = Agent(_config(config, first), clock=clock, pin_factory=mock_pins)
    agent.start()
    try:
        _fill(agent, agent.config, clock)
        _retained_on(first)  # everything was published, and the agent remembers it did
    finally:
        agent.stop()
        first.stop()
    fresh = Mosquitto(tmp_path / "fresh")  # a new broker: nothing retained
    fresh.start()
    agent = Agent(_config(config, fresh), clock=clock, pin_factory=MockFactory())
    started = time.monotonic()
    agent.start()
    try:
        retained = _retained_on(fresh, timeout=10)
        assert time.monotonic() - started < 10
        assert retained[BASE + "door/front"] == b"open"
        assert (retained[BASE + "footfall/in"], retained[BASE + "footfall/out"], retained[BASE + "occupancy"]) == (
            b"2", b"1", b"1")
        assert json.loads(retained[BASE + "rooms/hall"])["next"]["title"] == "Choir"
        assert json.loads(retained[BASE + "visits"])["by_kind"] == {"member": 1}
        assert b"Ada" not in b"".join(retained.values())
    finally:
        agent.stop()
        fresh.stop()


def test_a_broker_that_restarts_without_its_store_is_whole_again(
    config: Config, clock: ManualClock, mock_pins: MockFactory, tmp_path: Path
) -> None:
    broker = Mosquitto(tmp_path / "broker")
    broker.start()
    agent = Agent(_config(config, broker), clock=clock, pin_factory=mock_pins)
    agent.start()
    try:
        _fill(agent, agent.config, clock)
        _retained_on(broker)
        broker.stop()
        shutil.rmtree(broker.directory / "data")  # as a broker without persistence forgets
        broker.start()
        retained = _retained_on(broker, timeout=15)  # the reconnect waits its 1-2 s back-off first
        assert retained[BASE + "door/front"] == b"open"
        # once: one message per retained topic, not a storm (a second connection would send them again)
        listener = make_listener(broker.host, broker.port)
        try:
            time.sleep(1.5)
            counts = {t: sum(m.topic == t for m in listener.snapshot()) for t in RETAINED}
            assert set(counts.values()) == {1}, counts
        finally:
            listener.close()
    finally:
        agent.stop()
        broker.stop()


def test_every_retained_topic_in_the_table_is_sent_again(
    config: Config, clock: ManualClock, mock_pins: MockFactory, broker: Mosquitto
) -> None:
    """A retained topic added to the table later must be covered too (or this fails)."""
    cfg = dataclasses.replace(_config(config, broker), mqtt=dataclasses.replace(MqttConfig(), enabled=True))
    agent = Agent(cfg, clock=clock, pin_factory=mock_pins)  # not started: its writer records by hand
    try:
        agent.recorder.start()
        _fill(agent, cfg, clock)
        agent.recorder.stop()
        conn = agent.db.conn()
        with agent.db.write():
            conn.execute("DELETE FROM outbox")
            derived.republish(conn, cfg, clock.now())
        queued = [r[0] for r in conn.execute("SELECT topic FROM outbox")]
        for topic in TOPICS.values():
            if not topic.retain or topic.name == "availability":  # the link says online itself on connecting
                continue
            prefix = topic.pattern.split("{")[0]
            assert any(prefix in t for t in queued), f"{topic.name} ({topic.pattern}) is not sent again: {queued}"
    finally:
        agent.db.close()


@pytest.fixture(autouse=True)
def _fast_clock(clock: ManualClock) -> None:
    """Opening hours: 09:00 on a Monday, so the hall is open and the booking is today."""
    assert clock.now().hour == 9
