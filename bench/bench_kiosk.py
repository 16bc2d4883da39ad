"""A kiosk page's median latency with 10 concurrent clients, against the same server's
/healthz under the same load: what the templates, the database reads and i18n cost.

Real waitress on a free port, a real SQLite file with the demo rooms and members.
"""

from __future__ import annotations

import http.client
import statistics
import tempfile
import time

from appliance.storage.db import Database
from bench.harness import Figure, concurrently
from bench.procs import offline_config
from doorstep.broker import free_port
from doorstep.seed import seed_demo

CLIENTS = 10
REQUESTS = 20  # per client, path and round
ROUNDS = 4


def _load(port: int, path: str) -> list[float]:
    """Every client fetches ``path`` REQUESTS times on its own keep-alive connection."""

    def client(_: int) -> list[float]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        cookie = ""  # kept like a browser keeps its session cookie
        try:
            for _ in range(REQUESTS):
                start = time.perf_counter()
                conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
                response = conn.getresponse()
                response.read()
                mine.append(time.perf_counter() - start)
                if response.status != 200:
                    raise RuntimeError(f"{path}: HTTP {response.status}")
                set_cookie = response.getheader("Set-Cookie")
                if set_cookie:
                    cookie = set_cookie.split(";", 1)[0]
        finally:
            conn.close()
        return mine

    return concurrently(client, CLIENTS)


def run() -> list[Figure]:
    """Median latency of /kiosk/ (the goal) and /kiosk/whatson over /healthz, 10 clients at once."""
    from kiosk import create_app
    from kiosk.server import WebServer

    with tempfile.TemporaryDirectory() as tmp:
        config = offline_config(tmp)
        db = Database(config.database.path)
        db.migrate()
        seed_demo(db)
        db.close()
        port = free_port()
        app = create_app(config)
        server = WebServer(app, "127.0.0.1", port, threads=CLIENTS)
        server.start()
        try:
            _load(port, "/kiosk/")  # warm up: templates compiled, catalogs loaded
            figures = []
            for path in ("/kiosk/", "/kiosk/whatson"):
                # Alternate page and floor rounds so both see the same machine load.
                page: list[float] = []
                health: list[float] = []
                for _ in range(ROUNDS):
                    page += _load(port, path)
                    health += _load(port, "/healthz")
                value = statistics.median(page) * 1000
                floor = statistics.median(health) * 1000
                # Home is the page the goal is set on; what's on adds the bookings queries.
                figures.append(Figure(
                    f"kiosk page {path} median latency, {CLIENTS} clients", value, floor, "ms",
                    "<= 3" if path == "/kiosk/" else "-",
                    floor_name="/healthz on the same server, same load",
                ))
            return figures
        finally:
            server.close()
            app.extensions["doorstep"].close()
