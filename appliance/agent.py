"""The agent role: sensors, the single writer, the publisher and housekeeping.

It holds GPIO, serial and the broker credentials, and no web server.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from appliance.clock import Clock, SystemClock
from appliance.config import Config
from appliance.db import Database
from appliance.housekeeping import Housekeeper
from appliance.recorder import Recorder
from appliance.topics import TopicContext

log = logging.getLogger(__name__)


def topic_context(config: Config) -> TopicContext:
    """The topic prefix, site id and discovery prefix from config."""
    from appliance.publishing import context

    return context(config)


@dataclass
class Agent:
    """Everything the agent role runs, wired together."""

    config: Config
    clock: Clock = field(default_factory=SystemClock)
    pin_factory: Any = None  # a gpiozero Factory; None: from config
    simulate_speed: float = 1.0
    db: Database = field(init=False)
    recorder: Recorder = field(init=False)
    sensors: list[Any] = field(default_factory=list, init=False)
    publisher: Any = field(default=None, init=False)
    simulator: Any = field(default=None, init=False)
    housekeeper: Housekeeper = field(init=False)
    _stopped: threading.Event = field(default_factory=threading.Event, init=False)

    def __post_init__(self) -> None:
        self.db = Database(self.config.database.path, self.clock)
        self.db.migrate()
        self.recorder = Recorder(self.db, topic_context(self.config), self.config.site.zone, self.clock)
        self.housekeeper = Housekeeper(self.db, self.config, self.clock)

    def start(self) -> None:
        """Start the writer, the publisher, the sensors and housekeeping."""
        from sensors import pins
        from sensors.door import DoorSensor

        self.recorder.start()
        if self.config.mqtt.enabled:
            from appliance import publishing
            from appliance.mqtt import Publisher

            config = self.config
            # The derived topics (rooms, visits, status, discovery) as they are now, before connecting.
            with self.db.write() as conn:
                publishing.refresh(conn, config, self.clock.now())
            self.publisher = Publisher(
                self.db, config.mqtt, topic_context(config), self.clock,
                announce=lambda conn, now: publishing.announce(conn, config, now),
            )
            # A commit by the single writer wakes the publisher at once (the latency path).
            self.recorder.on_commit.append(self.publisher.wake.set)
            self.publisher.start()
        factory = self.pin_factory or pins.make_factory(self.config.hardware.pin_factory)
        self.pin_factory = pins.install(factory) if (self.config.doors or factory) else factory
        for door in self.config.doors:
            self.sensors.append(DoorSensor(door, self.recorder.submit, self.clock))
        if self.config.hardware.simulate:
            from sensors.simulator import Simulator

            self.simulator = Simulator(self.config, self.pin_factory, speed=self.simulate_speed)
            self.simulator.start()
        self.housekeeper.start()
        log.info("agent started: %d sensors", len(self.sensors))

    def healthy(self) -> bool:
        """Every thread of the agent is alive (the systemd watchdog pings only while true)."""
        threads = [self.recorder.is_alive(), self.housekeeper.is_alive()]
        if self.publisher is not None:
            threads.append(self.publisher.is_alive())
        return all(threads)

    def stop(self) -> None:
        """Stop everything, writing what is queued first."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        if self.simulator is not None:
            self.simulator.stop()
        for sensor in self.sensors:
            sensor.close()
        self.housekeeper.stop()
        self.recorder.stop()
        if self.publisher is not None:
            self.publisher.stop()
        self.db.close()
