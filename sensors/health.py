"""Sensor health as events, and the one thread that lets time pass for the GPIO sensors.

A sensor never writes health itself: :class:`HealthReporter` turns a status change into
a :class:`~appliance.core.events.SensorHealthChanged` event for the agent's writer, which
records it (``health`` table, component like ``door/front``, ``beam/entrance``,
``pir/hall``, ``cardreader``) with "since when".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from appliance.core.clock import Clock
from appliance.core.events import EventSink, SensorHealthChanged
from appliance.core.threads import Worker

log = logging.getLogger(__name__)

STATUSES = ("ok", "fault", "unplugged")


class HealthError(Exception):
    """A health status that the health table does not know."""


class HealthReporter:
    """Emits a health event when (and only when) a component's status or detail changes."""

    def __init__(self, component: str, submit: EventSink, clock: Clock) -> None:
        self.component = component
        self.submit = submit
        self.clock = clock
        self.status: str | None = None
        self.detail = ""
        self._lock = threading.Lock()

    def set(self, status: str, detail: str = "") -> bool:
        """Report ``status`` (ok / fault / unplugged); True when it was news."""
        if status not in STATUSES:
            raise HealthError(f"health status {status!r} must be one of {', '.join(STATUSES)}")
        with self._lock:
            if (status, detail) == (self.status, self.detail):
                return False
            self.status, self.detail = status, detail
        self.submit(SensorHealthChanged(sensor=self.component, status=status, detail=detail, at=self.clock.now()))
        return True


class Pollable(Protocol):
    """A sensor with time-driven behaviour (debounce settling, alerts, obstruction)."""

    on_edge: Callable[[], None]  # the sensor calls it on every raw edge (the poller sets it)

    def poll(self) -> None:
        """Act on time having passed."""
        ...

    def busy(self) -> bool:
        """Something is due within milliseconds (a bounce not settled, a beam blocked)."""
        ...


class Poller(Worker):
    """Calls ``poll()`` on every time-driven sensor, on one thread: every ``interval`` while a
    sensor is busy, else every ``idle_interval`` or at once when a sensor sees an edge.

    Polling every 10 ms around the clock cost an idle agent about 1% of a fast core, an
    eighth of a Pi-sized budget (bench_pi); a quiet door needs only the held-open alert,
    which may come ``idle_interval`` late.
    """

    def __init__(self, sensors: Sequence[Pollable], interval: float = 0.01, idle_interval: float = 0.5) -> None:
        super().__init__("sensor-poller", join_seconds=2)
        self.sensors = list(sensors)
        self.interval = interval
        self.idle_interval = idle_interval
        self._nudged = threading.Event()
        for sensor in self.sensors:
            sensor.on_edge = self.wake

    def wake(self) -> None:
        """Poll now (an edge came, or stop() was called)."""
        self._nudged.set()

    def loop(self) -> None:
        while not self.stopping:
            self._nudged.clear()  # before polling: an edge during the polls wakes the next wait
            busy = False
            for sensor in self.sensors:
                try:
                    sensor.poll()
                    busy = busy or sensor.busy()
                except Exception:  # one sensor's bug must not stop the others' debounce
                    log.exception("polling %r failed", sensor)
                    busy = True
            self._nudged.wait(self.interval if busy else self.idle_interval)
