"""The agent's housekeeping: periodic jobs (retention purge, end-of-day sweep, releasing
no-show bookings, extending recurring series) with no cron to set up.

A module registers a job with :func:`job`; the agent runs each one on its own schedule,
on one thread, with the injectable clock. A failing job is logged and tried again next
time; it never stops the others.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from appliance.clock import Clock
from appliance.config import Config
from appliance.db import Database

log = logging.getLogger(__name__)

JobFn = Callable[[Database, Config, Clock], None]


@dataclass(frozen=True)
class Job:
    """A periodic job."""

    name: str
    every_seconds: float
    run: JobFn


_JOBS: dict[str, Job] = {}

# Modules holding jobs; importing one registers them.
JOB_MODULES: list[str] = [
    "appliance.retention",
    "appliance.publishing",
    "appliance.attendance",
    "appliance.series",
    "appliance.endofday",
    "appliance.occupancy",
    "appliance.admins",
]


def job(name: str, every_seconds: float) -> Callable[[JobFn], JobFn]:
    """Register a function as a housekeeping job run every ``every_seconds``."""

    def register(fn: JobFn) -> JobFn:
        _JOBS[name] = Job(name, every_seconds, fn)
        return fn

    return register


def jobs() -> list[Job]:
    """Every registered job."""
    for module in JOB_MODULES:
        importlib.import_module(module)
    return sorted(_JOBS.values(), key=lambda j: j.name)


def run_due(db: Database, config: Config, clock: Clock, last_run: dict[str, float]) -> list[str]:
    """Run every job whose interval has passed (by the monotonic clock); return their names."""
    ran = []
    now = clock.monotonic()
    for j in jobs():
        if now - last_run.get(j.name, float("-inf")) < j.every_seconds:
            continue
        last_run[j.name] = now
        try:
            j.run(db, config, clock)
            ran.append(j.name)
        except Exception:  # one job failing must not stop housekeeping
            log.exception("housekeeping job %s failed; it will run again", j.name)
    return ran


class Housekeeper:
    """Runs due jobs every few seconds on a thread."""

    def __init__(self, db: Database, config: Config, clock: Clock, tick: float = 5.0) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self.tick = tick
        self.last_run: dict[str, float] = {}
        self.last_progress = clock.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the housekeeping thread."""
        self._thread = threading.Thread(target=self._run, name="housekeeping", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop it."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def is_alive(self) -> bool:
        """The thread is running."""
        return bool(self._thread and self._thread.is_alive())

    def _run(self) -> None:
        while not self._stop.is_set():
            run_due(self.db, self.config, self.clock, self.last_run)
            self.last_progress = self.clock.monotonic()
            self._stop.wait(self.tick)
