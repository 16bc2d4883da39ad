"""A door contact: a reed switch between a GPIO and ground, debounced in our own code.

gpiozero's ``bounce_time`` is not simulated by MockFactory (and drops the *last* edge of
a burst on real pins), so the debounce lives here:

- an edge after a quiet line (no edge for ``debounce_ms``) is reported at once, so a
  door opening reaches the broker without a debounce delay;
- edges that follow closely (contact bounce, a chattering magnet) are not reported
  one by one: once the line has been quiet for ``debounce_ms``, :meth:`poll` reports the
  level it settled on, if it differs from the last one reported.

Time is the pin factory's ticks (the callback timing), so a test's factory can drive it.
The agent's :class:`~sensors.health.Poller` calls :meth:`poll` every few milliseconds
while :meth:`busy` (a burst not settled), and twice a second otherwise; it also raises the
held-open alert.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from gpiozero import InputDevice

from appliance.core.clock import Clock
from appliance.core.config import DoorConfig
from appliance.core.events import (
    DoorClosed,
    DoorHeldOpen,
    DoorHeldOpenCleared,
    DoorOpened,
    Event,
    EventSink,
)
from sensors import pins
from sensors.health import HealthReporter

# A contact that never settles for this long is reported as a fault (a loose magnet).
CHATTER_SECONDS = 10.0


class DoorSensor:
    """Reports a door's open and close as events; reads the state at start."""

    def __init__(self, config: DoorConfig, submit: EventSink, clock: Clock) -> None:
        self.config = config
        self.submit = submit
        self.clock = clock
        self.debounce = config.debounce_ms / 1000
        self.health = HealthReporter(f"door/{config.id}", submit, clock)
        # With the pull-up on, a closed reed switch pulls the pin low: "active" = closed.
        self.device = InputDevice(config.pin, pull_up=config.closed_when == "low")
        self.factory = self.device.pin_factory
        self._lock = threading.Lock()
        now = self._ticks()
        self.raw_open = not self.device.is_active
        self.is_open = self.raw_open
        self.last_edge: float | None = None  # ticks of the last raw edge
        self.storm_since: float | None = None  # first edge of a burst not yet settled
        self.opened_at = now
        self.held_open = False
        self.edges = 0  # raw edges seen, for diagnosis
        self.on_edge: Callable[[], None] = lambda: None  # the poller's wake-up
        self._watch = pins.watch(self.device, self._changed)
        self.submit(self._event(self.is_open))
        self.health.set("ok")

    def _ticks(self) -> float:
        return float(self.factory.ticks())

    def _since(self, then: float, now: float) -> float:
        return float(self.factory.ticks_diff(now, then))

    def _event(self, is_open: bool) -> Event:
        cls = DoorOpened if is_open else DoorClosed
        return cls(door=self.config.id, at=self.clock.now())

    def _changed(self, closed: bool) -> None:
        is_open = not closed
        out: list[Event] = []
        with self._lock:
            now = self._ticks()
            quiet = self.last_edge is None or self._since(self.last_edge, now) >= self.debounce
            self.last_edge = now
            self.raw_open = is_open
            self.edges += 1
            if quiet and is_open != self.is_open:
                out += self._report(is_open, now)
            elif not quiet and self.storm_since is None:
                self.storm_since = now
        for event in out:
            self.submit(event)
        self.on_edge()

    def busy(self) -> bool:
        """A burst of edges has not settled yet: :meth:`poll` is due within ``debounce_ms``."""
        with self._lock:
            return self.storm_since is not None or self.raw_open != self.is_open

    def _report(self, is_open: bool, now: float) -> list[Event]:
        """Change the reported state (the lock is held)."""
        self.is_open = is_open
        out = [self._event(is_open)]
        if is_open:
            self.opened_at = now
        elif self.held_open:
            self.held_open = False
            out.append(DoorHeldOpenCleared(door=self.config.id, at=self.clock.now()))
        return out

    def poll(self) -> None:
        """Report a settled level after a burst of edges, and the held-open alert."""
        out: list[Event] = []
        health: str | None = None
        with self._lock:
            now = self._ticks()
            settled = self.last_edge is None or self._since(self.last_edge, now) >= self.debounce
            if settled:
                if self.raw_open != self.is_open:
                    out += self._report(self.raw_open, now)
                if self.storm_since is not None:
                    self.storm_since = None
                    health = "ok"
            elif self.storm_since is not None and self._since(self.storm_since, now) >= CHATTER_SECONDS:
                health = "fault"
            if self.is_open and not self.held_open:
                held = self._since(self.opened_at, now)
                if held >= self.config.held_open_seconds:
                    self.held_open = True
                    out.append(DoorHeldOpen(door=self.config.id, seconds=round(held, 1), at=self.clock.now()))
        for event in out:
            self.submit(event)
        if health == "fault":
            self.health.set("fault", "contact chattering: check the magnet and the wiring")
        elif health == "ok":
            self.health.set("ok")

    def close(self) -> None:
        """Release the GPIO."""
        self.device.close()
