"""Sensor health as events, and the one thread that lets time pass for the GPIO sensors.

A sensor never writes health itself: :class:`HealthReporter` turns a status change into
a :class:`~appliance.events.SensorHealthChanged` event for the agent's writer, which
records it (``health`` table, component like ``door/front``, ``beam/entrance``,
``pir/hall``, ``cardreader``) with "since when".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from appliance.clock import Clock
from appliance.events import Event, SensorHealthChanged

log = logging.getLogger(__name__)

STATUSES = ("ok", "fault", "unplugged")


class HealthError(Exception):
    """A health status that the health table does not know."""


class HealthReporter:
    """Emits a health event when (and only when) a component's status or detail changes."""

    def __init__(self, component: str, sink: Callable[[Event], None], clock: Clock) -> None:
        self.component = component
        self.sink = sink
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
        self.sink(SensorHealthChanged(sensor=self.component, status=status, detail=detail, at=self.clock.now()))
        return True


class Pollable(Protocol):
    """A sensor with time-driven behaviour (debounce settling, alerts, obstruction)."""

    def poll(self) -> None:
        """Act on time having passed."""
        ...


class Poller:
    """Calls ``poll()`` on every time-driven sensor every few milliseconds, on one thread."""

    def __init__(self, sensors: Sequence[Pollable], interval: float = 0.01) -> None:
        self.sensors = list(sensors)
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the polling thread."""
        self._thread = threading.Thread(target=self._run, name="sensor-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop it."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=2)

    def is_alive(self) -> bool:
        """The thread is running."""
        return bool(self._thread and self._thread.is_alive())

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for sensor in self.sensors:
                try:
                    sensor.poll()
                except Exception:  # one sensor's bug must not stop the others' debounce
                    log.exception("polling %r failed", sensor)
