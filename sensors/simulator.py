"""Simulated visitors for the demo and the benchmarks: drives MockFactory pins."""

from __future__ import annotations

import random
import threading

from gpiozero.pins.mock import MockFactory

from appliance.config import Config


class Simulator:
    """Opens and closes the doors now and then, as people come and go."""

    def __init__(self, config: Config, factory: MockFactory, speed: float = 1.0, seed: int | None = None) -> None:
        self.config = config
        self.factory = factory
        self.speed = max(speed, 0.01)
        self.random = random.Random(seed)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start simulating on a background thread."""
        self._thread = threading.Thread(target=self._run, name="simulator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop simulating."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=2)

    def _sleep(self, seconds: float) -> bool:
        return not self._stop.wait(seconds / self.speed)

    def _run(self) -> None:
        while self._sleep(self.random.uniform(2, 8)):
            for door in self.config.doors:
                pin = self.factory.pin(door.pin)
                closed_level = door.closed_when == "low"
                # open: the switch releases, the pull-up wins
                pin.drive_high() if closed_level else pin.drive_low()
                if not self._sleep(self.random.uniform(1.5, 4)):
                    return
                pin.drive_low() if closed_level else pin.drive_high()
