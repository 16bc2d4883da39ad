"""The broker goes away mid-stream and comes back: nothing is lost, and each topic's
messages arrive in the order they were recorded (repeats allowed: QoS 1 is at least once)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from faultkit import config_toml, first_occurrences, query, scalar, wait_until

from bench.procs import driven_agent, running

pytestmark = pytest.mark.faults

EVENTS = "doorstep/faults/events"
FOOTFALL_IN = "doorstep/faults/footfall/in"


def test_broker_stopped_mid_stream_loses_nothing_and_keeps_order(tmp_path: Path, broker, durable_listener) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "doorstep.db"
    config = tmp_path / "config.toml"
    config.write_text(config_toml(db, broker=(broker.host, broker.port)), encoding="utf-8")
    passes = 1500
    agent = driven_agent(config, "beams", rate=150, count=passes)  # about 10 s of walking
    with running(agent):
        wait_until(lambda: "driving" in agent.output(), 60, "the agent to start", agent)
        wait_until(lambda: len(durable_listener.event_ids(EVENTS, "passed")) >= 100, 30,
                   "the first passes on the broker", agent)
        broker.stop()  # mid-stream: passes keep coming, the outbox keeps them
        outage_started = scalar(db, "SELECT count(*) FROM sensor_events WHERE kind = 'passed'")
        time.sleep(3)
        during = scalar(db, "SELECT count(*) FROM sensor_events WHERE kind = 'passed'")
        assert during > outage_started, "the agent stopped recording while the broker was away"
        assert scalar(db, "SELECT count(*) FROM outbox") > 0, "nothing waited in the outbox during the outage"
        broker.start()
        wait_until(lambda: "driven " in agent.output(), 120, "the walking to finish", agent)
        wait_until(lambda: scalar(db, "SELECT count(*) FROM outbox") == 0, 120, "the outbox to drain", agent)
        wait_until(lambda: len(set(durable_listener.event_ids(EVENTS, "passed"))) >= passes, 60,
                   "every pass on the broker", agent)

    recorded = [r[0] for r in query(db, "SELECT id FROM sensor_events WHERE kind = 'passed' ORDER BY rowid")]
    assert len(recorded) == passes
    arrived = first_occurrences(durable_listener.event_ids(EVENTS, "passed"))
    assert set(arrived) == set(recorded), "a recorded pass never reached the broker"
    assert arrived == recorded, "the events stream arrived out of the order it was recorded in"
    # The retained count coalesces in the outbox, so not every value is sent, but the values
    # that were sent must never go backwards (first arrivals), and the last is the true total.
    counts = [int(v) for v in first_occurrences(durable_listener.payloads(FOOTFALL_IN))]
    assert counts == sorted(counts), f"footfall/in went backwards: {counts[:50]}"
    ins = (passes + 1) // 2  # the walker alternates in and out, starting with in
    assert counts[-1] == ins
