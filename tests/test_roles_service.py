"""The roles speak systemd's notify protocol: READY once serving, watchdog pings only
while healthy. A real unix datagram socket stands in for systemd."""

from __future__ import annotations

import dataclasses
import socket
import threading
from pathlib import Path

import pytest

from appliance.core.clock import ManualClock
from appliance.core.config import Config
from doorstep import run
from doorstep.agent import Agent
from doorstep.broker import free_port


@pytest.fixture
def notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(10)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.setenv("WATCHDOG_USEC", "400000")  # ping every 0.2 s
    yield sock
    sock.close()


def _messages_until(sock: socket.socket, wanted: str) -> list[str]:
    seen = []
    while True:
        text = sock.recv(4096).decode()
        seen.append(text)
        if wanted in text:
            return seen


def test_web_role_is_ready_only_when_serving(config: Config, notify_socket: socket.socket) -> None:
    cfg = config.with_changes(web=dataclasses.replace(config.web, host="127.0.0.1", port=free_port()))
    stop = threading.Event()
    thread = threading.Thread(target=run.run_web, args=(cfg, stop.wait))
    thread.start()
    try:
        seen = _messages_until(notify_socket, "READY=1")
        assert run.self_check(f"http://127.0.0.1:{cfg.web.port}/")  # it answered before READY
        seen += _messages_until(notify_socket, "WATCHDOG=1")
        assert any("READY=1" in m for m in seen)
    finally:
        stop.set()
        thread.join()


@dataclasses.dataclass
class _Loop:
    """A worker loop as the roles see one: a thread and the time of its last progress."""

    thread: threading.Thread
    last_progress: float

    def is_alive(self) -> bool:
        return self.thread.is_alive()


def test_a_hung_loop_fails_its_check(clock: ManualClock) -> None:
    release = threading.Event()
    hung = threading.Thread(target=release.wait)  # alive, but never comes round again
    hung.start()
    loop = _Loop(hung, clock.monotonic())
    check = run.progress_check("publisher", loop, clock.monotonic, 60)
    try:
        assert check()
        clock.advance(61)
        assert not check()
        loop.last_progress = clock.monotonic()  # it came round again
        assert check()
    finally:
        release.set()
        hung.join()
    assert not check()  # a dead thread is never healthy


def test_agent_checks_pass_while_running_and_fail_once_stopped(config: Config, clock: ManualClock) -> None:
    agent = Agent(config, clock=clock)
    agent.start()
    try:
        checks = run.agent_checks(agent)
        assert {c.__name__ for c in checks} >= {"recorder", "housekeeping", "sensors"}
        assert all(check() for check in checks)
    finally:
        agent.stop()
    assert not all(check() for check in run.agent_checks(agent))
