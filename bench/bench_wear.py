"""SD card wear: bytes written to storage per event at a steady 1 event per second, from
/proc/PID/io ``write_bytes`` of each role as a real process.

Phase 1: the agent (``bench.driven_agent``: the real Agent, its door contact flipped
once a second) records sensor events and publishes them to a private Mosquitto, while
the web role serves one live status stream (as the hall display does).
Phase 2 (when the web role has ``POST /api/v1/visits``): one sign-in a second through
the web role, the agent publishing the counts.

The floor, measured in the same run, is a bare Python process committing one small row
a second to its own SQLite file with the same settings (WAL, synchronous=NORMAL): the
least any durable SQLite log of events can write. The logs of every process go to a
pipe, so they are not counted (on a Pi they go to journald).

Duration of each phase: BENCH_WEAR_SECONDS (default 90, so about 3 minutes in all).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import sqlite3
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.harness import CACHE, Figure
from bench.procs import (
    Proc,
    config_toml,
    doorstep,
    driven_agent,
    env_float,
    running,
    wait_for,
    wait_port,
    write_bytes,
)
from doorstep.broker import Mosquitto, free_port

RATE = 1.0  # events per second

FLOOR_SCRIPT = """
import sys, time
from appliance.storage.db import connect, transaction
conn = connect(sys.argv[1])
conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, at TEXT, kind TEXT, data TEXT)")
print("ready", flush=True)
rate = float(sys.argv[2])
next_at = time.monotonic() + 1 / rate
while True:
    time.sleep(max(0.0, next_at - time.monotonic()))
    next_at += 1 / rate
    with transaction(conn):
        conn.execute("INSERT INTO t (at, kind, data) VALUES (?, ?, ?)",
                     ("2026-03-02T09:00:00.000Z", "door_opened", '{"door": "front"}'))
"""


def _count(db: Path, sql: str) -> int:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)) as conn:
            return int(conn.execute(sql).fetchone()[0])
    except sqlite3.Error:
        return -1


class LiveClient:
    """One SSE client on a live page's stream (/live/status by default), as the hall display
    holds one open all day."""

    def __init__(self, port: int, path: str = "/live/status") -> None:
        self.port = port
        self.path = path
        self.frames = 0
        self._stop = threading.Event()
        self._conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        """Open the stream on a thread."""
        self._thread.start()

    def _run(self) -> None:
        conn = self._conn
        try:
            conn.request("GET", self.path, headers={"Accept": "text/event-stream"})
            response = conn.getresponse()
            while not self._stop.is_set():
                line = response.readline()  # a heartbeat comes every 15 s, within the timeout
                if not line:
                    break
                if line.startswith(b"event:"):
                    self.frames += 1
        except (OSError, http.client.HTTPException):
            pass  # closed by stop()

    def stop(self) -> None:
        """Close the stream."""
        self._stop.set()
        if self._conn.sock is not None:
            with contextlib.suppress(OSError):
                self._conn.sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=3)
        self._conn.close()


def _broker_ok(db: Path) -> bool:
    return _count(db, "SELECT count(*) FROM health WHERE component = 'broker' AND status = 'ok'") == 1


def _has_visits_api(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=10) as r:
            return "post" in json.load(r).get("paths", {}).get("/visits", {})
    except (OSError, ValueError):
        return False


def _sign_in(port: int, i: int) -> bool:
    body = json.dumps({"name": f"Wear Visitor {i}", "kind": "visitor"}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/visits", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status == 201
    except (urllib.error.URLError, OSError):
        return False


def _snapshot(procs: dict[str, Proc]) -> dict[str, int]:
    return {name: write_bytes(p.pid) for name, p in procs.items()}


def run() -> list[Figure]:
    """Bytes written per event for agent and web (and per sign-in), against a bare SQLite row."""
    seconds = env_float("BENCH_WEAR_SECONDS", 90)
    CACHE.mkdir(parents=True, exist_ok=True)
    figures: list[Figure] = []
    # on the machine's disk, not a tmpfs: write_bytes counts only what is bound for storage
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        directory = Path(tmp)
        broker = Mosquitto(directory / "broker")
        broker.start()
        db, floor_db = directory / "doorstep.db", directory / "floor.db"
        port = free_port()
        config = directory / "config.toml"
        config.write_text(config_toml(db, web_port=port, broker=(broker.host, broker.port)), encoding="utf-8")
        agent = driven_agent(config, "door", RATE)
        web = doorstep("web", config)
        floor = Proc([sys.executable, "-c", FLOOR_SCRIPT, str(floor_db), str(RATE)])
        procs = {"agent": agent, "web": web, "floor": floor}
        try:
            with running(agent, web, floor):
                wait_port(port, web)
                wait_for(lambda: _broker_ok(db), 60, "the agent to connect to the broker", agent)
                wait_for(lambda: "ready" in floor.output(), 30, "the floor process", floor)
                live = LiveClient(port)
                live.start()
                time.sleep(5)  # past start-up writes (migrations, first state)
                events = "SELECT count(*) FROM sensor_events"
                before, e0, f0 = _snapshot(procs), _count(db, events), _count(floor_db, "SELECT count(*) FROM t")
                time.sleep(seconds)
                after, e1, f1 = _snapshot(procs), _count(db, events), _count(floor_db, "SELECT count(*) FROM t")
                live.stop()
                n, nf = max(e1 - e0, 1), max(f1 - f0, 1)
                floor_per = (after["floor"] - before["floor"]) / nf
                agent_per = (after["agent"] - before["agent"]) / n
                web_per = (after["web"] - before["web"]) / n
                note = f"{n} door events in {seconds:.0f} s; the display stream got {live.frames} updates"
                figures += [
                    Figure("disk writes per sensor event, agent", agent_per, floor_per, "B", "-",
                           floor_name="bare SQLite one-row commit, same settings", note=note),
                    Figure("disk writes per sensor event, web (serving one live display)", web_per, floor_per, "B",
                           "-", floor_name="bare SQLite one-row commit, same settings"),
                ]
                if not _has_visits_api(port):
                    figures.append(Figure.unavailable(
                        "disk writes per sign-in (web + agent)", "the web role has no POST /api/v1/visits yet"))
                    return figures
                # phase 2: the door stays busy too (the agent keeps flipping it), so the sign-in
                # figure is what the sign-ins add on top of phase 1's per-second cost
                before, f0 = _snapshot(procs), _count(floor_db, "SELECT count(*) FROM t")
                e0 = _count(db, events)
                ok = 0
                start = time.monotonic()
                i = 0
                while time.monotonic() - start < seconds:
                    i += 1
                    ok += _sign_in(port, i)
                    time.sleep(max(0.0, start + i / RATE - time.monotonic()))
                after, f1 = _snapshot(procs), _count(floor_db, "SELECT count(*) FROM t")
                e1 = _count(db, events)
                nf = max(f1 - f0, 1)
                floor_per = (after["floor"] - before["floor"]) / nf
                both = sum(after[r] - before[r] for r in ("agent", "web"))
                door_cost = (agent_per + web_per) * (e1 - e0)
                figures.append(
                    Figure("disk writes per sign-in, web + agent", max(both - door_cost, 0) / max(ok, 1), floor_per,
                           "B", "-", floor_name="bare SQLite one-row commit, same settings",
                           note=f"{ok} sign-ins (201) in {seconds:.0f} s, door events' share subtracted")
                )
        finally:
            broker.stop()
    return figures
