"""The real agent in its own process, with its mock pins driven at a steady rate.

``python -m bench.driven_agent CONFIG door RATE`` builds the same
:class:`doorstep.agent.Agent` that ``doorstep agent`` runs (config file, writer,
publisher, housekeeping), hands it a MockFactory, and flips the first door's contact
RATE times a second until SIGTERM. Each flip is one sensor event (door opened / door
closed). Living in its own process, its /proc/PID/io counts only the agent's own writes.

``python -m bench.driven_agent CONFIG beams RATE COUNT`` walks COUNT people through the
first beam pair at RATE a second (outer blocked, inner blocked, outer clear, inner
clear: one IN; the mirror image: one OUT; alternately), prints ``driven N in S s`` and
keeps running until SIGTERM so the backlog can drain.
"""

from __future__ import annotations

import logging
import sys
import threading
import time

from gpiozero.pins.mock import MockFactory

from doorstep.agent import Agent
from doorstep.cli import load_config, wait_for_signal


def walk(agent: Agent, rate: float, count: int, stop: threading.Event) -> None:
    """COUNT passes through the first beam pair at RATE a second, catching up when late."""
    beam = agent.config.beams[0]

    def block_and_clear(pin_number: int):  # type: ignore[no-untyped-def]
        pin = agent.pin_factory.pin(pin_number)
        return (pin.drive_low, pin.drive_high) if beam.blocked_when == "low" else (pin.drive_high, pin.drive_low)

    block, clear = block_and_clear(beam.outer_pin)
    iblock, iclear = block_and_clear(beam.inner_pin)
    clear()
    iclear()
    start = time.monotonic()
    done = 0
    while done < count and not stop.is_set():
        due = min(count, int((time.monotonic() - start) * rate) + 1)
        while done < due:
            if done % 2 == 0:  # in: outer first, out: inner first
                block(), iblock(), clear(), iclear()
            else:
                iblock(), block(), iclear(), clear()
            done += 1
        time.sleep(max(0.0, start + done / rate - time.monotonic()))
    print(f"driven {done} in {time.monotonic() - start:.3f} s", flush=True)


def main(argv: list[str]) -> int:
    """Run the agent and drive its pins (see the module docstring) until SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = load_config(argv[0])  # type: ignore[arg-type]
    mode, rate = argv[1], float(argv[2])
    agent = Agent(config, pin_factory=MockFactory())
    agent.start()
    stop = threading.Event()
    if mode == "beams":
        driver = threading.Thread(target=walk, args=(agent, rate, int(argv[3]), stop), name="driver", daemon=True)
    else:
        pin = agent.pin_factory.pin(config.doors[0].pin)

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
