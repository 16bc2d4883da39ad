"""What every view needs: the config, the database, the clock and the change watcher."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from flask import current_app

from appliance.clock import Clock
from appliance.config import Config
from appliance.db import Database
from appliance.watcher import ChangeWatcher


@dataclass
class Web:
    """The web role's shared objects, one per app."""

    config: Config
    db: Database
    clock: Clock
    watcher: ChangeWatcher = field(init=False)
    streams: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.watcher = ChangeWatcher(self.config.database.path)

    def stream_opened(self) -> None:
        """A live stream started (it holds a worker thread and a connection)."""
        with self._lock:
            self.streams += 1

    def stream_closed(self) -> None:
        """A live stream ended."""
        with self._lock:
            self.streams -= 1

    def end_streams(self, grace: float = 3.0) -> None:
        """Tell live streams to end (the watcher stops) and give them time to finish."""
        self.watcher.stop()
        deadline = time.monotonic() + grace
        while self.streams > 0 and time.monotonic() < deadline:
            time.sleep(0.02)

    def close(self, grace: float = 3.0) -> None:
        """End live streams, then close connections.

        Closing a connection another thread is using can crash sqlite3, so the
        streams are told to end and given time to do so first.
        """
        self.end_streams(grace)
        self.db.close()


def web() -> Web:
    """The current app's shared objects."""
    return current_app.extensions["doorstep"]  # type: ignore[no-any-return]
