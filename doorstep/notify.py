"""systemd integration: readiness, status and a health-gated watchdog.

The roles run as ``Type=notify`` units with ``WatchdogSec=``. This module
speaks the sd_notify datagram protocol over ``$NOTIFY_SOCKET`` by hand: it is
a dozen lines, whereas the PyPI options are either a C extension that needs
libsystemd headers on the Pi (systemd-python) or unmaintained for years
(sdnotify). Every function is a no-op when ``$NOTIFY_SOCKET`` is unset, so the
roles behave the same under ``doorstep demo``, in tests and on a laptop.

The watchdog pings only while every health check passes: a publisher thread
that has hung stops the pings, and systemd restarts the role. A check is any
callable returning ``True`` when healthy; ``Heartbeat`` is the usual one,
"this thread is alive and made progress within N seconds".
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable

from appliance.core.threads import Worker

log = logging.getLogger(__name__)

Check = Callable[[], bool]


class Error(Exception):
    """Base class for errors raised by this module."""


def _socket_address() -> str | None:
    """Return the notify socket address from the environment, or None."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return None
    if address.startswith("@"):
        # An abstract-namespace socket: the leading @ stands for a NUL byte.
        return "\0" + address[1:]
    return address


def notify(*assignments: str) -> bool:
    """Send ``KEY=VALUE`` assignments to systemd; return True if one was sent.

    Returns False, having done nothing, when ``$NOTIFY_SOCKET`` is unset. A
    socket error is logged and reported as False rather than raised: failing
    to tell systemd something must not take a role down (if it matters, the
    missing watchdog pings will).
    """
    address = _socket_address()
    if address is None or not assignments:
        return False
    message = "\n".join(assignments).encode("utf-8")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message)
    except OSError as exc:
        log.warning("could not notify systemd at %r: %s", address, exc)
        return False
    return True


def _one_line(text: str) -> str:
    """Flatten text to one line, since a newline would end the assignment."""
    return " ".join(text.split())


def notify_ready(status: str | None = None) -> bool:
    """Tell systemd the role is serving (``READY=1``), with an optional status line."""
    fields = ["READY=1"]
    if status:
        fields.append(f"STATUS={_one_line(status)}")
    return notify(*fields)


def notify_status(text: str) -> bool:
    """Set the one-line status shown by ``systemctl status``."""
    return notify(f"STATUS={_one_line(text)}")


def notify_stopping(status: str | None = None) -> bool:
    """Tell systemd the role has begun a clean shutdown (``STOPPING=1``)."""
    fields = ["STOPPING=1"]
    if status:
        fields.append(f"STATUS={_one_line(status)}")
    return notify(*fields)


def notify_watchdog() -> bool:
    """Send one watchdog keep-alive (``WATCHDOG=1``). Prefer ``Watchdog``."""
    return notify("WATCHDOG=1")


def notify_extend_timeout(seconds: float) -> bool:
    """Ask for ``seconds`` more before a start (or stop) times out.

    For slow, legitimate work before READY, such as a long migration.
    """
    return notify(f"EXTEND_TIMEOUT_USEC={int(seconds * 1_000_000)}")


def watchdog_timeout() -> float | None:
    """Return the unit's ``WatchdogSec=`` in seconds, or None if no watchdog applies.

    Reads ``$WATCHDOG_USEC``; when ``$WATCHDOG_PID`` is set it must be this
    process, as ``sd_watchdog_enabled()`` does.
    """
    usec = os.environ.get("WATCHDOG_USEC")
    if not usec:
        return None
    pid = os.environ.get("WATCHDOG_PID")
    if pid and pid != str(os.getpid()):
        return None
    try:
        value = int(usec)
    except ValueError:
        return None
    return value / 1_000_000 if value > 0 else None


def _check_name(check: Check) -> str:
    """A readable name for a check, for the status line and the log."""
    return str(getattr(check, "name", None) or getattr(check, "__name__", None) or repr(check))


class Heartbeat:
    """A health check: a thread is alive and has called ``beat()`` recently.

    The watched loop calls ``beat()`` each time round (after real progress,
    such as a drained outbox batch or an idle wait that returned). Calling the
    instance returns True while the last beat is younger than ``max_age``
    seconds and, if a thread was given, that thread is alive.
    """

    def __init__(
        self,
        name: str,
        max_age: float,
        thread: threading.Thread | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Start healthy, as if the first beat happened now."""
        self.name = name
        self.max_age = max_age
        self.thread = thread
        self._clock = clock
        self._last = clock()

    def beat(self) -> None:
        """Record progress now."""
        self._last = self._clock()

    def age(self) -> float:
        """Seconds since the last beat."""
        return self._clock() - self._last

    def __call__(self) -> bool:
        """True while the thread (if any) is alive and the last beat is recent."""
        if self.thread is not None and not self.thread.is_alive():
            return False
        return self.age() <= self.max_age


class Watchdog(Worker):
    """Pings systemd's watchdog while every health check returns True.

    ``interval`` defaults to half the unit's ``WatchdogSec=``, as systemd
    recommends. ``start()`` does nothing when there is no notify socket or no
    watchdog configured and no interval given, so the roles can always call it.
    A check that raises counts as failed. When the checks recover the pings
    resume by themselves.
    """

    def __init__(self, checks: Iterable[Check], interval: float | None = None) -> None:
        """Hold the checks; nothing runs until ``start()``."""
        super().__init__("watchdog", join_seconds=30)
        self.checks = list(checks)
        if interval is None:
            timeout = watchdog_timeout()
            interval = timeout / 2 if timeout else None
        if interval is not None and interval <= 0:
            raise Error(f"watchdog interval must be positive, got {interval!r}")
        self.interval = interval
        self._failing: str | None = None

    def failing(self) -> str | None:
        """Name of the first failing check at the last round, or None if all passed."""
        return self._failing

    def check_once(self) -> bool:
        """Run every check; ping if all pass. Return whether they all passed.

        The status line names the first failing check, and is cleared back to
        "running" when the checks recover.
        """
        for check in self.checks:
            try:
                healthy = bool(check())
            except Exception:
                log.exception("health check %s raised", _check_name(check))
                healthy = False
            if not healthy:
                name = _check_name(check)
                if self._failing != name:
                    log.error("health check failed: %s; withholding watchdog pings", name)
                    notify_status(f"unhealthy: {name}")
                self._failing = name
                return False
        if self._failing is not None:
            log.warning("health checks pass again; resuming watchdog pings")
            notify_status("running")
            self._failing = None
        notify_watchdog()
        return True

    def loop(self) -> None:
        """The thread body: a round at once, then one per interval until stopped."""
        assert self.interval is not None
        while not self.stopping:
            self.check_once()
            self.sleep(self.interval)

    def is_running(self) -> bool:
        """True while the pinging thread is alive."""
        return self.is_alive()

    def start(self) -> bool:  # type: ignore[override]
        """Start the daemon thread; return False (a no-op) if there is nothing to ping."""
        if self.is_running():
            return True
        if self.interval is None or _socket_address() is None:
            return False
        super().start()
        return True
