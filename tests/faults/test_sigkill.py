"""The agent killed with SIGKILL at random moments, 20 times over one database: after
every kill the file passes ``PRAGMA integrity_check``, every event a reader had seen
committed before the kill is still there, and in the end every one reaches the broker."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from faultkit import config_toml, integrity, query, scalar, wait_until

from bench.procs import Proc, doorstep, driven_agent, running

pytestmark = pytest.mark.faults

ROUNDS = 20
EVENTS = "doorstep/faults/events"


class CommittedWatcher:
    """Reads the committed pass ids over and over from its own connection (a reader sees
    only committed transactions), so at the moment of a kill we know what was committed."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.seen: set[str] = set()
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                ids = {r[0] for r in query(self.db, "SELECT id FROM sensor_events")}
            except sqlite3.Error:  # the file may not exist yet, or be mid-creation
                ids = set()
            with self.lock:
                self.seen |= ids
            time.sleep(0.02)

    def snapshot(self) -> set[str]:
        """Every id seen committed so far."""
        with self.lock:
            return set(self.seen)

    def stop(self) -> None:
        """Stop reading."""
        self._stop.set()
        self._thread.join(timeout=5)


def test_agent_killed_at_random_moments_keeps_the_database_sound_and_loses_nothing(
    tmp_path: Path, broker, durable_listener  # type: ignore[no-untyped-def]
) -> None:
    db = tmp_path / "doorstep.db"
    config = tmp_path / "config.toml"
    # simulate = true: the simulator runs too, as in the demo; the driver adds a steady walk
    config.write_text(config_toml(db, broker=(broker.host, broker.port), simulate=True, doors=(("front", 17),)),
                      encoding="utf-8")
    rng = random.Random(9)
    watcher = CommittedWatcher(db)
    kills_with_events_in_flight = 0
    try:
        for round_number in range(ROUNDS):
            agent = driven_agent(config, "beams", rate=200)
            agent.start()
            # a random moment: during start-up and migration, or mid-stream
            time.sleep(rng.uniform(0.3, 3.0))
            before_kill = watcher.snapshot()
            agent.kill()
            assert agent.popen is not None and agent.popen.returncode == -9
            verdict = integrity(db) if db.exists() else "ok"
            assert verdict == "ok", f"round {round_number}: integrity_check says {verdict}"
            present = {r[0] for r in query(db, "SELECT id FROM sensor_events")} if db.exists() else set()
            lost = before_kill - present
            assert not lost, f"round {round_number}: {len(lost)} committed events vanished after SIGKILL"
            kills_with_events_in_flight += "driving" in agent.output()
    finally:
        watcher.stop()
    assert kills_with_events_in_flight >= ROUNDS // 2, "too few kills landed while events were flowing"

    committed = {r[0] for r in query(db, "SELECT id FROM sensor_events WHERE kind = 'passed'")}
    assert committed, "no pass was ever committed: the kills all came too early to test anything"
    # the agent started normally delivers everything still in the outbox
    final: Proc = doorstep("agent", config)
    with running(final):
        wait_until(lambda: scalar(db, "SELECT count(*) FROM outbox WHERE topic = ?", (EVENTS,)) == 0, 120,
                   "the outbox to drain after the last kill", final)
        wait_until(lambda: committed <= set(durable_listener.event_ids(EVENTS, "passed")), 60,
                   "every committed pass on the broker", final)
    assert integrity(db) == "ok"
