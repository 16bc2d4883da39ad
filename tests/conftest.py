"""Fixtures every test module reuses: real SQLite files, a real Mosquitto, MockFactory
pins, a pty pair for serial, a hand-driven clock, the Flask app.

Nothing here fakes a library with unittest.mock: hardware is gpiozero's MockFactory and
a pseudo-terminal; the broker and the database are the real programs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pty
import tty
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest
from browser_support import watch_csp
from gpiozero import Device
from gpiozero.pins.mock import MockFactory
from mqttkit import Listener, make_listener

from appliance.core.clock import ManualClock
from appliance.core.config import Config, DatabaseConfig, HardwareConfig, MqttConfig
from appliance.storage.db import Database
from doorstep.broker import Mosquitto, find_mosquitto
from sensors.pins import ClockedMockFactory


@pytest.fixture
def clock() -> ManualClock:
    """A clock that moves only when the test says so (Monday 2 March 2026, 09:00 UTC)."""
    return ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """A config with a database in the test's temp dir, mock pins and no broker."""
    return Config().with_changes(
        database=DatabaseConfig(path=str(tmp_path / "doorstep.db")),
        hardware=HardwareConfig(pin_factory="mock"),
        mqtt=dataclasses.replace(MqttConfig(), enabled=False),
    )


@pytest.fixture
def db(config: Config, clock: ManualClock) -> Iterator[Database]:
    """A fresh, migrated database file."""
    database = Database(config.database.path, clock)
    database.migrate()
    yield database
    database.close()


PinFactory = TypeVar("PinFactory", bound=MockFactory)


def installed(factory: PinFactory) -> Iterator[PinFactory]:
    """Make ``factory`` gpiozero's pin factory for one test, then reset it and put the old one back."""
    previous = Device.pin_factory
    Device.pin_factory = factory
    yield factory
    factory.reset()
    Device.pin_factory = previous


@pytest.fixture
def mock_pins() -> Iterator[MockFactory]:
    """gpiozero's MockFactory as the pin factory, reset after the test."""
    yield from installed(MockFactory())


@pytest.fixture
def clocked_pins(clock: ManualClock) -> Iterator[ClockedMockFactory]:
    """A MockFactory whose pin edges carry the test clock's time (our own debounce and timing)."""
    factory = ClockedMockFactory(clock)
    yield from installed(factory)


@pytest.fixture
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mosquitto]:
    """A real Mosquitto on a free port with its own config and persistence dir.

    ``broker.stop()`` and ``broker.start()`` take it away and bring it back mid-test
    (same port, same persistence).
    """
    instance = Mosquitto(tmp_path_factory.mktemp("broker"))
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture
def mqtt_listener(broker: Mosquitto) -> Iterator[Listener]:
    """A subscriber on '#' of the test broker recording every message and its arrival time."""
    listener = make_listener(broker.host, broker.port)
    yield listener
    listener.close()


@pytest.fixture
def broker_config(config: Config, broker: Mosquitto) -> Config:
    """The test config pointed at the test broker."""
    return config.with_changes(
        mqtt=dataclasses.replace(MqttConfig(), host=broker.host, port=broker.port, client_id="doorstep-test")
    )


@pytest.fixture
def app(config: Config, clock: ManualClock, db: Database):  # type: ignore[no-untyped-def]
    """The Flask app on the test database, with the test clock."""
    from kiosk import create_app

    application = create_app(config, clock=clock, overrides={"TESTING": True})
    yield application
    application.extensions["doorstep"].close()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    """Flask's test client (requests come from 127.0.0.1, the kiosk's own screen)."""
    return app.test_client()


@dataclass
class SerialPair:
    """A pseudo-terminal: the reader opens ``path``; the test writes bytes to ``write``."""

    master: int
    slave: int
    path: str

    def write(self, data: bytes) -> None:
        """Send bytes as the fob reader would."""
        view = memoryview(data)
        while view:
            written = os.write(self.master, view)
            view = view[written:]

    def close(self) -> None:
        """Take the device away (as pulling out a USB reader does)."""
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


@pytest.fixture
def serial_pair() -> Iterator[SerialPair]:
    """A pty pair standing in for a serial fob reader."""
    master, slave = pty.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    pair = SerialPair(master, slave, os.ttyname(slave))
    yield pair
    pair.close()


def pytest_configure(config: pytest.Config) -> None:
    """Fail early and clearly when a tool the suite needs is missing."""
    if find_mosquitto() is None:
        raise pytest.UsageError("missing mosquitto: run 'make test', which installs it")


# -- the web role for real, and real Chromium --------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture
def live_server(config: Config, clock: ManualClock, db: Database):  # type: ignore[no-untyped-def]
    """The web role served by waitress on a free port; ``live_server.url`` ends with '/'."""
    from doorstep.broker import free_port
    from kiosk import create_app
    from kiosk.server import WebServer

    cfg = config.with_changes(web=dataclasses.replace(config.web, host="127.0.0.1", port=free_port()))
    server = WebServer(create_app(cfg, clock=clock), "127.0.0.1", cfg.web.port, threads=16)
    server.config = cfg  # type: ignore[attr-defined]
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """Real Chromium (Debian's /usr/bin/chromium) driven by Playwright, for the whole session."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run 'make test' (it installs chromium) or apt-get install chromium")
    from playwright.sync_api import expect, sync_playwright

    # A loaded 2-core CI machine can take more than Playwright's 5 s to answer a page; the
    # assertions still wait for the right text, only longer before giving up.
    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    """A fresh touch-screen page (1280x800, like the official Pi display's class of screen).
    The test fails if the page broke the Content-Security-Policy (a blocked script or style)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, has_touch=True, is_mobile=False)
    violations = watch_csp(context)
    tab = context.new_page()
    yield tab
    context.close()
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)
