"""Door contacts: our own debounce (driven by a clocked MockFactory), the state at start-up,
the held-open alert, chattering as a fault, and the rules that keep door state."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from appliance.core.clock import ManualClock
from appliance.core.config import Config, DoorConfig
from appliance.core.events import (
    DoorClosed,
    DoorHeldOpen,
    DoorHeldOpenCleared,
    DoorOpened,
    Event,
    SensorHealthChanged,
)
from appliance.sensing.recorder import Recorder
from appliance.storage import state
from appliance.storage.db import Database
from doorstep.agent import RULES
from sensors.door import CHATTER_SECONDS, DoorSensor
from sensors.pins import ClockedMockFactory

DOOR = DoorConfig(id="front", pin=17, debounce_ms=50, held_open_seconds=300)


@pytest.fixture
def events() -> list[Event]:
    return []


@pytest.fixture
def door(clocked_pins: ClockedMockFactory, clock: ManualClock, events: list[Event]) -> Iterator[DoorSensor]:
    sensor = DoorSensor(DOOR, events.append, clock)
    yield sensor
    sensor.close()


def door_events(events: list[Event]) -> list[str]:
    return [type(e).__name__ for e in events if not isinstance(e, SensorHealthChanged)]


def test_a_door_open_at_start_up_is_reported_open(door: DoorSensor, events: list[Event]) -> None:
    # Nothing holds the reed switch closed, so the pull-up reads "open" (a reboot with the door open).
    assert door.is_open
    assert door_events(events) == ["DoorOpened"]
    assert [(e.sensor, e.status) for e in events if isinstance(e, SensorHealthChanged)] == [("door/front", "ok")]


def test_a_clean_edge_is_reported_at_once(door: DoorSensor, clocked_pins: ClockedMockFactory, events: list[Event]) -> None:
    events.clear()
    clocked_pins.pin(17).drive_low()
    assert door_events(events) == ["DoorClosed"]  # no debounce delay on a quiet line
    assert not door.is_open


@pytest.mark.parametrize(("edges", "expected"), [(1000, ["DoorOpened", "DoorClosed"]), (999, ["DoorOpened"])])
def test_a_thousand_edges_in_100_ms_give_only_the_debounced_transitions(
    door: DoorSensor, clocked_pins: ClockedMockFactory, clock: ManualClock, events: list[Event], edges: int, expected: list[str]
) -> None:
    pin = clocked_pins.pin(17)
    pin.drive_low()
    clock.advance(1)
    door.poll()
    events.clear()
    for i in range(edges):  # 1,000 edges in 100 ms: open, closed, open, ...
        clock.advance(0.0001)
        if i % 2 == 0:
            pin.drive_high()
        else:
            pin.drive_low()
        door.poll()
    clock.advance(0.049)
    door.poll()
    assert door_events(events) == ["DoorOpened"]  # still bouncing: nothing more yet
    clock.advance(0.002)
    door.poll()
    assert door_events(events) == expected
    assert door.is_open is (edges % 2 == 1)
    assert door.edges == edges + 1


def test_bounce_that_ends_where_it_started_reports_nothing(
    door: DoorSensor, clocked_pins: ClockedMockFactory, clock: ManualClock, events: list[Event]
) -> None:
    pin = clocked_pins.pin(17)
    pin.drive_low()
    clock.advance(1)
    events.clear()
    clock.advance(0.001)
    pin.drive_high()  # reported at once: the line was quiet
    clock.advance(0.001)
    pin.drive_low()  # 1 ms later: bounce
    clock.advance(0.1)
    door.poll()
    assert door_events(events) == ["DoorOpened", "DoorClosed"]
    assert not door.is_open


def test_held_open_alert_and_its_clearing(
    door: DoorSensor, clocked_pins: ClockedMockFactory, clock: ManualClock, events: list[Event]
) -> None:
    pin = clocked_pins.pin(17)
    pin.drive_low()
    clock.advance(1)
    pin.drive_high()
    events.clear()
    clock.advance(299)
    door.poll()
    assert door_events(events) == []
    clock.advance(1)
    door.poll()
    door.poll()
    assert door_events(events) == ["DoorHeldOpen"]
    held = events[-1]
    assert isinstance(held, DoorHeldOpen) and held.door == "front" and held.seconds == 300
    clock.advance(5)
    pin.drive_low()
    assert door_events(events) == ["DoorHeldOpen", "DoorClosed", "DoorHeldOpenCleared"]


def test_a_contact_that_never_settles_is_a_fault_until_it_does(
    door: DoorSensor, clocked_pins: ClockedMockFactory, clock: ManualClock, events: list[Event]
) -> None:
    pin = clocked_pins.pin(17)
    for i in range(int(CHATTER_SECONDS / 0.01) + 10):
        clock.advance(0.01)
        pin.drive_low() if i % 2 == 0 else pin.drive_high()
        door.poll()
    health = [(e.status, e.detail) for e in events if isinstance(e, SensorHealthChanged)]
    assert health[-1][0] == "fault" and "chattering" in health[-1][1]
    clock.advance(1)
    door.poll()
    assert [e.status for e in events if isinstance(e, SensorHealthChanged)][-1] == "ok"


def test_the_rules_keep_door_state_with_the_held_open_flag(config: Config, db: Database, clock: ManualClock) -> None:
    recorder = Recorder(db, config, clock, RULES)
    t0 = clock.now()
    recorder.write([DoorOpened(door="front", at=t0)])
    recorder.write([DoorOpened(door="front", at=clock.advance(10))])  # read again at a restart
    conn = db.conn()
    assert state.get(conn, "door/front") == {"state": "open", "since": "2026-03-02T09:00:00.000Z", "held_open": False}
    recorder.write([DoorHeldOpen(door="front", seconds=300, at=clock.advance(290))])
    assert state.get(conn, "door/front")["held_open"] is True
    assert state.get(conn, "door/front")["since"] == "2026-03-02T09:00:00.000Z"
    recorder.write([DoorClosed(door="front", at=clock.advance(5)), DoorHeldOpenCleared(door="front", at=clock.now())])
    assert state.get(conn, "door/front") == {"state": "closed", "since": "2026-03-02T09:05:05.000Z", "held_open": False}
    opened = conn.execute("SELECT value FROM daily_counts WHERE sensor = 'front' AND metric = 'opened'").fetchone()
    assert opened[0] == 1  # the restart's read is not a new opening
    # Retained topics coalesce in the outbox: the broker gets the latest state.
    payloads = [r[0] for r in conn.execute("SELECT payload FROM outbox WHERE topic = 'doorstep/community-hall/door/front'")]
    assert payloads == ["closed"]
