"""The agent's housekeeping: periodic jobs (retention purge, end-of-day sweep, releasing
no-show bookings, extending recurring series) with no cron to set up.

A job is a plain function ``(db, config, clock)`` in the module whose records it looks
after; the role that runs housekeeping lists them with their schedules in one table of
:class:`Job` (doorstep.agent.JOBS). Each runs on its own schedule, on one thread,
with the injectable clock. A failing job is logged and tried again next time; it never
stops the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from appliance.core.clock import Clock
from appliance.core.config import Config
from appliance.core.threads import Worker
from appliance.storage.db import Database

log = logging.getLogger(__name__)

JobFn = Callable[[Database, Config, Clock], object]


@dataclass(frozen=True)
class Job:
    """A periodic job: its name (in logs and tests), how often, and what it runs."""

    name: str
    every_seconds: float
    run: JobFn


def run_due(
    jobs: Sequence[Job], db: Database, config: Config, clock: Clock, last_run: dict[str, float]
) -> list[str]:
    """Run every job whose interval has passed (by the monotonic clock); return their names."""
    ran = []
    now = clock.monotonic()
    for j in jobs:
        if now - last_run.get(j.name, float("-inf")) < j.every_seconds:
            continue
        last_run[j.name] = now
        try:
            j.run(db, config, clock)
            ran.append(j.name)
        except Exception:  # one job failing must not stop housekeeping
            log.exception("housekeeping job %s failed; it will run again", j.name)
    return ran


class Housekeeper(Worker):
    """Runs due jobs every few seconds on a thread."""

    def __init__(self, db: Database, config: Config, clock: Clock, jobs: Sequence[Job], tick: float = 5.0) -> None:
        super().__init__("housekeeping")
        self.db = db
        self.config = config
        self.clock = clock
        self.jobs = tuple(jobs)
        self.tick = tick
        self.last_run: dict[str, float] = {}
        self.last_progress = clock.monotonic()

    def loop(self) -> None:
        while not self.stopping:
            run_due(self.jobs, self.db, self.config, self.clock, self.last_run)
            self.last_progress = self.clock.monotonic()
            self.sleep(self.tick)
