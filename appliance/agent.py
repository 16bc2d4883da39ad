"""The agent role: sensors, the single writer, the publisher and housekeeping.

It holds GPIO, serial and the broker credentials, and no web server.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from appliance import publishing
from appliance.clock import Clock, SystemClock
from appliance.config import Config
from appliance.db import Database
from appliance.housekeeping import Housekeeper
from appliance.recorder import Recorder

log = logging.getLogger(__name__)


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
    sensors: list[Any] = field(default_factory=list, init=False)
    publisher: Any = field(default=None, init=False)
    simulator: Any = field(default=None, init=False)
    poller: Any = field(default=None, init=False)
    cardreader: Any = field(default=None, init=False)
    housekeeper: Housekeeper = field(init=False)
    _stopped: threading.Event = field(default_factory=threading.Event, init=False)

    def __post_init__(self) -> None:
        self.db = Database(self.config.database.path, self.clock)
        self.db.migrate()
        self.recorder = Recorder(
            self.db, publishing.context(self.config), self.config.site.zone, self.clock, self.config
        )
        self.housekeeper = Housekeeper(self.db, self.config, self.clock)

    def start(self) -> None:
        """Start the writer, the publisher, the sensors and housekeeping."""
        self.recorder.start()
        if self.config.mqtt.enabled:
            from appliance.mqtt import Publisher

            config = self.config
            # The derived topics (rooms, visits, status, discovery) as they are now, before connecting.
            with self.db.write() as conn:
                publishing.refresh(conn, config, self.clock.now())
            self.publisher = Publisher(
                self.db, config.mqtt, publishing.context(config), self.clock,
                announce=lambda conn, now: publishing.announce(conn, config, now),
            )
            # A commit by the single writer is sent at once, on the writer's thread (the latency path).
            self.recorder.on_commit.append(self.publisher.kick)
            self.publisher.start()
        self._start_sensors()
        self.housekeeper.start()
        log.info("agent started: %d sensors", len(self.sensors))

    def _start_sensors(self) -> None:
        """Build every sensor the config names; the GPIO ones share one polling thread."""
        from sensors import pins
        from sensors.beams import BeamPair
        from sensors.door import DoorSensor
        from sensors.health import Poller
        from sensors.pir import PirCounter

        sink = self.recorder.submit
        gpio = bool(self.config.doors or self.config.beams or self.config.pir)
        factory = self.pin_factory or pins.make_factory(self.config.hardware.pin_factory)
        if gpio or factory is not None:
            self.pin_factory = pins.install(factory)
        for door in self.config.doors:
            self.sensors.append(DoorSensor(door, sink, self.clock))
        for beam in self.config.beams:
            self.sensors.append(BeamPair(beam, sink, self.clock))
        for pir in self.config.pir:
            self.sensors.append(PirCounter(pir, sink, self.clock))
        polled = [s for s in self.sensors if hasattr(s, "poll")]
        if polled:
            self.poller = Poller(polled)
            self.poller.start()
        if self.config.cardreader.enabled:
            from appliance import fobs
            from sensors.cardreader import CardReader

            secret = fobs.load_secret(fobs.secret_path(self.config.database.path))
            self.cardreader = CardReader(
                self.config.cardreader, sink, self.clock, lambda number: fobs.card_hash(secret, number)
            )
            self.cardreader.start()
            self.sensors.append(self.cardreader)
        if self.config.hardware.simulate:
            from sensors.simulator import Simulator

            self.simulator = Simulator(
                self.config, self.pin_factory, speed=self.simulate_speed, clock=self.clock, card_feed=self.card_feed
            )
            self.simulator.start()

    def healthy(self) -> bool:
        """Every thread of the agent is alive (the systemd watchdog pings only while true)."""
        threads = [self.recorder.is_alive(), self.housekeeper.is_alive()]
        if self.publisher is not None:
            threads.append(self.publisher.is_alive())
        threads += [part.is_alive() for part in (self.poller, self.cardreader) if part is not None]
        return all(threads)

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
