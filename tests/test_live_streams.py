"""Live streams never hold the request threads the pages need, and a closed page's stream
ends within seconds whatever the database does (issue 14 item 0, issue 15 item 1).

Against the real web role: the front on its public port, waitress behind it, a real
SQLite file that keeps changing, raw sockets and real Chromium.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import watch_csp
from playwright.sync_api import expect

from appliance.core.clock import iso
from appliance.storage import state
from appliance.storage.db import Database
from bench import procs
from doorstep.broker import free_port


def open_stream(port: int, path: str, source: str = "127.0.0.1") -> socket.socket:
    """A raw SSE request from ``source`` (127.0.0.x stands in for a LAN host); returns the
    socket once the response head and the first frame have arrived."""
    sock = socket.socket()
    sock.bind((source, 0))
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n".encode())
    received = b""
    while b"event:" not in received:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"the stream {path} closed before its first event: {received[:300]!r}")
        received += chunk
    assert received.startswith(b"HTTP/1.1 200"), received[:200]
    return sock


def timed_get(port: int, path: str, timeout: float = 30) -> tuple[int, float]:
    """GET from loopback: status and seconds taken."""
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status, time.monotonic() - started
    finally:
        conn.close()


def live_streams(port: int) -> int:
    """How many live streams the web role holds, from its /healthz."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/healthz")
        return int(json.loads(conn.getresponse().read())["live_streams"])
    finally:
        conn.close()


def timed_sign_in(port: int, name: str, timeout: float = 30) -> tuple[int, float, dict[str, Any]]:
    """POST /api/v1/visits from loopback (the kiosk): status, seconds and body."""
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        body = json.dumps({"name": name, "kind": "visitor"})
        conn.request("POST", "/api/v1/visits", body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
        return response.status, time.monotonic() - started, json.loads(data or b"{}")
    finally:
        conn.close()


@contextlib.contextmanager
def changing(db: Database, every: float = 0.05) -> Iterator[None]:
    """Keep the database changing (as sensor traffic does) until the block ends."""
    stop = threading.Event()

    def churn() -> None:
        conn = db.conn()
        n = 0
        while not stop.wait(every):
            n += 1
            with db.write():
                state.put(conn, "test/churn", {"n": n}, iso(db.clock.now()))

    thread = threading.Thread(target=churn, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)


def test_closed_streams_give_everything_back_while_the_database_changes(live_server: Any, db: Database) -> None:
    port = live_server.port
    with changing(db):
        # More streams than waitress has threads, from the kiosk and the display; then closed.
        streams = [open_stream(port, "/kiosk/live" if i % 2 else "/display/live") for i in range(40)]
        for sock in streams:
            sock.close()
        status, seconds = timed_get(port, "/healthz")
        assert status == 200 and seconds < 1.0, f"/healthz took {seconds:.2f} s after 40 closed streams"
        status, seconds, body = timed_sign_in(port, "Siân Llŷr ap Gwilym")
        assert status == 201 and "id" in body and seconds < 1.0, (status, seconds)
        deadline = time.monotonic() + 5
        while live_streams(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert live_streams(port) == 0, "a closed page's stream is still open 5 s later"


def test_held_streams_do_not_hold_request_threads(live_server: Any, db: Database) -> None:
    port = live_server.port
    held = [open_stream(port, "/live/status") for _ in range(40)]  # the fixture's waitress has 16 threads
    try:
        status, seconds = timed_get(port, "/kiosk/")
        assert status == 200 and seconds < 1.0, (status, seconds)
        assert live_streams(port) == 40
    finally:
        for sock in held:
            sock.close()


def test_a_held_stream_sends_each_change(live_server: Any, db: Database) -> None:
    sock = open_stream(live_server.port, "/kiosk/live")
    try:
        with db.write() as conn:
            state.put(conn, "kiosk/last_fob", {"at": iso(db.clock.now()), "outcome": "signed_in",
                                               "first_name": "Siân"}, iso(db.clock.now()))
        received = b""
        while b"Si\\u00e2n" not in received:
            chunk = sock.recv(65536)
            assert chunk, f"the stream ended before the change arrived: {received!r}"
            received += chunk
    finally:
        sock.close()


@pytest.mark.browser
def test_sixty_kiosk_pages_opened_and_closed_with_the_simulator_running(tmp_path: Path, browser: Any) -> None:
    """Issue 14.0 as a volunteer would meet it: move between the kiosk's screens 60 times
    with the demo's simulated visitors changing the database, then the kiosk still answers."""
    port = free_port()
    demo = procs.Proc([procs.sys.executable, "-m", "doorstep", "demo", "--web-port", str(port),
                       "--db", str(tmp_path / "doorstep.db"), "--speed", "200"])
    with procs.running(demo):
        procs.wait_for(lambda: any(line.startswith("web: ") for line in demo.tail), 120, "the demo's web line", demo)
        base = f"http://127.0.0.1:{port}/"
        context = browser.new_context(viewport={"width": 800, "height": 480}, has_touch=True)
        violations = watch_csp(context)
        try:
            for i in range(60):
                tab = context.new_page()
                tab.goto(base + ("kiosk/" if i % 2 == 0 else "kiosk/signin"), timeout=20_000)
                # the page's live stream is open before the page goes away
                expect(tab.locator("body")).to_have_attribute("data-live-updated", re.compile(r"\d+"), timeout=20_000)
                tab.close()
        finally:
            context.close()
        assert not violations, violations
        status, seconds = timed_get(port, "/healthz")
        assert status == 200 and seconds < 1.0, f"/healthz took {seconds:.2f} s"
        status, seconds, body = timed_sign_in(port, "Siân Llŷr ap Gwilym")
        assert status == 201 and seconds < 1.0, (status, seconds, body)
        assert re.search(r"web: http://", demo.output())


def test_a_head_request_on_a_live_route_is_answered_and_ends(live_server: Any) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", live_server.port, timeout=10)
    try:
        conn.request("HEAD", "/live/status")
        response = conn.getresponse()
        response.read()
        assert response.status == 200 and response.getheader("X-Doorstep-Stream") is None
    finally:
        conn.close()
    assert live_streams(live_server.port) == 0
