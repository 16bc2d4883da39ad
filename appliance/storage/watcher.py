"""Notice database changes made by any process, cheaply: one thread per process reads
``PRAGMA data_version`` on its own connection and wakes everyone waiting.

The web role feeds every server-sent-events client from one watcher, so a hundred
open dashboards cost one tiny query per change, not a hundred.

The thread reads ``data_version`` when a file in the database's folder is written (every
commit writes the WAL file; Linux inotify tells), at most every ``interval``, and every
``idle_interval`` regardless, in case the folder's file system does not report writes.
Polling every 100 ms instead woke an idle web role ten times a second, about 2.7 ms of
CPU a second on the bench machine: 2% of the Pi-sized budget (bench_pi), spent on nothing.
Where inotify is missing it polls every ``interval`` as before.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import inotify_simple

from appliance.core.threads import Worker
from appliance.storage.db import connect

log = logging.getLogger(__name__)

WRITES = inotify_simple.flags.MODIFY | inotify_simple.flags.MOVED_TO | inotify_simple.flags.CREATE


class FolderWrites:
    """A file descriptor that becomes readable when a file in ``folder`` is written, created
    or moved in (Linux inotify, through inotify_simple), with a pipe to wake a waiter early."""

    def __init__(self, folder: str | Path) -> None:
        self._notify = inotify_simple.INotify(nonblocking=True)
        try:
            self._notify.add_watch(folder, WRITES)
        except OSError:
            self._notify.close()
            raise
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)

    def drain(self) -> None:
        """Forget the writes reported so far."""
        self._notify.read(timeout=0)
        with contextlib.suppress(BlockingIOError):
            while os.read(self._wake_r, 4096):
                pass

    def wait(self, timeout: float) -> None:
        """Block until a write is reported, :meth:`wake` is called, or ``timeout`` passes."""
        select.select([self._notify.fileno(), self._wake_r], [], [], timeout)

    def wake(self) -> None:
        """Return from :meth:`wait` now."""
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._wake_w, b"x")

    def close(self) -> None:
        """Release the descriptors."""
        with contextlib.suppress(OSError):
            self._notify.close()
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)


def folder_writes(path: str | Path) -> FolderWrites | None:
    """Write notices for the folder of the database at ``path``, or None where this system
    offers none (not Linux, no inotify, an in-memory database)."""
    if str(path) in ("", ":memory:") or str(path).startswith("file:"):
        return None
    try:
        return FolderWrites(Path(path).resolve().parent)
    except (OSError, AttributeError) as exc:  # AttributeError: a libc without inotify_init1
        log.info("change watcher: polling, no write notices (%s)", exc)
        return None


class ChangeWatcher(Worker):
    """Counts database changes; callers wait for the count to move."""

    def __init__(self, path: str | Path, interval: float = 0.1, idle_interval: float = 1.0) -> None:
        super().__init__("change-watcher", join_seconds=2)
        self.path = path
        self.interval = interval
        self.idle_interval = idle_interval
        self._writes: FolderWrites | None = None
        self.generation = 0
        self._cond = threading.Condition()
        self._listeners: list[Callable[[], None]] = []

    def start(self) -> None:
        """Start watching (idempotent; not after stop())."""
        if not self.stopping:
            super().start()

    def wake(self) -> None:
        """Release every waiter (on stop)."""
        writes = self._writes
        if writes is not None:
            writes.wake()
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
        writes = self._writes = folder_writes(self.path)
        try:
            while not self.stopping:
                if writes is not None:
                    writes.drain()  # before reading: a commit after the read wakes the next wait
                changed = False
                try:
                    if conn is None:
                        conn = connect(self.path)
                    version = conn.execute("PRAGMA data_version").fetchone()[0]
                    changed = last is not None and version != last
                    if changed:
                        self.poke()
                    last = version
                except sqlite3.Error as exc:
                    log.warning("change watcher: %s", exc)
                    conn = None
                if writes is None or changed:
                    self.sleep(self.interval)  # at most one change per interval, however busy the disk
                if writes is not None and not self.stopping:
                    writes.wait(self.idle_interval)
        finally:
            self._writes = None
            if writes is not None:
                writes.close()
            if conn is not None:
                conn.close()
