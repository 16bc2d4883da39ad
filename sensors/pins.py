"""Choosing gpiozero's pin factory from config (real GPIO on a Pi, MockFactory elsewhere),
and hooking an input pin's edges for the sensors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gpiozero import Device, InputDevice
from gpiozero.pins import Factory
from gpiozero.pins.mock import MockFactory

from appliance.core.clock import Clock


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
    """MockFactory whose ticks follow a :class:`~appliance.core.clock.Clock`.

    Our debounce, obstruction and re-arm timing use the pin factory's ticks; with a
    ManualClock behind them, tests and simulations move that time by hand.
    """

    def __init__(self, clock: Clock, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clock = clock

    def ticks(self) -> float:  # type: ignore[override]
        """The clock's monotonic time."""
        return self.clock.monotonic()


def watch(device: InputDevice, method: Callable[[bool], None]) -> Callable[[float, bool], None]:
    """Call ``method(active)`` on every edge of ``device``'s pin, straight from the pin driver.

    gpiozero's devices hook their pin the same way (``Pin.when_changed``), then run their
    own event machinery (value, activated/deactivated dispatch, hold timing) before our
    callback: on an idle CPU that is ~75 µs of a door edge's way to the broker, for nothing
    we use. ``active`` follows the device's pull-up as ``is_active`` does. The pin keeps
    only a weak reference to its callback, so the caller keeps the returned one.
    """
    active_level = not device.pull_up

    def changed(ticks: float, state: bool) -> None:
        method(bool(state) == active_level)

    device.pin.edges = "both"
    device.pin.when_changed = changed
    return changed
