"""A beam pair on MockFactory pins: edge callbacks feed the footfall machine in order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from appliance.core.clock import ManualClock
from appliance.core.config import BeamConfig
from appliance.core.events import BeamCleared, BeamObstructed, Event, Passed, SensorHealthChanged
from sensors.beams import BeamPair
from sensors.pins import ClockedMockFactory

BEAM = BeamConfig(id="entrance", outer_pin=23, inner_pin=24, obstruction_seconds=5)


@pytest.fixture
def events() -> list[Event]:
    return []


@pytest.fixture
def pair(clocked_pins: ClockedMockFactory, clock: ManualClock, events: list[Event]) -> Iterator[BeamPair]:
    sensor = BeamPair(BEAM, events.append, clock)
    yield sensor
    sensor.close()


def walk(clocked_pins: ClockedMockFactory, clock: ManualClock, first: int, second: int) -> None:
    """Break ``first`` then ``second`` about 100 ms apart, each for about 250 ms (low = broken)."""
    a, b = clocked_pins.pin(first), clocked_pins.pin(second)
    a.drive_low()
    clock.advance(0.1)
    b.drive_low()
    clock.advance(0.15)
    a.drive_high()
    clock.advance(0.1)
    b.drive_high()
    clock.advance(0.5)


def passes(events: list[Event]) -> list[str]:
    return [e.direction for e in events if isinstance(e, Passed)]


def test_beams_start_clear_and_healthy(pair: BeamPair, events: list[Event]) -> None:
    assert not pair.outer.is_active and not pair.inner.is_active  # the pull-up: beam received
    assert [(e.sensor, e.status) for e in events if isinstance(e, SensorHealthChanged)] == [("beam/entrance", "ok")]


def test_walking_in_and_out(pair: BeamPair, clocked_pins: ClockedMockFactory, clock: ManualClock, events: list[Event]) -> None:
    walk(clocked_pins, clock, 23, 24)
    walk(clocked_pins, clock, 23, 24)
    walk(clocked_pins, clock, 24, 23)
    assert passes(events) == ["in", "in", "out"]
    assert all(isinstance(e, Passed) and e.beam == "entrance" for e in events if isinstance(e, Passed))
    assert (pair.machine.ins, pair.machine.outs) == (2, 1)


def test_an_obstruction_is_reported_from_the_poll_and_counting_resumes(
    pair: BeamPair, clocked_pins: ClockedMockFactory, clock: ManualClock, events: list[Event]
) -> None:
    clocked_pins.pin(24).drive_low()  # a box left across the inner beam
    clock.advance(4.9)
    pair.poll()
    assert not [e for e in events if isinstance(e, BeamObstructed)]
    clock.advance(0.2)
    pair.poll()
    obstructed = [e for e in events if isinstance(e, BeamObstructed)]
    assert len(obstructed) == 1 and obstructed[0].which == "inner"
    clocked_pins.pin(24).drive_high()
    assert isinstance(events[-1], BeamCleared)
    walk(clocked_pins, clock, 23, 24)
    assert passes(events) == ["in"]


def test_blocked_when_high_inverts_the_pins(clocked_pins: ClockedMockFactory, clock: ManualClock, events: list[Event]) -> None:
    clocked_pins.pin(5)  # created before the device: without the pull-up the pin reads low = clear
    sensor = BeamPair(BeamConfig(id="side", outer_pin=5, inner_pin=6, blocked_when="high"), events.append, clock)
    try:
        o, i = clocked_pins.pin(5), clocked_pins.pin(6)
        o.drive_high(), i.drive_high(), o.drive_low(), i.drive_low()
        assert passes(events) == ["in"]
    finally:
        sensor.close()
