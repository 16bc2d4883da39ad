"""Notice database changes made by any process, cheaply: one thread per process reads
``PRAGMA data_version`` on its own connection and wakes everyone waiting.

The web role feeds every server-sent-events client from one watcher, so a hundred
open dashboards cost one tiny query every 100 ms, not a hundred.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

from appliance.db import connect

log = logging.getLogger(__name__)


class ChangeWatcher:
    """Counts database changes; callers wait for the count to move."""

    def __init__(self, path: str | Path, interval: float = 0.1) -> None:
        self.path = path
        self.interval = interval
        self.generation = 0
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start watching (idempotent; not after stop())."""
        if self._stop.is_set() or (self._thread and self._thread.is_alive()):
            return
        self._thread = threading.Thread(target=self._run, name="change-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching and release every waiter."""
        self._stop.set()
        self.poke()
        if self._thread:
            self._thread.join(timeout=2)

    @property
    def stopped(self) -> bool:
        """stop() was called: streams waiting on this watcher should end."""
        return self._stop.is_set()

    def is_alive(self) -> bool:
        """The watcher thread is running."""
        return bool(self._thread and self._thread.is_alive())

    def poke(self) -> None:
        """Wake waiters now (for changes this process knows it made)."""
        with self._cond:
            self.generation += 1
            self._cond.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """Block until the generation differs from ``seen`` or ``timeout`` passes; return it."""
        with self._cond:
            self._cond.wait_for(lambda: self.generation != seen or self._stop.is_set(), timeout)
            return self.generation

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        last = None
        while not self._stop.is_set():
            try:
                if conn is None:
                    conn = connect(self.path)
                version = conn.execute("PRAGMA data_version").fetchone()[0]
                if last is not None and version != last:
                    self.poke()
                last = version
            except sqlite3.Error as exc:
                log.warning("change watcher: %s", exc)
                conn = None
            self._stop.wait(self.interval)
        if conn is not None:
            conn.close()
