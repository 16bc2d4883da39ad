"""A door contact: a reed switch between a GPIO and ground."""

from __future__ import annotations

import logging
from collections.abc import Callable

from gpiozero import DigitalInputDevice

from appliance.clock import Clock
from appliance.config import DoorConfig
from appliance.events import DoorClosed, DoorOpened, Event

log = logging.getLogger(__name__)


class DoorSensor:
    """Reports a door's open and close as events; reads the state at start."""

    def __init__(self, config: DoorConfig, sink: Callable[[Event], None], clock: Clock) -> None:
        self.config = config
        self.sink = sink
        self.clock = clock
        # With the pull-up on, a closed reed switch pulls the pin low: "active" = closed.
        self.device = DigitalInputDevice(config.pin, pull_up=config.closed_when == "low")
        self.is_open = not self.device.is_active
        self.device.when_activated = self._closed
        self.device.when_deactivated = self._opened
        self.sink(self._event(self.is_open))

    def _event(self, is_open: bool) -> Event:
        cls = DoorOpened if is_open else DoorClosed
        return cls(door=self.config.id, at=self.clock.now())

    def _opened(self) -> None:
        self._change(True)

    def _closed(self) -> None:
        self._change(False)

    def _change(self, is_open: bool) -> None:
        if is_open != self.is_open:
            self.is_open = is_open
            self.sink(self._event(is_open))

    def close(self) -> None:
        """Release the GPIO."""
        self.device.close()
