"""The contract of ``doorstep/<site>/rota/uncovered`` on a real Mosquitto: retained, QoS 1,
the week's dates with open places (times and counts), updated in the transaction that
took or left out a date, moved on by time alone, whole again for a late subscriber, and
never a name."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from mqttkit import Listener, make_listener, role_database
from rota_support import make_shift, with_rota_activities
from test_mqtt import Running, start, wait_until

from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.outbox import store
from appliance.people import register
from appliance.publishing import derived
from appliance.rota import shifts, signups
from doorstep.broker import Mosquitto

TOPIC = "doorstep/community-hall/rota/uncovered"
FRIDAY = date(2026, 3, 6)


@pytest.fixture
def hall(broker_config: Config, clock: ManualClock) -> Iterator[Running]:
    config = with_rota_activities(broker_config)
    config = config.with_changes(mqtt=dataclasses.replace(config.mqtt, discovery=False))
    db = role_database(config, clock)
    running = start(db, config, clock)
    yield running
    running.publisher.stop()
    db.close()


def latest(listener: Listener) -> dict:  # type: ignore[type-arg]
    payloads = listener.payloads(TOPIC)
    assert payloads, "nothing on rota/uncovered"
    return json.loads(payloads[-1])  # type: ignore[no-any-return]


def delivered(hall: Running, listener: Listener) -> None:
    wait_until(listener, lambda: store.depth(hall.db.conn()) == 0)


def test_the_weeks_open_places_are_retained_and_follow_the_rota(
    hall: Running, clock: ManualClock, broker: Mosquitto, mqtt_listener: Listener
) -> None:
    conn = hall.db.conn()
    delivered(hall, mqtt_listener)
    assert latest(mqtt_listener)["shifts"] == []  # nothing needed yet, said plainly
    bar = make_shift(conn, clock.now(), "Bar", days=("FR",), start="18:00", end="23:00", needs=2)
    make_shift(conn, clock.now(), "Opening up", days=("SA",), start="09:00")
    delivered(hall, mqtt_listener)
    first = latest(mqtt_listener)
    assert first["open"] == 3 and first["days"] == 7 and first["site"] == "community-hall"
    assert [(s["activity"], s["start"], s["end"], s["needs"], s["taken"], s["open"]) for s in first["shifts"]] == [
        ("Bar", "2026-03-06T18:00:00.000Z", "2026-03-06T23:00:00.000Z", 2, 0, 2),
        ("Opening up", "2026-03-07T09:00:00.000Z", None, 1, 0, 1),
    ]
    with hall.db.write() as tx:
        people = [register.create(tx, clock.now(), name=n, kind="volunteer")
                  for n in ("Siân Llŷr ap Gwilym", "Dafydd ap Rhys")]
    for person in people:  # both Bar places taken at the door: Bar leaves the list
        signups.take(conn, hall.config, clock.now(), person_id=person.id, shift_id=bar.id, day=FRIDAY, source="kiosk")
    delivered(hall, mqtt_listener)
    assert [s["activity"] for s in latest(mqtt_listener)["shifts"]] == ["Opening up"]
    signups.give_up(conn, hall.config, clock.now(), person_id=people[0].id, shift_id=bar.id, day=FRIDAY)
    delivered(hall, mqtt_listener)
    assert [(s["activity"], s["open"]) for s in latest(mqtt_listener)["shifts"]] == [("Bar", 1), ("Opening up", 1)]

    # A late subscriber gets the same, retained, QoS 1.
    late = make_listener(broker.host, broker.port)
    try:
        late.wait_for(lambda ms: any(m.topic == TOPIC for m in ms))
        got = next(m for m in late.snapshot() if m.topic == TOPIC)
        assert got.retain and got.qos == 1 and json.loads(got.text) == latest(mqtt_listener)
    finally:
        late.close()
    wire = "\n".join(m.text for m in mqtt_listener.on(TOPIC))
    assert "Siân" not in wire and "Rhys" not in wire and "Dafydd" not in wire


def test_time_alone_moves_the_week_on(hall: Running, clock: ManualClock, mqtt_listener: Listener) -> None:
    conn = hall.db.conn()
    make_shift(conn, clock.now(), "Opening up", days=("SA",), start="09:00")
    delivered(hall, mqtt_listener)
    assert [s["start"] for s in latest(mqtt_listener)["shifts"]] == ["2026-03-07T09:00:00.000Z"]
    # Saturday 11:00: that date is over, and the next Saturday's has come within the week.
    clock.set(datetime(2026, 3, 7, 11, 0, tzinfo=UTC))
    derived.refresh_job(hall.db, hall.config, clock)  # the agent's housekeeping, every 5 s
    delivered(hall, mqtt_listener)
    assert [s["start"] for s in latest(mqtt_listener)["shifts"]] == ["2026-03-14T09:00:00.000Z"]
    shifts.leave_out(conn, hall.config, 1, date(2026, 3, 14), clock.now())  # the hall is closed that day
    delivered(hall, mqtt_listener)
    assert latest(mqtt_listener)["shifts"] == []
