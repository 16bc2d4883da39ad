"""How fast the agent's single writer records door events, against a bare SQLite insert
loop with the same settings (one transaction per event)."""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.core.events import DoorClosed, DoorOpened
from appliance.sensing.recorder import Recorder
from appliance.storage.db import Database, connect, transaction
from bench.harness import Figure
from doorstep.agent import RULES

N = 2000


def _floor(path: Path) -> float:
    conn = connect(path)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, at TEXT, data TEXT)")
    start = time.perf_counter()
    for i in range(N):
        with transaction(conn):
            conn.execute("INSERT INTO t (at, data) VALUES (?, ?)", ("2026-01-01T00:00:00Z", str(i)))
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed / N


def _writer(path: Path) -> float:
    clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    db = Database(path, clock)
    db.migrate()
    recorder = Recorder(db, Config(), clock, RULES)
    start = time.perf_counter()
    for i in range(N):
        cls = DoorOpened if i % 2 else DoorClosed
        recorder.write([cls(door="front", at=clock.advance(1))])
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed / N


def run() -> list[Figure]:
    """One figure: seconds per recorded door event over seconds per bare insert."""
    with tempfile.TemporaryDirectory() as tmp:
        floor = _floor(Path(tmp) / "floor.db")
        value = _writer(Path(tmp) / "writer.db")
    return [
        Figure(
            "door event recorded (event row + state + 2 outbox rows, one transaction)",
            value * 1e6, floor * 1e6, "µs", "-", floor_name="bare one-row insert transaction",
        )
    ]
