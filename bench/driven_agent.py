"""The real agent in its own process, with its mock pins driven at a steady rate.

``python -m bench.driven_agent CONFIG RATE`` builds the same :class:`appliance.agent.Agent`
that ``doorstep agent`` runs (config file, writer, publisher, housekeeping), hands it a
MockFactory, and flips the first door's contact RATE times a second until SIGTERM. Each
flip is one sensor event (door opened / door closed). Living in its own process, its
/proc/PID/io counts only the agent's own writes.
"""

from __future__ import annotations

import sys
import threading
import time

from gpiozero.pins.mock import MockFactory

from appliance.agent import Agent
from appliance.cli import load_config, wait_for_signal


def main(argv: list[str]) -> int:
    """Run the agent and flip the door RATE times a second until SIGTERM."""
    config = load_config(argv[0])  # type: ignore[arg-type]
    rate = float(argv[1])
    agent = Agent(config, pin_factory=MockFactory())
    agent.start()
    door = config.doors[0]
    pin = agent.pin_factory.pin(door.pin)
    stop = threading.Event()

    def drive() -> None:
        # a steady schedule (not sleep-after-work) so the rate holds on a busy machine
        level = False
        next_at = time.monotonic() + 1 / rate
        while not stop.wait(max(0.0, next_at - time.monotonic())):
            level = not level
            pin.drive_high() if level else pin.drive_low()
            next_at += 1 / rate

    driver = threading.Thread(target=drive, name="driver", daemon=True)
    driver.start()
    print("driving", flush=True)
    try:
        wait_for_signal()
    finally:
        stop.set()
        driver.join(timeout=2)
        agent.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
