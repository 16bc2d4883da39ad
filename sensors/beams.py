"""A pair of IR break-beams across a doorway, wired to the footfall state machine.

Each beam is an ``InputDevice`` whose pin's edges (:func:`sensors.pins.watch`) feed
:class:`sensors.footfall.Footfall` with the pin factory's ticks (gpiozero's
``MotionSensor`` polls a queue and is too coarse to order two beams 100 ms apart).
The machine decides; this class only turns its outcomes into events.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from gpiozero import InputDevice

from appliance.core.clock import Clock
from appliance.core.config import BeamConfig
from appliance.core.events import BeamCleared, BeamObstructed, EventSink, Passed
from sensors import pins
from sensors.footfall import INNER, OUTER, Cleared, Footfall, Obstructed, Outcome, Pass
from sensors.health import HealthReporter


class BeamPair:
    """Counts people walking in and out through two beams."""

    def __init__(self, config: BeamConfig, submit: EventSink, clock: Clock) -> None:
        self.config = config
        self.submit = submit
        self.clock = clock
        self.machine = Footfall(obstruction_seconds=config.obstruction_seconds)
        self.health = HealthReporter(f"beam/{config.id}", submit, clock)
        self._lock = threading.Lock()
        self.on_edge: Callable[[], None] = lambda: None  # the poller's wake-up
        # A receiver with an open-collector output needs the pull-up; "active" = blocked.
        pull_up = config.blocked_when == "low"
        self.outer = InputDevice(config.outer_pin, pull_up=pull_up)
        self.inner = InputDevice(config.inner_pin, pull_up=pull_up)
        self.factory = self.outer.pin_factory
        self._watches = [pins.watch(self.outer, self._outer), pins.watch(self.inner, self._inner)]
        for beam, device in ((OUTER, self.outer), (INNER, self.inner)):
            if device.is_active:  # already blocked at start: time it from now
                self._feed(beam, True)
        self.health.set("ok")

    def _outer(self, blocked: bool) -> None:
        self._feed(OUTER, blocked)

    def _inner(self, blocked: bool) -> None:
        self._feed(INNER, blocked)

    def _feed(self, beam: str, blocked: bool) -> None:
        with self._lock:
            outcomes = self.machine.edge(beam, blocked, float(self.factory.ticks()))
        self._emit(outcomes)
        self.on_edge()

    def busy(self) -> bool:
        """A beam is blocked and not yet an obstruction: :meth:`poll` times it."""
        with self._lock:
            return bool(self.machine.blocked_since) and not self.machine.obstructed

    def poll(self) -> None:
        """Let time pass: a beam blocked too long becomes an obstruction."""
        with self._lock:
            outcomes = self.machine.tick(float(self.factory.ticks()))
        self._emit(outcomes)

    def _emit(self, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            at = self.clock.now()
            if isinstance(outcome, Pass):
                self.submit(Passed(beam=self.config.id, direction=outcome.direction, at=at))
            elif isinstance(outcome, Obstructed):
                self.submit(BeamObstructed(beam=self.config.id, which=outcome.which, at=at))
            elif isinstance(outcome, Cleared):
                self.submit(BeamCleared(beam=self.config.id, at=at))

    def close(self) -> None:
        """Release the GPIOs."""
        self.outer.close()
        self.inner.close()
