"""The sensor poller: fast only while a sensor is busy, woken at once by an edge, and the
sensors' own word on when they are busy (a bounce not settled, a beam blocked)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from appliance.core.clock import ManualClock
from appliance.core.config import BeamConfig, DoorConfig
from appliance.core.events import Event
from sensors.beams import BeamPair
from sensors.door import DoorSensor
from sensors.health import Poller
from sensors.pins import ClockedMockFactory

HANG_GUARD = 30.0  # seconds: only so that a broken poller fails instead of hanging the suite


class Quiet:
    """A sensor that is never busy and counts its polls."""

    def __init__(self) -> None:
        self.on_edge: Callable[[], None] = lambda: None
        self.polls = 0
        self.polled = threading.Event()

    def poll(self) -> None:
        self.polls += 1
        self.polled.set()

    def busy(self) -> bool:
        return False


def test_an_edge_wakes_an_idle_poller_at_once() -> None:
    sensor = Quiet()
    poller = Poller([sensor], idle_interval=3600)  # idle: it would never poll again by itself
    poller.start()
    try:
        assert sensor.polled.wait(HANG_GUARD)  # the first poll, at start
        sensor.polled.clear()
        polls = sensor.polls
        sensor.on_edge()  # what a door or beam does on every raw edge
        assert sensor.polled.wait(HANG_GUARD)
        assert sensor.polls > polls
    finally:
        poller.stop()
    assert not poller.is_alive()  # stop() wakes the idle wait too


def test_a_door_is_busy_only_until_its_bounce_settles(clocked_pins: ClockedMockFactory, clock: ManualClock) -> None:
    events: list[Event] = []
    door = DoorSensor(DoorConfig(id="front", pin=17, debounce_ms=50), events.append, clock)
    woken: list[int] = []
    door.on_edge = lambda: woken.append(1)
    try:
        pin = clocked_pins.pin(17)
        pin.drive_low()
        clock.advance(1)
        door.poll()
        assert not door.busy()  # a clean edge is reported at once: nothing pending
        for i in range(5):  # a bounce: edges 1 ms apart
            clock.advance(0.001)
            pin.drive_high() if i % 2 == 0 else pin.drive_low()
        assert door.busy()
        assert len(woken) == 6
        clock.advance(0.06)
        door.poll()
        assert not door.busy()
    finally:
        door.close()


def test_a_beam_pair_is_busy_while_a_beam_is_blocked(clocked_pins: ClockedMockFactory, clock: ManualClock) -> None:
    events: list[Event] = []
    pair = BeamPair(BeamConfig(id="entrance", outer_pin=23, inner_pin=24, obstruction_seconds=5), events.append, clock)
    try:
        outer = clocked_pins.pin(23)
        blocked, clear = (outer.drive_low, outer.drive_high)
        clear()
        assert not pair.busy()
        blocked()
        assert pair.busy()
        clock.advance(6)
        pair.poll()  # now an obstruction: reported, nothing more to time
        assert not pair.busy()
        clear()
        assert not pair.busy()
    finally:
        pair.close()
