"""The simulator drives real sensors on MockFactory pins and a pty: what the sensors count
is what the simulated people did."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from gpiozero.pins.mock import MockFactory

from appliance.core.clock import ManualClock, SystemClock
from appliance.core.config import BeamConfig, CardReaderConfig, Config, DoorConfig, PirConfig
from appliance.core.events import DoorClosed, Event, FobRead, MotionDetected, Passed
from appliance.people import fobs
from sensors.beams import BeamPair
from sensors.cardreader import CardReader
from sensors.door import DoorSensor
from sensors.pir import PirCounter
from sensors.simulator import Simulator

SECRET = b"s" * 32


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        time.sleep(0.01)


@pytest.fixture
def site(config: Config) -> Config:
    return config.with_changes(
        doors=(DoorConfig(id="front", pin=17),),
        beams=(BeamConfig(id="entrance", outer_pin=23, inner_pin=24),),
        pir=(PirConfig(id="foyer", pin=4),),
    )


def test_what_the_sensors_count_is_what_the_people_did(site: Config, mock_pins: MockFactory, serial_pair) -> None:  # type: ignore[no-untyped-def]
    events: list[Event] = []
    clock = SystemClock()
    door = DoorSensor(site.doors[0], events.append, clock)
    beams = BeamPair(site.beams[0], events.append, clock)
    pir = PirCounter(site.pir[0], events.append, clock)
    reader = CardReader(
        CardReaderConfig(enabled=True, path=serial_pair.path), events.append, clock,
        lambda n: fobs.card_hash(SECRET, n), backoff_start=0.02,
    )
    reader.start()
    wait_until(lambda: reader.opens == 1, "the reader opened the pty")
    sim = Simulator(site, mock_pins, speed=3000, seed=7, clock=ManualClock(datetime(2026, 3, 2, 11, 0, tzinfo=UTC)),
                    card_feed=serial_pair.master)
    try:
        assert door.is_open  # the pull-up: nothing holds the reed switch yet
        sim.start()
        assert not door.is_open  # the simulator closes the doors first
        assert any(isinstance(e, DoorClosed) for e in events)
        wait_until(lambda: sim.entered >= 40 and sim.left >= 10 and sim.taps >= 2, "traffic")
    finally:
        sim.stop()
    try:
        assert (beams.machine.ins, beams.machine.outs) == (sim.entered, sim.left)
        passed = [e.direction for e in events if isinstance(e, Passed)]
        assert passed.count("in") == sim.entered and passed.count("out") == sim.left
        assert pir.count >= 1 and any(isinstance(e, MotionDetected) for e in events)
        # the door opened and closed around the passes (one opening lets at most two through)
        assert door.edges >= sim.entered + sim.left
        wait_until(lambda: reader.counters.frames_read >= sim.taps, "the fob frames")
        hashes = {fobs.card_hash(SECRET, n) for n in fobs.DEMO_CARDS.values()}
        reads = [e for e in events if isinstance(e, FobRead)]
        assert reads and {r.card_hash for r in reads} <= hashes
    finally:
        reader.close()
        door.close()
        beams.close()
        pir.close()


def test_arrivals_follow_the_opening_hours(site: Config, mock_pins: MockFactory) -> None:
    # Monday 05:00 in London: closed; the simulated day starts at lunchtime
    sim = Simulator(site, mock_pins, clock=ManualClock(datetime(2026, 3, 2, 5, 0, tzinfo=UTC)))
    assert sim.sim_now == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    # Monday 23:00: Tuesday's lunchtime
    sim = Simulator(site, mock_pins, clock=ManualClock(datetime(2026, 3, 2, 23, 0, tzinfo=UTC)))
    assert sim.sim_now == datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
    # open now: it starts now
    sim = Simulator(site, mock_pins, clock=ManualClock(datetime(2026, 3, 2, 15, 0, tzinfo=UTC)))
    assert sim.sim_now == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    lunch = sim._rate(datetime(2026, 3, 2, 12, 30, tzinfo=UTC))
    morning = sim._rate(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    evening = sim._rate(datetime(2026, 3, 2, 18, 30, tzinfo=UTC))
    assert lunch > 2 * morning and evening > 2 * morning
    # arrivals are never scheduled in the last 20 minutes or while closed
    for _ in range(500):
        sim._next_arrival(datetime(2026, 3, 2, 21, 50, tzinfo=UTC))
    for when, *_ in sim._queue:
        local = when.astimezone(site.site.zone)
        assert local.date().isoformat() == "2026-03-03" and local.hour >= 9
