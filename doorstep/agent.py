"""The agent role: sensors, the single writer, the publisher and housekeeping.

It holds GPIO, serial and the broker credentials, and no web server. What the agent
does with each kind of event (:data:`RULES`) and which periodic jobs it runs
(:data:`JOBS`) are listed here, in the role that runs them, by plain imports.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.booking import attendance, series
from appliance.core import language
from appliance.core.clock import Clock, SystemClock
from appliance.core.config import Config
from appliance.decisions import ballots, voting
from appliance.outbox.topics import TopicContext
from appliance.people import endofday, lockout, sessions, taps
from appliance.privacy import retention
from appliance.publishing import derived
from appliance.rota import door
from appliance.sensing import doors, occupancy
from appliance.sensing.housekeeping import Housekeeper, Job
from appliance.sensing.recorder import Recorder, combine
from appliance.storage.db import Database

if TYPE_CHECKING:
    from appliance.publishing.mqtt import Publisher
    from sensors.beams import BeamPair
    from sensors.cardreader import CardReader
    from sensors.door import DoorSensor
    from sensors.health import Poller
    from sensors.pir import PirCounter
    from sensors.simulator import Simulator

log = logging.getLogger(__name__)

# What follows from each kind of event, inside the writer's transaction.
RULES = combine(doors.RULES, occupancy.RULES, taps.RULES, door.RULES)

# Housekeeping: (name, every so many seconds, the job).
JOBS = (
    Job("publish-refresh", 5, derived.refresh_job),
    Job("outbox-bound", 60, derived.bound_job),
    Job("bookings.release_no_shows", 60, attendance.release_no_shows_job),
    Job("bookings.extend_series", 3600, series.extend_job),
    Job("endofday.presumed_left", 60, endofday.sweep_job),
    Job("occupancy-closing-reset", 60, occupancy.reset_if_closed),
    Job("lockout.forget_locks", 3600, lockout.forget_locks_job),
    Job("sessions.forget_ended", 3600, sessions.forget_ended_job),
    Job("retention_purge", 24 * 3600, retention.daily_purge),
    Job("decisions.close", 30, ballots.close_job),
    Job("decisions.checkpoint", 60, voting.checkpoint_job),
)


def use_screen_catalogs() -> None:
    """Give appliance.core.language the screens' catalogs (kiosk/translations), found
    without importing the web app (the agent holds no Flask)."""
    spec = importlib.util.find_spec("kiosk")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        language.use_catalogs(Path(folder) / "translations")


@dataclass
class Agent:
    """Everything the agent role runs, wired together."""

    config: Config
    clock: Clock = field(default_factory=SystemClock)
    pin_factory: Any = None  # a gpiozero Factory; None: from config
    simulate_speed: float = 1.0
    card_feed: int | None = None  # the simulator writes fob frames to this pty (the demo)
    db: Database = field(init=False)
    recorder: Recorder = field(init=False)
    housekeeper: Housekeeper = field(init=False)
    publisher: Publisher | None = field(default=None, init=False)
    doors: list[DoorSensor] = field(default_factory=list, init=False)
    beams: list[BeamPair] = field(default_factory=list, init=False)
    pirs: list[PirCounter] = field(default_factory=list, init=False)
    poller: Poller | None = field(default=None, init=False)
    cardreader: CardReader | None = field(default=None, init=False)
    simulator: Simulator | None = field(default=None, init=False)
    _stopped: threading.Event = field(default_factory=threading.Event, init=False)

    def __post_init__(self) -> None:
        # The status sentence on MQTT is in the site's language, from the screens' catalogs.
        use_screen_catalogs()
        # Every transaction that changes what a derived topic reads refreshes it before COMMIT.
        self.db = Database(self.config.database.path, self.clock, hook=derived.commit_hook(self.config, self.clock))
        self.db.migrate()
        self.recorder = Recorder(self.db, self.config, self.clock, RULES)
        self.housekeeper = Housekeeper(self.db, self.config, self.clock, JOBS)

    @property
    def sensors(self) -> list[Any]:
        """Every sensor built from the config (the card reader too)."""
        return [*self.doors, *self.beams, *self.pirs, *([self.cardreader] if self.cardreader else [])]

    def start(self) -> None:
        """Start the writer, the publisher, the sensors and housekeeping."""
        self.recorder.start()
        if self.config.mqtt.enabled:
            from appliance.publishing.mqtt import Publisher

            config = self.config
            # The derived topics (rooms, visits, status, discovery) as they are now, before connecting.
            with self.db.write() as conn:
                derived.refresh(conn, config, self.clock.now())
            self.publisher = Publisher(
                self.db, config.mqtt, TopicContext.of(config), self.clock,
                announce=lambda conn, now: derived.announce(conn, config, now),
                republish=lambda conn, now: derived.republish(conn, config, now),
            )
            # A commit by the single writer is sent at once, on the writer's thread (the latency path).
            self.recorder.sender = self.publisher
            self.publisher.start()
        self._start_sensors()
        self.housekeeper.start()
        log.info("agent started: %d sensors", len(self.sensors))

    def _start_sensors(self) -> None:
        """Build every sensor the config names; doors and beams share one polling thread."""
        from sensors import pins
        from sensors.beams import BeamPair
        from sensors.door import DoorSensor
        from sensors.health import Poller
        from sensors.pir import PirCounter

        submit = self.recorder.submit
        gpio = bool(self.config.doors or self.config.beams or self.config.pir)
        factory = self.pin_factory or pins.make_factory(self.config.hardware.pin_factory)
        if gpio or factory is not None:
            self.pin_factory = pins.install(factory)
        self.doors = [DoorSensor(door, submit, self.clock) for door in self.config.doors]
        self.beams = [BeamPair(beam, submit, self.clock) for beam in self.config.beams]
        self.pirs = [PirCounter(pir, submit, self.clock) for pir in self.config.pir]
        if self.doors or self.beams:
            self.poller = Poller([*self.doors, *self.beams])
            self.poller.start()
        if self.config.cardreader.enabled:
            from appliance.people import fobs
            from sensors.cardreader import CardReader

            secret = fobs.load_secret(fobs.secret_path(self.config.database.path))
            self.cardreader = CardReader(
                self.config.cardreader, submit, self.clock, lambda number: fobs.card_hash(secret, number),
                ballot_hasher=lambda number: fobs.ballot_key(secret, number),
            )
            self.cardreader.start()
        if self.config.hardware.simulate:
            from sensors.simulator import Simulator

            self.simulator = Simulator(
                self.config, self.pin_factory, speed=self.simulate_speed, clock=self.clock, card_feed=self.card_feed
            )
            self.simulator.start()

    def healthy(self) -> bool:
        """Every thread of the agent is alive (the systemd watchdog pings only while true)."""
        parts = (self.recorder, self.housekeeper, self.publisher, self.poller, self.cardreader)
        return all(part.is_alive() for part in parts if part is not None)

    def stop(self) -> None:
        """Stop everything, writing what is queued first."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        if self.simulator is not None:
            self.simulator.stop()
        if self.poller is not None:
            self.poller.stop()
        for sensor in self.sensors:
            sensor.close()
        self.housekeeper.stop()
        self.recorder.stop()
        if self.publisher is not None:
            self.publisher.stop()
        self.db.close()
