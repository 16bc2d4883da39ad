"""doorstep.notify against a real unix datagram socket standing in for systemd."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from doorstep import notify

# A safety net so a broken test fails instead of hanging CI; never reached
# when the code works, and not a measure of speed.
RECV_GIVE_UP = 60.0


class FakeSystemd:
    """A bound AF_UNIX datagram socket, read the way systemd reads NOTIFY_SOCKET."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def receive(self) -> list[str]:
        """The next datagram as its list of KEY=VALUE lines."""
        data = self.sock.recv(4096)
        return data.decode("utf-8").split("\n")

    def pending(self) -> list[list[str]]:
        """Every datagram already queued, without waiting."""
        messages = []
        self.sock.setblocking(False)
        try:
            while True:
                messages.append(self.sock.recv(4096).decode("utf-8").split("\n"))
        except BlockingIOError:
            pass
        finally:
            self.sock.setblocking(True)
            self.sock.settimeout(RECV_GIVE_UP)
        return messages


@pytest.fixture
def systemd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSystemd]:
    """A notify socket on a path, exported as NOTIFY_SOCKET."""
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(RECV_GIVE_UP)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    yield FakeSystemd(sock)
    sock.close()


@pytest.fixture
def no_systemd(monkeypatch: pytest.MonkeyPatch) -> None:
    """No NOTIFY_SOCKET, as under `doorstep demo` or a plain shell."""
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_ready_with_status(systemd: FakeSystemd) -> None:
    assert notify.notify_ready("serving on :8080") is True
    assert systemd.receive() == ["READY=1", "STATUS=serving on :8080"]


def test_status_is_kept_on_one_line(systemd: FakeSystemd) -> None:
    assert notify.notify_status("broker down\nretrying") is True
    assert systemd.receive() == ["STATUS=broker down retrying"]


def test_stopping_watchdog_and_extend_timeout(systemd: FakeSystemd) -> None:
    notify.notify_stopping()
    notify.notify_watchdog()
    notify.notify_extend_timeout(2.5)
    assert systemd.receive() == ["STOPPING=1"]
    assert systemd.receive() == ["WATCHDOG=1"]
    assert systemd.receive() == ["EXTEND_TIMEOUT_USEC=2500000"]


def test_abstract_namespace_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"doorstep-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(RECV_GIVE_UP)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert notify.notify_ready() is True
        assert sock.recv(4096) == b"READY=1"


def test_everything_is_a_no_op_without_notify_socket(no_systemd: None) -> None:
    assert notify.notify_ready("x") is False
    assert notify.notify_status("x") is False
    assert notify.notify_watchdog() is False
    watchdog = notify.Watchdog([lambda: True], interval=0.01)
    assert watchdog.start() is False
    assert not watchdog.is_running()
    watchdog.stop()


def test_a_vanished_socket_is_reported_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "gone"))
    assert notify.notify_ready() is False
    assert "could not notify systemd" in caplog.text


def test_watchdog_timeout_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    assert notify.watchdog_timeout() == 30.0
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert notify.watchdog_timeout() == 30.0
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid() + 1))
    assert notify.watchdog_timeout() is None
    monkeypatch.delenv("WATCHDOG_USEC")
    assert notify.watchdog_timeout() is None


def test_interval_defaults_to_half_the_watchdog_timeout(
    systemd: FakeSystemd, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "20000000")
    assert notify.Watchdog([]).interval == 10.0


def test_no_interval_and_no_watchdog_means_no_thread(systemd: FakeSystemd) -> None:
    watchdog = notify.Watchdog([lambda: True])
    assert watchdog.interval is None
    assert watchdog.start() is False


def test_bad_interval_is_an_error() -> None:
    with pytest.raises(notify.Error, match="positive"):
        notify.Watchdog([], interval=0)


def test_pings_only_while_every_check_passes(systemd: FakeSystemd) -> None:
    clock = FakeClock()
    publisher = notify.Heartbeat("publisher", max_age=30, clock=clock)
    sensors = notify.Heartbeat("sensors", max_age=30, clock=clock)
    watchdog = notify.Watchdog([publisher, sensors], interval=5)

    assert watchdog.check_once() is True
    assert systemd.pending() == [["WATCHDOG=1"]]

    clock.now += 31
    sensors.beat()
    assert watchdog.check_once() is False
    assert watchdog.failing() == "publisher"
    assert systemd.pending() == [["STATUS=unhealthy: publisher"]]

    # Still failing: no ping, and the status is not repeated.
    assert watchdog.check_once() is False
    assert systemd.pending() == []

    publisher.beat()
    assert watchdog.check_once() is True
    assert watchdog.failing() is None
    assert systemd.pending() == [["STATUS=running"], ["WATCHDOG=1"]]


def test_a_check_that_raises_counts_as_failed(systemd: FakeSystemd) -> None:
    def database_reachable() -> bool:
        raise RuntimeError("disk I/O error")

    watchdog = notify.Watchdog([database_reachable], interval=5)
    assert watchdog.check_once() is False
    assert systemd.pending() == [["STATUS=unhealthy: database_reachable"]]


def test_heartbeat_fails_when_its_thread_dies() -> None:
    clock = FakeClock()
    thread = threading.Thread(target=lambda: None)
    beat = notify.Heartbeat("publisher", max_age=30, thread=thread, clock=clock)
    thread.start()
    thread.join()
    assert beat() is False


def test_heartbeat_age() -> None:
    clock = FakeClock()
    beat = notify.Heartbeat("publisher", max_age=30, clock=clock)
    clock.now += 12
    assert beat.age() == 12
    assert beat() is True


def test_thread_pings_until_stopped(systemd: FakeSystemd) -> None:
    watchdog = notify.Watchdog([lambda: True], interval=0.01)
    assert watchdog.start() is True
    assert watchdog.start() is True  # already running: no second thread
    try:
        assert systemd.receive() == ["WATCHDOG=1"]
        assert systemd.receive() == ["WATCHDOG=1"]
    finally:
        watchdog.stop()
    assert not watchdog.is_running()
    systemd.pending()  # drain what was sent before the stop
    assert systemd.pending() == []


def test_module_imports_no_hardware_or_web_library() -> None:
    source = Path(notify.__file__).read_text(encoding="utf-8")
    for name in ("flask", "paho", "gpiozero", "serial"):
        assert f"import {name}" not in source
        assert f"from {name}" not in source
