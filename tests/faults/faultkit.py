"""Helpers for the fault suite: role processes, a durable MQTT subscriber, read-only
database looks. (A module of its own so the test files can import it.)"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

ROOT = Path(__file__).resolve().parents[2]


def config_toml(
    db: Path,
    *,
    web_port: int = 8080,
    broker: tuple[str, int] | None = None,
    simulate: bool = False,
    doors: tuple[tuple[str, int], ...] = (),
    beams: tuple[tuple[str, int, int], ...] = (("entrance", 5, 6),),
) -> str:
    """A config file for a role process: mock pins, this database, this broker."""
    lines = ["[site]", 'id = "faults"', "[database]", f'path = "{db}"', "[web]", 'host = "127.0.0.1"',
             f"port = {web_port}", "[mqtt]"]
    if broker:
        lines += [f'host = "{broker[0]}"', f"port = {broker[1]}", 'client_id = "doorstep-faults"']
    else:
        lines += ["enabled = false"]
    lines += ["[hardware]", 'pin_factory = "mock"', f"simulate = {'true' if simulate else 'false'}"]
    for door_id, pin in doors:
        lines += ["[[doors]]", f'id = "{door_id}"', f"pin = {pin}", "debounce_ms = 0"]
    for beam_id, outer, inner in beams:
        lines += ["[[beams]]", f'id = "{beam_id}"', f"outer_pin = {outer}", f"inner_pin = {inner}"]
    return "\n".join(lines) + "\n"


@dataclass
class Proc:
    """A child process with its output drained into memory."""

    args: list[str]
    popen: subprocess.Popen[bytes] | None = None
    lines: deque[str] = field(default_factory=lambda: deque(maxlen=2000))
    _reader: threading.Thread | None = None

    def start(self) -> Proc:
        """Start it in the repository (so ``python -m bench.…`` resolves)."""
        self.popen = subprocess.Popen(self.args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL)
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        return self

    def _drain(self) -> None:
        assert self.popen is not None and self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.append(line.decode("utf-8", errors="replace").rstrip())

    @property
    def pid(self) -> int:
        """Its process id."""
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        """Still running."""
        return self.popen is not None and self.popen.poll() is None

    def output(self) -> str:
        """What it printed so far."""
        return "\n".join(list(self.lines))

    def kill(self) -> None:
        """SIGKILL, as a power cut looks to the process, and reap it."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.kill()
        self._reap()

    def stop(self) -> None:
        """SIGTERM (clean stop), SIGKILL if it hangs, and reap it."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
        self._reap()

    def _reap(self) -> None:
        if self.popen is None:
            return
        self.popen.wait()
        if self._reader:
            self._reader.join(timeout=5)
        if self.popen.stdout:
            self.popen.stdout.close()


def driven_agent(config: Path, mode: str, rate: float, count: int = 10**9) -> Proc:
    """The real Agent in its own process with its mock pins driven (see bench/driven_agent.py)."""
    args = [sys.executable, "-m", "bench.driven_agent", str(config), mode, str(rate)]
    return Proc(args + ([str(count)] if mode == "beams" else []))


def role(name: str, config: Path) -> Proc:
    """``python -m appliance agent|web --config CONFIG`` as a process."""
    return Proc([sys.executable, "-m", "appliance", name, "--config", str(config)])


@contextlib.contextmanager
def started(*procs: Proc) -> Iterator[None]:
    """Start processes and always stop them at the end."""
    try:
        for proc in procs:
            proc.start()
        yield
    finally:
        for proc in reversed(procs):
            proc.stop()


def wait_until(predicate: Callable[[], object], timeout: float, what: str, proc: Proc | None = None) -> None:
    """Poll until ``predicate()`` is true; fail the test naming what never happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc is not None and not proc.alive():
            pytest.fail(f"the process exited while waiting for {what}:\n{proc.output()[-3000:]}")
        time.sleep(0.05)
    tail = f"\n{proc.output()[-3000:]}" if proc is not None else ""
    pytest.fail(f"timed out after {timeout} s waiting for {what}{tail}")


def query(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows from a read-only connection (sees only committed data, like any other reader)."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as conn:
        return [tuple(r) for r in conn.execute(sql, params)]


def scalar(db: Path, sql: str, params: tuple = ()) -> int:
    """One number from the database; 0 when the table does not exist yet."""
    try:
        rows = query(db, sql, params)
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc) or "unable to open" in str(exc):
            return 0
        raise
    return int(rows[0][0]) if rows else 0


def integrity(db: Path) -> str:
    """PRAGMA integrity_check's verdict ('ok' when the file is sound)."""
    with contextlib.closing(sqlite3.connect(str(db), timeout=30)) as conn:
        return "; ".join(str(r[0]) for r in conn.execute("PRAGMA integrity_check"))


@dataclass
class Arrival:
    """One message as the durable subscriber got it."""

    topic: str
    payload: str


class DurableListener:
    """A subscriber with a persistent session (clean_session false, QoS 1), so messages the
    broker accepted while this listener was cut off reach it when it comes back: what it
    misses is then a real loss, not the listener's."""

    def __init__(self, host: str, port: int, topic: str = "#", client_id: str = "faults-listener") -> None:
        self.messages: list[Arrival] = []
        self.lock = threading.Lock()
        self.client = paho.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id,
                                  clean_session=False)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        subscribed = threading.Event()
        self.client.on_connect = lambda c, *a: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.on_message = self._message
        self.client.connect(host, port)
        self.client.loop_start()
        if not subscribed.wait(10):
            self.close()
            pytest.fail(f"the test subscriber could not subscribe on {host}:{port}")

    def _message(self, client, userdata, msg) -> None:  # type: ignore[no-untyped-def]
        with self.lock:
            self.messages.append(Arrival(msg.topic, msg.payload.decode("utf-8", errors="replace")))

    def on(self, topic: str) -> list[str]:
        """Payloads on one topic, in arrival order."""
        with self.lock:
            return [m.payload for m in self.messages if m.topic == topic]

    def event_ids(self, topic: str, kind: str | None = None) -> list[str]:
        """Ids of the JSON events on a topic, in arrival order (duplicates kept)."""
        ids = []
        for payload in self.on(topic):
            with contextlib.suppress(ValueError):
                body = json.loads(payload)
                if kind is None or body.get("kind") == kind:
                    ids.append(str(body["id"]))
        return ids

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


def first_occurrences(ids: list[str]) -> list[str]:
    """The ids in the order each first arrived (at-least-once delivery may repeat some)."""
    seen: set[str] = set()
    order = []
    for i in ids:
        if i not in seen:
            seen.add(i)
            order.append(i)
    return order


# Rows a refused request may legitimately leave: the lockout's record of failed logins.
NOT_STORED_FROM_A_REQUEST = {"login_attempts", "schema_migrations", "sqlite_sequence"}


def fingerprint(db: Path) -> dict[str, str]:
    """A digest of every table's rows, to tell whether a request stored anything."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        digest = {}
        for table in tables:
            if table in NOT_STORED_FROM_A_REQUEST:
                continue
            h = hashlib.sha256()
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                h.update(repr(tuple(row)).encode())
            digest[table] = h.hexdigest()
        return digest


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Tables whose rows differ."""
    return sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))
