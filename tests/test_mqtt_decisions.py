"""The contract of ``doorstep/<site>/decisions/<id>`` on a real Mosquitto: nothing while a
ballot is open (however many vote), the result retained at QoS 1 once the agent's close
job has closed it, counts and turnout only, an annulment said so, whole again for a late
subscriber and after a republish."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator

import pytest
from decisions_support import make_ballot
from mqttkit import Listener, make_listener, role_database
from test_mqtt import Running, start, wait_until

from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.decisions import ballots, voting
from appliance.outbox import store
from appliance.people import register
from appliance.publishing import derived
from appliance.storage.db import transaction
from doorstep.broker import Mosquitto

PREFIX = "doorstep/community-hall/decisions/"


@pytest.fixture
def hall(broker_config: Config, clock: ManualClock) -> Iterator[Running]:
    config = broker_config.with_changes(mqtt=dataclasses.replace(broker_config.mqtt, discovery=False))
    db = role_database(config, clock)
    running = start(db, config, clock)
    yield running
    running.publisher.stop()
    db.close()


def delivered(hall: Running, listener: Listener) -> None:
    wait_until(listener, lambda: store.depth(hall.db.conn()) == 0)


def test_a_result_is_published_only_after_closing_and_carries_counts_only(
    hall: Running, clock: ManualClock, broker: Mosquitto, mqtt_listener: Listener
) -> None:
    conn = hall.db.conn()
    ballot = make_ballot(conn, clock.now(), hours=2, quorum="3", threshold="two_thirds", comments="signed")
    with transaction(conn):
        people = [register.create(conn, clock.now(), name=n, kind="member")
                  for n in ("Ada Lovelace", "Llŷr ap Gwyn", "Mair Pritchard", "Owain Glyn")]
    for person, choice in zip(people, (0, 0, 1, 0), strict=True):
        voting.cast(conn, ballot.id, person.id, [choice], clock.now())
    ballots.close_job(hall.db, hall.config, clock)  # not yet time
    derived.refresh_job(hall.db, hall.config, clock)
    delivered(hall, mqtt_listener)
    assert not [m for m in mqtt_listener.snapshot() if m.topic.startswith(PREFIX)]

    clock.advance(2 * 3600)
    ballots.close_job(hall.db, hall.config, clock)  # the agent's JOBS entry, every 30 s
    delivered(hall, mqtt_listener)
    [message] = [m for m in mqtt_listener.snapshot() if m.topic == f"{PREFIX}{ballot.id}"]
    payload = json.loads(message.payload)
    assert payload == {
        "site": "community-hall", "at": "2026-03-02T11:00:00.000Z", "decision": str(ballot.id),
        "title": "Buy a new boiler", "kind": "proposal", "closed_at": "2026-03-02T11:00:00.000Z", "turnout": 4,
        "quorum": 3, "quorum_met": True, "passed": True, "annulled": False,
        "options": [{"option": "Yes", "count": 3}, {"option": "No", "count": 1}, {"option": "Abstain", "count": 0}],
    }
    assert message.qos == 1

    with transaction(conn):
        ballots.annul(conn, ballot.id, "Ada Lovelace pointed out the notice went out late", clock.now())
    delivered(hall, mqtt_listener)
    annulled = json.loads([m for m in mqtt_listener.snapshot() if m.topic == f"{PREFIX}{ballot.id}"][-1].payload)
    assert annulled["annulled"] is True and annulled["passed"] is None

    late = make_listener(broker.host, broker.port)
    try:
        late.wait_for(lambda ms: any(m.topic == f"{PREFIX}{ballot.id}" for m in ms))
        got = next(m for m in late.snapshot() if m.topic == f"{PREFIX}{ballot.id}")
        assert got.retain and got.qos == 1 and json.loads(got.payload)["annulled"] is True
    finally:
        late.close()
    wire = "\n".join(m.text for m in mqtt_listener.snapshot() if m.topic.startswith(PREFIX))
    assert not any(word in wire for word in ("Ada", "Lovelace", "Llŷr", "Gwyn", "Pritchard", "Owain", "notice"))


def test_a_republish_sends_closed_results_again(hall: Running, clock: ManualClock, mqtt_listener: Listener) -> None:
    conn = hall.db.conn()
    ballot = make_ballot(conn, clock.now(), kind="single", options="Quiz\nCeilidh", hours=1)
    clock.advance(3600)
    ballots.close_job(hall.db, hall.config, clock)
    delivered(hall, mqtt_listener)
    before = len([m for m in mqtt_listener.snapshot() if m.topic == f"{PREFIX}{ballot.id}"])
    with transaction(conn):
        derived.republish(conn, hall.config, clock.now())
    delivered(hall, mqtt_listener)
    after = [m for m in mqtt_listener.snapshot() if m.topic == f"{PREFIX}{ballot.id}"]
    assert len(after) == before + 1 and json.loads(after[-1].payload)["passed"] is None
