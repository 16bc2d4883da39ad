"""A PIR motion sensor: counts visits without direction.

The PIR's output goes high on motion (push-pull, so no pull-up). Motion within
``rearm_seconds`` of the last counted motion is the same visit; gpiozero's
``MotionSensor`` smoothing is not needed for that, so a plain ``InputDevice`` whose
pin's rising edges (:func:`sensors.pins.watch`) count.
"""

from __future__ import annotations

import threading

from gpiozero import InputDevice

from appliance.core.clock import Clock
from appliance.core.config import PirConfig
from appliance.core.events import EventSink, MotionDetected
from sensors import pins
from sensors.health import HealthReporter


class PirCounter:
    """Emits MotionDetected once per re-arm period."""

    def __init__(self, config: PirConfig, submit: EventSink, clock: Clock) -> None:
        self.config = config
        self.submit = submit
        self.clock = clock
        self.health = HealthReporter(f"pir/{config.id}", submit, clock)
        self.device = InputDevice(config.pin, pull_up=False)
        self.factory = self.device.pin_factory
        self.last_counted: float | None = None
        self.count = 0
        self._lock = threading.Lock()
        self._watch = pins.watch(self.device, self._changed)
        self.health.set("ok")

    def _changed(self, motion: bool) -> None:
        if not motion:
            return
        with self._lock:
            now = float(self.factory.ticks())
            if self.last_counted is not None and self.factory.ticks_diff(now, self.last_counted) < self.config.rearm_seconds:
                return
            self.last_counted = now
            self.count += 1
        self.submit(MotionDetected(pir=self.config.id, at=self.clock.now()))

    def close(self) -> None:
        """Release the GPIO."""
        self.device.close()
