"""Notice database changes made by any process, cheaply: one thread per process reads
``PRAGMA data_version`` on its own connection and wakes everyone waiting.

The web role feeds every server-sent-events client from one watcher, so a hundred
open dashboards cost one tiny query every 100 ms, not a hundred.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from appliance.core.threads import Worker
from appliance.storage.db import connect

log = logging.getLogger(__name__)


class ChangeWatcher(Worker):
    """Counts database changes; callers wait for the count to move."""

    def __init__(self, path: str | Path, interval: float = 0.1) -> None:
        super().__init__("change-watcher", join_seconds=2)
        self.path = path
        self.interval = interval
        self.generation = 0
        self._cond = threading.Condition()
        self._listeners: list[Callable[[], None]] = []

    def start(self) -> None:
        """Start watching (idempotent; not after stop())."""
        if not self.stopping:
            super().start()

    def wake(self) -> None:
        """Release every waiter (on stop)."""
        self.poke()

    @property
    def stopped(self) -> bool:
        """stop() was called: streams waiting on this watcher should end."""
        return self.stopping

    def listen(self, callback: Callable[[], None]) -> None:
        """Also call ``callback`` (on the watcher's thread; keep it quick) after every change."""
        with self._cond:
            self._listeners.append(callback)

    def unlisten(self, callback: Callable[[], None]) -> None:
        """Stop calling ``callback``."""
        with self._cond:
            if callback in self._listeners:
                self._listeners.remove(callback)

    def poke(self) -> None:
        """Wake waiters now (for changes this process knows it made)."""
        with self._cond:
            self.generation += 1
            self._cond.notify_all()
            listeners = list(self._listeners)
        for callback in listeners:
            callback()

    def wait(self, seen: int, timeout: float) -> int:
        """Block until the generation differs from ``seen`` or ``timeout`` passes; return it."""
        with self._cond:
            self._cond.wait_for(lambda: self.generation != seen or self.stopping, timeout)
            return self.generation

    def loop(self) -> None:
        conn: sqlite3.Connection | None = None
        last = None
        while not self.stopping:
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
            self.sleep(self.interval)
        if conn is not None:
            conn.close()
