"""Serving the app: the front (kiosk/front.py) on the public ports, waitress behind it on
a private Unix socket, in a way the CLI, the demo and tests can stop."""

from __future__ import annotations

import logging
import shutil
import ssl
import tempfile
import threading
from pathlib import Path
from typing import Any

from flask import Flask
from waitress import wasyncore
from waitress.server import create_server

from kiosk.context import Web
from kiosk.front import Front, listening_socket
from kiosk.gate import Limits
from kiosk.upstream import behind_front

log = logging.getLogger(__name__)


class WebServer:
    """The web role's server: :meth:`start` it, then :meth:`close` it.

    ``https_port`` (0: none) with ``tls`` serves the same app over HTTPS as well; the
    listening sockets are bound here, so a taken port raises OSError at once.
    """

    def __init__(self, app: Flask, host: str, port: int, threads: int = 8, https_port: int = 0,
                 tls: ssl.SSLContext | None = None) -> None:
        self.app = app
        web: Web = app.extensions["doorstep"]
        self.host = host
        self._folder = Path(tempfile.mkdtemp(prefix="doorstep-web-"))  # 0700: only this user reaches it
        socket_path = str(self._folder / "waitress.sock")
        listeners: list[tuple[Any, ssl.SSLContext | None]] = [(listening_socket(host, port), None)]
        try:
            if https_port and tls is not None:
                listeners.append((listening_socket(host, https_port), tls))
            self.server: Any = create_server(
                behind_front(app), unix_socket=socket_path, unix_socket_perms="600", threads=threads,
                channel_timeout=60, connection_limit=threads * 4, ident="doorstep",
            )
        except BaseException:
            for sock, _ in listeners:
                sock.close()
            shutil.rmtree(self._folder, ignore_errors=True)
            raise
        cfg = web.config.web
        limits = Limits(streams_per_address=cfg.streams_per_address,
                        connections_per_address=cfg.connections_per_address, lan_connections=cfg.lan_connections)
        self.front = Front(app, web, socket_path, listeners, limits, cfg.trusted_proxies, threads)
        self.port = int(listeners[0][0].getsockname()[1])
        self.https_port = int(listeners[1][0].getsockname()[1]) if len(listeners) > 1 else 0
        web.https_port = self.https_port  # the dashboard sends LAN browsers there
        web.live_streams = self.front.hub.count  # /healthz reports them
        web.screen_seconds = self.front.hub.screen_seconds
        web.uptime = self.front.hub.uptime
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Where the server answers."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> None:
        """Serve on background threads: waitress's loop and the front's."""
        self._thread = threading.Thread(target=self.server.run, name="waitress", daemon=True)
        self._thread.start()
        self.front.start()

    def is_alive(self) -> bool:
        """Both serving threads are running."""
        return bool(self._thread and self._thread.is_alive()) and self.front.is_alive()

    def close(self) -> None:
        """Stop serving: the front first (every connection and live stream ends), then
        waitress (its workers stopped, then its sockets closed from its own loop thread),
        then the database.

        waitress's server.close() only closes the listening socket; open channels keep its
        loop running, and closing them from another thread makes its poll() fail with "Bad
        file descriptor". So the close runs as a thunk on the loop thread, after which the
        loop has nothing left and returns.
        """
        self.front.close()
        # The workers stop first: one still finishing a response wakes the loop through the
        # trigger's pipe, and once the loop has closed that pipe the write fails with "Bad
        # file descriptor". With the front closed no new request reaches them.
        self.server.task_dispatcher.shutdown(timeout=5)
        if self._thread is not None and self._thread.is_alive():
            self._on_loop(lambda: wasyncore.close_all(self.server._map))
            self._thread.join(timeout=5)
        else:
            wasyncore.close_all(self.server._map)
        web: Web | None = self.app.extensions.get("doorstep")
        if web is not None:
            web.close()
        shutil.rmtree(self._folder, ignore_errors=True)

    def _on_loop(self, thunk: Any) -> None:
        """Run ``thunk`` on waitress's loop thread.

        waitress's own pull_trigger queues the thunk under the trigger's lock but writes the
        wake-up byte after letting go of it. A worker finishing a response can wake the
        loop in between; the loop then runs our thunk, which closes the trigger's pipe, and
        our write fails with "Bad file descriptor" (or lands in whatever file took the
        number). Holding the lock across both steps keeps the loop from running the thunk
        until the byte is written (the loop takes the same lock to run thunks).
        """
        trigger = self.server.trigger
        with trigger.lock:
            trigger.thunks.append(thunk)
            trigger._physical_pull()
