"""Footfall burst: 500 beam passes a second for 20 s through the real agent.

The agent runs in its own process (``bench.driven_agent ... beams``: the real Agent with
a MockFactory whose outer/inner beam pins are driven in walking order, alternately IN
and OUT), publishing to a private Mosquitto. This process subscribes to the event stream
and, once the driving stops, waits until every pass is in the database and on the broker.

Figures: the sustainable rate (passes recorded *and* delivered per second, from the first
edge to the last delivery) against the rate the pins were actually driven at, measured
in the same run (goal: keeps up, >= 0.95); and passes lost in the database and on the
broker against the passes driven (goal: none).

Parameters: BENCH_BURST_RATE (default 500 a second), BENCH_BURST_SECONDS (default 20).
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

from appliance.publishing.mqtt import plain_client
from bench.harness import CACHE, Figure
from bench.procs import config_toml, driven_agent, env_float, running, wait_for
from doorstep.broker import Mosquitto, free_port

DRAIN_TIMEOUT = 180.0


class EventCounter:
    """A subscriber on the events stream recording the ids of passes and when the last came."""

    def __init__(self, host: str, port: int, topic: str) -> None:
        self.ids: set[str] = set()
        self.last_at = 0.0
        self.lock = threading.Lock()
        self.client = plain_client("bench-burst-listener")
        self.client.max_queued_messages_set(0)
        subscribed = threading.Event()
        self.client.on_connect = lambda c, *a: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.on_message = self._message
        self.client.connect(host, port)
        self.client.loop_start()
        if not subscribed.wait(10):
            self.close()
            raise RuntimeError("the benchmark's subscriber could not subscribe")

    def _message(self, client, userdata, msg) -> None:  # type: ignore[no-untyped-def]
        with contextlib.suppress(ValueError):
            body = json.loads(msg.payload)
            if body.get("kind") == "passed":
                with self.lock:
                    self.ids.add(str(body["id"]))
                    self.last_at = time.monotonic()

    def count(self) -> int:
        """Distinct passes seen."""
        with self.lock:
            return len(self.ids)

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


def _passes_in_db(db: Path) -> int:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)) as conn:
            return int(conn.execute("SELECT count(*) FROM sensor_events WHERE kind = 'passed'").fetchone()[0])
    except sqlite3.Error:
        return 0


def _broker_ok(db: Path) -> bool:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)) as conn:
            row = conn.execute("SELECT status FROM health WHERE component = 'broker'").fetchone()
        return bool(row and row[0] == "ok")
    except sqlite3.Error:
        return False


def _burst(rate: float, seconds: float) -> dict[str, float]:
    """Drive ``rate`` passes a second for ``seconds`` through a fresh agent; count what arrived."""
    count = int(rate * seconds)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        directory = Path(tmp)
        broker = Mosquitto(directory / "broker")
        broker.start()
        counter: EventCounter | None = None
        try:
            db = directory / "doorstep.db"
            config = directory / "config.toml"
            config.write_text(
                config_toml(db, web_port=free_port(), broker=(broker.host, broker.port), doors=(),
                            beams=(("entrance", 5, 6),)),
                encoding="utf-8",
            )
            counter = EventCounter(broker.host, broker.port, "doorstep/bench/events")
            agent = driven_agent(config, "beams", rate, count)
            with running(agent):
                wait_for(lambda: "driving" in agent.output(), 60, "the agent to start", agent)
                started = time.monotonic()
                wait_for(lambda: "driven " in agent.output(), seconds * 20 + 60, "the driver to finish", agent)
                match = re.search(r"driven (\d+) in ([\d.]+) s", agent.output())
                driven, drive_seconds = (int(match[1]), float(match[2])) if match else (count, seconds)
                wait_for(lambda: _broker_ok(db), 30, "the agent's broker link", agent)
                deadline = time.monotonic() + DRAIN_TIMEOUT
                while time.monotonic() < deadline and not (
                    _passes_in_db(db) >= driven and counter.count() >= driven
                ):
                    time.sleep(0.2)
                in_db, on_broker = _passes_in_db(db), counter.count()
                last = max(counter.last_at, started)
        finally:
            if counter is not None:
                counter.close()
            broker.stop()
    elapsed = max(last - started, drive_seconds)
    return {
        "driven": driven,
        "drive_seconds": drive_seconds,
        "offered": driven / drive_seconds if drive_seconds else float("nan"),
        "lag": elapsed - drive_seconds,
        "in_db": in_db,
        "on_broker": on_broker,
        "sustained": min(in_db, on_broker) / elapsed if elapsed else float("nan"),
    }


def run() -> list[Figure]:
    """The burst at 500/s, then a short overload to find the ceiling; report both."""
    rate = env_float("BENCH_BURST_RATE", 500)
    seconds = env_float("BENCH_BURST_SECONDS", 20)
    CACHE.mkdir(parents=True, exist_ok=True)
    b = _burst(rate, seconds)
    note = (f"{b['driven']:.0f} passes driven in {b['drive_seconds']:.1f} s; the last was delivered "
            f"{b['lag']:.1f} s after the driving stopped; {b['in_db']:.0f} in the database, "
            f"{b['on_broker']:.0f} on the broker")
    figures = [
        Figure("footfall burst: passes recorded and delivered per second", b["sustained"], b["offered"], "/s",
               ">= 0.95", floor_name=f"rate the beam pins were driven at (asked {rate:.0f}/s)", note=note),
        Figure("footfall burst: passes missing from the database", b["driven"] - b["in_db"], b["driven"], "passes",
               "<= 0", floor_name="passes driven"),
        Figure("footfall burst: passes missing on the broker", b["driven"] - b["on_broker"], b["driven"], "passes",
               "<= 0", floor_name="passes driven"),
    ]
    # Overload: offer far more than the agent can take for a few seconds; what comes out
    # per second, end to end, is the sustainable rate on this machine.
    peak_rate = env_float("BENCH_BURST_PEAK_RATE", 5000)
    p = _burst(peak_rate, env_float("BENCH_BURST_PEAK_SECONDS", 4))
    figures.append(
        Figure("footfall overload: sustainable rate, recorded and delivered", p["sustained"], rate, "/s", ">= 1",
               floor_name="the burst rate asked for",
               note=(f"driven at {p['offered']:.0f}/s for {p['drive_seconds']:.1f} s; {p['in_db']:.0f} of "
                     f"{p['driven']:.0f} in the database, {p['on_broker']:.0f} on the broker; drained "
                     f"{p['lag']:.1f} s after"))
    )
    return figures
