"""Serving the app with waitress, in a way the CLI, the demo and tests can stop."""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Flask
from waitress import wasyncore
from waitress.server import create_server

log = logging.getLogger(__name__)


class WebServer:
    """A waitress server on its own thread (or the caller's, with :meth:`run`)."""

    def __init__(self, app: Flask, host: str, port: int, threads: int = 24) -> None:
        self.app = app
        # channel_timeout bounds how long a vanished SSE client holds a thread.
        self.server: Any = create_server(
            app, host=host, port=port, threads=threads, channel_timeout=60, ident="doorstep"
        )
        self.host = host
        self.port = int(self.server.effective_port)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Where the server answers."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}/"

    def run(self) -> None:
        """Serve on this thread until :meth:`close`."""
        self.server.run()

    def start(self) -> None:
        """Serve on a background thread."""
        self._thread = threading.Thread(target=self.run, name="waitress", daemon=True)
        self._thread.start()

    def is_alive(self) -> bool:
        """The serving thread is running."""
        return bool(self._thread and self._thread.is_alive())

    def close(self) -> None:
        """Stop serving: end live streams, close every socket from the loop's own thread,
        stop the worker threads, then close the database.

        waitress's server.close() only closes the listening socket; open client
        channels keep its loop running, and closing them from another thread makes
        its poll() fail with "Bad file descriptor". So the close runs as a thunk on the
        loop thread, after which the loop has nothing left and returns.
        """
        web = self.app.extensions.get("doorstep")
        if web is not None:
            web.end_streams()
        if self._thread is not None and self._thread.is_alive():
            self.server.trigger.pull_trigger(lambda: wasyncore.close_all(self.server._map))
            self._thread.join(timeout=5)
        else:
            wasyncore.close_all(self.server._map)
        self.server.task_dispatcher.shutdown(timeout=5)
        if web is not None:
            web.close()
