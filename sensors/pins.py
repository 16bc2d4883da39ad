"""Choosing gpiozero's pin factory from config: real GPIO on a Pi, MockFactory elsewhere."""

from __future__ import annotations

from typing import Any

from gpiozero import Device
from gpiozero.pins import Factory
from gpiozero.pins.mock import MockFactory

from appliance.clock import Clock


class PinFactoryError(Exception):
    """The configured pin factory cannot be used on this machine."""


def make_factory(name: str) -> Factory | None:
    """A pin factory for ``hardware.pin_factory``; None lets gpiozero choose (auto)."""
    if name == "mock":
        return MockFactory()
    if name == "auto":
        return None
    try:
        if name == "lgpio":
            from gpiozero.pins.lgpio import LGPIOFactory

            return LGPIOFactory()
        if name == "rpigpio":
            from gpiozero.pins.rpigpio import RPiGPIOFactory

            return RPiGPIOFactory()
        if name == "native":
            from gpiozero.pins.native import NativeFactory

            return NativeFactory()
    except Exception as exc:  # each factory fails differently off a Pi
        raise PinFactoryError(f"hardware.pin_factory {name!r} cannot be used here: {exc}") from None
    raise PinFactoryError(f"hardware.pin_factory {name!r} is not known")


def install(factory: Factory | None) -> Factory:
    """Make ``factory`` gpiozero's default and return the one in use."""
    if factory is not None:
        Device.pin_factory = factory
    else:
        try:
            Device.ensure_pin_factory()
        except Exception as exc:
            raise PinFactoryError(
                f"no GPIO found ({exc}); on a machine that is not a Pi set hardware.pin_factory = \"mock\""
            ) from None
    return Device.pin_factory  # type: ignore[return-value]


class ClockedMockFactory(MockFactory):
    """MockFactory whose ticks follow a :class:`~appliance.clock.Clock`.

    Our debounce, obstruction and re-arm timing use the pin factory's ticks; with a
    ManualClock behind them, tests and simulations move that time by hand.
    """

    def __init__(self, clock: Clock, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clock = clock

    def ticks(self) -> float:  # type: ignore[override]
        """The clock's monotonic time."""
        return self.clock.monotonic()
