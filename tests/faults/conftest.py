"""The fault suite: real processes killed, brokers stopped, disks filled, clocks jumped,
every form and API operation fuzzed. Run with ``make faults``; plain ``pytest`` and
``make test`` leave it out (every test here carries the ``faults`` marker, and the
default addopts deselect it).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from mqttkit import make_listener

HERE = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test in this folder as a fault test."""
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.faults)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the figures the fault tests measured, with their goals."""
    from faultkit import FIGURES

    if FIGURES:
        terminalreporter.section("fault suite figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture
def durable_listener(broker):  # type: ignore[no-untyped-def]
    """A persistent-session subscriber on '#' of the test broker."""
    listener = make_listener(broker.host, broker.port, client_id=f"faults-{os.getpid()}-{time.monotonic_ns()}",
                             durable=True)
    yield listener
    listener.close()


