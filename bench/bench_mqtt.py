"""Publishing, against bare paho on the same private Mosquitto in the same run.

(a) Latency: a door edge on a MockFactory pin → DoorSensor → the single writer (event
    row, state, outbox rows, one transaction) → the publisher → broker → a subscriber
    in its own process (bench/listen.py); against a bare paho publish of the same kind of
    message (QoS 1, retained, as the door topic is) → the same subscriber. Median and p99;
    goal: median ratio <= 2. Samples of the two alternate, so both see the same machine load.
(b) Drain: 20,000 events queued during an outage, drained by the publisher once the
    broker is reachable (until every one is acknowledged and deleted); against bare
    paho publishing the same 20,000 payloads at QoS 1 with the same in-flight window
    until every PUBACK is in. Goal: rate ratio >= 0.5.
"""

from __future__ import annotations

import dataclasses
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from appliance.core.clock import SystemClock
from appliance.core.config import Config, DatabaseConfig, DoorConfig, HardwareConfig, MqttConfig
from appliance.core.events import DoorClosed, DoorOpened
from appliance.outbox import store
from appliance.outbox.topics import TopicContext
from appliance.publishing.mqtt import Publisher, plain_client
from appliance.sensing.recorder import Recorder
from appliance.storage.db import Database
from bench.harness import Figure
from doorstep.agent import RULES
from doorstep.broker import Mosquitto
from sensors import pins
from sensors.door import DoorSensor

SAMPLES = 400  # the median of a ~1 ms figure moves by a few percent between runs at 200
GAP = 0.08  # between edges: longer than the door's 50 ms debounce, so each edge is reported at once
DRAIN = 20_000


def _client(name: str):  # type: ignore[no-untyped-def]
    return plain_client(name)  # bare paho, not our publisher


class _Subscriber:
    """The subscriber, in its own process (bench/listen.py): when did the next message on
    the awaited topic arrive (perf_counter, comparable across processes)."""

    def __init__(self, broker: Mosquitto, topics: list[str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.listen", broker.host, str(broker.port), *topics],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        self.lines: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if self.lines.get(timeout=20) != "ready":
            raise RuntimeError("the subscriber process did not subscribe")
        self.waiting_for = ""

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.strip())

    def expect(self, topic: str) -> None:
        self.waiting_for = topic

    def wait(self) -> float:
        while True:
            stamp, topic = self.lines.get(timeout=10).split(" ", 1)
            if topic == self.waiting_for:
                return float(stamp)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)
        if self.process.stdout:
            self.process.stdout.close()


def _config(tmp: Path, broker: Mosquitto, name: str) -> Config:
    return Config().with_changes(
        database=DatabaseConfig(path=str(tmp / f"{name}.db")),
        hardware=HardwareConfig(pin_factory="mock"),
        mqtt=dataclasses.replace(MqttConfig(), host=broker.host, port=broker.port, client_id=f"bench-{name}", discovery=False),
        doors=(DoorConfig(id="front", pin=17),),
    )


def _wait(condition, timeout: float = 120) -> None:  # type: ignore[no-untyped-def]
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise RuntimeError("timed out")
        time.sleep(0.001)


def _latency(tmp: Path, broker: Mosquitto) -> tuple[list[float], list[float]]:
    config = _config(tmp, broker, "latency")
    clock = SystemClock()
    db = Database(config.database.path, clock)
    db.migrate()
    ctx = TopicContext.of(config)
    recorder = Recorder(db, config, clock, RULES)
    publisher = Publisher(db, config.mqtt, ctx, clock)
    recorder.sender = publisher
    recorder.start()
    publisher.start()
    factory = pins.make_factory("mock")
    assert factory is not None
    pins.install(factory)
    door_topic = ctx.full("door/front")
    bare_topic = ctx.full("bench/bare")
    subscriber = _Subscriber(broker, [door_topic, bare_topic])
    bare = _client("bench-bare")
    bare.connect(broker.host, broker.port)
    bare.loop_start()
    sensor = DoorSensor(config.doors[0], recorder.submit, clock)
    ours: list[float] = []
    floor: list[float] = []
    try:
        _wait(lambda: publisher.connected and store.depth(db.conn()) == 0)
        pin = factory.pin(17)
        level = True
        for n in range(SAMPLES + 10):
            time.sleep(GAP)
            subscriber.expect(door_topic)
            level = not level
            start = time.perf_counter()
            pin.drive_high() if level else pin.drive_low()
            ours_sample = subscriber.wait() - start
            time.sleep(GAP)
            subscriber.expect(bare_topic)
            start = time.perf_counter()
            bare.publish(bare_topic, "open" if level else "closed", qos=1, retain=True)
            floor_sample = subscriber.wait() - start
            if n >= 10:  # the first few warm caches and connections
                ours.append(ours_sample)
                floor.append(floor_sample)
    finally:
        sensor.close()
        subscriber.close()
        bare.disconnect()
        bare.loop_stop()
        recorder.stop()
        publisher.stop()
        db.close()
        factory.reset()
    return ours, floor


def _drain(tmp: Path, broker: Mosquitto) -> tuple[float, float]:
    config = _config(tmp, broker, "drain")
    clock = SystemClock()
    db = Database(config.database.path, clock)
    db.migrate()
    ctx = TopicContext.of(config)
    recorder = Recorder(db, config, clock, RULES)
    at = clock.now()
    for batch in range(DRAIN // 500):  # the outage: 20,000 door events committed, none sent
        recorder.write([(DoorOpened if n % 2 else DoorClosed)(door=f"d{batch}", at=at) for n in range(500)])
    conn = db.conn()
    conn.execute("DELETE FROM outbox WHERE retain = 1")  # keep exactly the 20,000 events
    rows = store.pending(conn, 0, DRAIN + 1)
    assert len(rows) == DRAIN, len(rows)
    publisher = Publisher(db, config.mqtt, ctx, clock)
    start = time.perf_counter()
    publisher.start()
    try:
        _wait(lambda: publisher.delivered >= DRAIN, timeout=600)
        ours = time.perf_counter() - start
    finally:
        publisher.stop()
    assert store.depth(conn) == 0
    db.close()

    acked = threading.Semaphore(0)
    bare = _client("bench-bare-drain")
    bare.max_inflight_messages_set(config.mqtt.inflight)
    bare.max_queued_messages_set(0)
    bare.on_publish = lambda *args: acked.release()
    start = time.perf_counter()
    bare.connect(broker.host, broker.port)
    bare.loop_start()
    for row in rows:
        bare.publish(row.topic, row.payload, qos=1)
    for _ in rows:
        acked.acquire(timeout=60)
    floor = time.perf_counter() - start
    bare.disconnect()
    bare.loop_stop()
    return DRAIN / ours, DRAIN / floor


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run() -> list[Figure]:
    """Latency (median, p99) and drain rate against bare paho."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        broker = Mosquitto(tmp / "broker")
        broker.start()
        try:
            ours, floor = _latency(tmp, broker)
            rate, floor_rate = _drain(tmp, broker)
        finally:
            broker.stop()
    ms = 1000
    return [
        Figure("door edge → subscriber, median", statistics.median(ours) * ms, statistics.median(floor) * ms, "ms",
               "<= 2", floor_name="bare paho QoS 1 retained publish → subscriber, median"),
        Figure("door edge → subscriber, p99", _p(ours, 0.99) * ms, _p(floor, 0.99) * ms, "ms", "-",
               floor_name="bare paho QoS 1 retained publish → subscriber, p99"),
        Figure(f"outbox drain of {DRAIN:,} events after an outage", rate, floor_rate, "msg/s", ">= 0.5",
               floor_name="bare paho QoS 1, same in-flight window"),
    ]
