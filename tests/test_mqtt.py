"""The publisher against a real Mosquitto: every contract topic with its retain flag and
QoS, availability and the last will, MQTT 5, a password from a file, Home Assistant
asking for discovery again, and what the dashboard learns about the link."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from mqttkit import Listener, make_listener, role_database

from appliance.booking.rooms import Room, create_room
from appliance.core.clock import ManualClock
from appliance.core.config import Config, DoorConfig, MqttConfig
from appliance.core.events import DoorClosed, DoorOpened, Passed
from appliance.outbox import delivery, store
from appliance.outbox.topics import TopicContext
from appliance.people import visits
from appliance.publishing import derived
from appliance.publishing.mqtt import Publisher
from appliance.sensing.recorder import Recorder
from appliance.storage.db import Database
from doorstep.agent import RULES
from doorstep.broker import Mosquitto, add_user

BASE = "doorstep/community-hall/"
DISCOVERY = "homeassistant/device/doorstep-community-hall/config"


def wait_until(listener: Listener, condition: Callable[[], bool], timeout: float = 20) -> None:
    """Wait for a condition on our side, waking whenever a message arrives (or every 0.1 s)."""
    listener.wait_for(lambda _ms: condition(), timeout=timeout)


@dataclasses.dataclass
class Running:
    db: Database
    config: Config
    recorder: Recorder
    publisher: Publisher


def start(db: Database, config: Config, clock: ManualClock) -> Running:
    """The agent's publishing half: the single writer and the publisher, wired as the agent does."""
    recorder = Recorder(db, config, clock, RULES)
    with db.write() as conn:
        derived.refresh(conn, config, clock.now())
    publisher = Publisher(
        db, config.mqtt, TopicContext.of(config), clock,
        announce=lambda conn, now: derived.announce(conn, config, now),
    )
    recorder.sender = publisher
    publisher.start()
    return Running(db, config, recorder, publisher)


@pytest.fixture
def hall(broker_config: Config, clock: ManualClock) -> Iterator[Running]:
    config = broker_config.with_changes(doors=(DoorConfig(id="front", pin=17),))
    db = role_database(config, clock)
    with db.write() as conn:
        create_room(conn, Room(id="main-hall", name="Main Hall"), clock.now())
    running = start(db, config, clock)
    yield running
    running.publisher.stop()
    db.close()


def test_every_contract_topic_with_its_retain_flag_and_qos(
    hall: Running, clock: ManualClock, broker: Mosquitto, mqtt_listener: Listener
) -> None:
    hall.recorder.write([DoorOpened(door="front", at=clock.advance(1))])
    hall.recorder.write([Passed(beam="door", direction="in", at=clock.advance(1)),
                         Passed(beam="door", direction="out", at=clock.advance(1))])
    with hall.db.write() as conn:
        visits.sign_in(conn, hall.config, clock.advance(1), kind="visitor", name="Vera Visitor")
    wait_until(mqtt_listener, lambda: store.depth(hall.db.conn()) == 0)
    events = mqtt_listener.wait_for(lambda ms: sum(m.topic == BASE + "events" for m in ms) >= 3)
    assert all(m.qos == 1 and not m.retain for m in events if m.topic == BASE + "events")
    # A subscriber arriving later gets the retained state, and only that.
    late = make_listener(broker.host, broker.port)
    try:
        retained_topics = [BASE + t for t in (
            "availability", "door/front", "footfall/in", "footfall/out", "occupancy", "rooms/main-hall", "visits", "status",
        )] + [DISCOVERY]
        seen = late.wait_for(lambda ms: {m.topic for m in ms} >= set(retained_topics))
    finally:
        late.client.disconnect()
        late.client.loop_stop()
    by_topic = {m.topic: m for m in seen}
    for topic in retained_topics:
        assert by_topic[topic].retain and by_topic[topic].qos == 1, topic
    assert BASE + "events" not in by_topic
    assert by_topic[BASE + "availability"].text == "online"
    assert by_topic[BASE + "door/front"].text == "open"
    assert (by_topic[BASE + "footfall/in"].text, by_topic[BASE + "footfall/out"].text) == ("1", "1")
    assert by_topic[BASE + "occupancy"].text == "0"
    status = json.loads(by_topic[BASE + "status"].payload)
    assert status["site"] == "community-hall" and status["sentence"].startswith("Open. About 1 person in.")
    assert json.loads(by_topic[BASE + "visits"].payload)["by_kind"] == {"visitor": 1}


def test_events_arrive_in_order_with_their_ids(hall: Running, clock: ManualClock, mqtt_listener: Listener) -> None:
    sent = [(DoorOpened if n % 2 else DoorClosed)(door="front", at=clock.advance(1)) for n in range(200)]
    for event in sent:
        hall.recorder.write([event])
    got = mqtt_listener.wait_for(lambda ms: sum(m.topic == BASE + "events" for m in ms) >= 200)
    ids = [json.loads(m.payload)["id"] for m in got if m.topic == BASE + "events"]
    assert ids == [e.id for e in sent]
    wait_until(mqtt_listener, lambda: store.depth(hall.db.conn()) == 0)  # PUBACKs handled
    assert hall.publisher.delivered >= 200
    status = delivery.broker_status(hall.db.conn())
    assert status["connected"] is True and status["depth"] == 0 and status["last_ack_at"] is not None


def test_offline_is_said_on_stop_and_online_on_connect(
    db: Database, broker_config: Config, clock: ManualClock, mqtt_listener: Listener
) -> None:
    running = start(db, broker_config, clock)
    mqtt_listener.wait_for(lambda ms: any(m.topic == BASE + "availability" and m.text == "online" for m in ms))
    running.publisher.stop()
    mqtt_listener.wait_for(lambda ms: [m.text for m in ms if m.topic == BASE + "availability"][-1:] == ["offline"])
    assert not running.publisher.is_alive()


@pytest.mark.parametrize(("protocol", "logged"), [("3.1.1", "p2"), ("5", "p5")])
def test_mqtt_3_1_1_and_5_work_the_same(
    db: Database, broker_config: Config, clock: ManualClock, mqtt_listener: Listener, broker: Mosquitto,
    protocol: str, logged: str,
) -> None:
    config = broker_config.with_changes(
        mqtt=dataclasses.replace(broker_config.mqtt, protocol=protocol, client_id=f"hall-pi-{logged}")
    )
    running = start(db, config, clock)
    try:
        running.recorder.write([DoorOpened(door="back", at=clock.advance(1))])
        mqtt_listener.wait_for(lambda ms: any(m.topic == BASE + "door/back" and m.text == "open" for m in ms))
    finally:
        running.publisher.stop()
    # The broker says which protocol we spoke: "... as hall-pi-p5 (p5, c1, k30)." (p2: 3.1.1)
    log = (broker.directory / "mosquitto.log").read_text(errors="replace")
    assert f"as hall-pi-{logged} ({logged}," in log, log[-2000:]


def test_home_assistant_coming_online_gets_discovery_again(hall: Running, mqtt_listener: Listener) -> None:
    first = mqtt_listener.wait_for(lambda ms: any(m.topic == DISCOVERY for m in ms))
    config = json.loads(next(m.payload for m in first if m.topic == DISCOVERY))
    assert {"dev", "o", "cmps"} <= set(config)
    mqtt_listener.clear()
    mqtt_listener.client.publish("homeassistant/status", "online", qos=1)
    mqtt_listener.wait_for(lambda ms: any(m.topic == DISCOVERY for m in ms))


def _authenticated_broker(tmp_path: Path, acl: str) -> Mosquitto:
    passwords = tmp_path / "passwd"
    add_user(passwords, "hall-pi", "correct horse")
    add_user(passwords, "reader", "reader")
    acl_file = tmp_path / "acl"
    acl_file.write_text(acl, encoding="utf-8")
    broker = Mosquitto(tmp_path / "auth-broker", password_file=passwords, acl_file=acl_file)
    broker.start()
    return broker


ACL = """\
user hall-pi
topic readwrite doorstep/community-hall/#
topic readwrite homeassistant/device/doorstep-community-hall/#
topic read homeassistant/status

user reader
topic read #
"""


def test_a_per_device_account_with_a_password_file(tmp_path: Path, db: Database, config: Config, clock: ManualClock) -> None:
    broker = _authenticated_broker(tmp_path, ACL)
    secret = tmp_path / "mqtt-password"
    secret.write_text("correct horse\n", encoding="utf-8")
    mqtt = dataclasses.replace(MqttConfig(), host=broker.host, port=broker.port, username="hall-pi", password_file=str(secret))
    listener = _reader(broker)
    running = start(db, config.with_changes(mqtt=mqtt), clock)
    try:
        running.recorder.write([DoorOpened(door="front", at=clock.advance(1))])
        listener.wait_for(lambda ms: any(m.topic == BASE + "door/front" for m in ms))
        assert delivery.broker_status(db.conn())["connected"] is True
    finally:
        running.publisher.stop()
        listener.close()
        broker.stop()


def _reader(broker: Mosquitto) -> Listener:
    """A recording subscriber on '#' with the broker's read-only account."""
    return make_listener(broker.host, broker.port, client_id="reader", username="reader", password="reader")


def test_a_wrong_password_is_said_in_words_and_nothing_is_lost(
    tmp_path: Path, db: Database, config: Config, clock: ManualClock
) -> None:
    broker = _authenticated_broker(tmp_path, ACL)
    secret = tmp_path / "mqtt-password"
    secret.write_text("wrong\n", encoding="utf-8")
    mqtt = dataclasses.replace(MqttConfig(), host=broker.host, port=broker.port, username="hall-pi", password_file=str(secret))
    listener = _reader(broker)
    running = start(db, config.with_changes(mqtt=mqtt), clock)
    try:
        running.recorder.write([DoorOpened(door="front", at=clock.advance(1))])
        wait_until(listener, lambda: (delivery.broker_status(db.conn())["last_error"] or "").find("refused") >= 0)
        status = delivery.broker_status(db.conn())
        assert status["connected"] is False
        assert "check mqtt.username, mqtt.password_file" in status["detail"]
        assert status["depth"] > 0  # still queued
        assert not any(m.topic.startswith(BASE) for m in listener.snapshot())
    finally:
        running.publisher.stop()
        listener.close()
        broker.stop()


def test_a_missing_password_file_is_reported_not_fatal(db: Database, broker_config: Config, clock: ManualClock,
                                                       mqtt_listener: Listener) -> None:
    mqtt = dataclasses.replace(broker_config.mqtt, username="hall-pi", password_file="/nonexistent/doorstep-password")
    running = start(db, broker_config.with_changes(mqtt=mqtt), clock)
    try:
        wait_until(mqtt_listener, lambda: delivery.broker_status(db.conn())["status"] == "offline")
        assert "mqtt.password_file /nonexistent/doorstep-password cannot be read" in delivery.broker_status(db.conn())["detail"]
        assert running.publisher.is_alive()
    finally:
        running.publisher.stop()


def test_no_broker_is_said_in_words(db: Database, config: Config, clock: ManualClock, mqtt_listener: Listener) -> None:
    from doorstep.broker import free_port

    mqtt = dataclasses.replace(MqttConfig(), host="127.0.0.1", port=free_port())
    running = start(db, config.with_changes(mqtt=mqtt), clock)
    try:
        wait_until(mqtt_listener, lambda: delivery.broker_status(db.conn())["status"] == "offline")
        assert "connection refused" in delivery.broker_status(db.conn())["detail"]
    finally:
        running.publisher.stop()


def test_every_outage_is_reported_not_only_the_first(
    hall: Running, broker: Mosquitto, mqtt_listener: Listener
) -> None:
    conn = hall.db.conn()
    wait_until(mqtt_listener, lambda: delivery.broker_status(conn)["connected"])
    for _ in range(2):
        broker.stop()
        wait_until(mqtt_listener, lambda: delivery.broker_status(conn)["status"] == "offline")
        assert "lost the connection" in delivery.broker_status(conn)["detail"] or "connection refused" in (
            delivery.broker_status(conn)["detail"]
        )
        broker.start()
        wait_until(mqtt_listener, lambda: delivery.broker_status(conn)["connected"], timeout=30)
