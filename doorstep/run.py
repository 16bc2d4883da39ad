"""Running each role as a long-lived process (the CLI's agent and web commands), with
systemd's notify protocol: READY only once the role really serves, and watchdog pings
only while every thread of the role is alive and making progress (a hung publisher,
writer or sensor thread stops the pings, and systemd restarts the role)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from appliance.core.config import Config
from doorstep import notify

log = logging.getLogger(__name__)

# How long a loop may go without progress before the role counts as hung (seconds).
STALL_SECONDS = {"recorder": 30.0, "publisher": 60.0, "housekeeping": 600.0}


def progress_check(name: str, part: Any, monotonic: Callable[[], float], max_age: float) -> Callable[[], bool]:
    """A health check: ``part``'s thread is alive and its ``last_progress`` is recent."""

    def check() -> bool:
        return bool(part.is_alive()) and monotonic() - float(part.last_progress) <= max_age

    check.__name__ = name
    return check


def agent_checks(agent: Any) -> list[Callable[[], bool]]:
    """The agent's health checks for the watchdog."""
    mono = agent.clock.monotonic
    checks = [
        progress_check("recorder", agent.recorder, mono, STALL_SECONDS["recorder"]),
        progress_check("housekeeping", agent.housekeeper, mono, STALL_SECONDS["housekeeping"]),
    ]
    if agent.publisher is not None:
        checks.append(progress_check("publisher", agent.publisher, mono, STALL_SECONDS["publisher"]))

    def sensors() -> bool:
        return bool(agent.healthy())

    checks.append(sensors)
    return checks


def run_agent(config: Config, wait: Callable[[], None]) -> None:
    """Start the agent, block in ``wait`` (until a signal), then stop cleanly."""
    from doorstep.agent import Agent

    notify.notify_status("migrating the database and starting sensors")
    agent = Agent(config)
    agent.start()
    watchdog = notify.Watchdog(agent_checks(agent))
    watchdog.start()
    notify.notify_ready(f"recording for site {config.site.id}")
    log.info("agent running for site %s", config.site.id)
    try:
        wait()
    finally:
        notify.notify_stopping()
        watchdog.stop()
        agent.stop()


def self_check(url: str, timeout: float = 5.0) -> bool:
    """The web role answers its own /healthz (a real request through waitress)."""
    import urllib.request  # here: the agent, which imports this module too, never needs it (50 ms)

    try:
        with urllib.request.urlopen(url + "healthz", timeout=timeout) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def run_web(config: Config, wait: Callable[[], None]) -> None:
    """Serve the web role until ``wait`` returns."""
    from kiosk import create_app
    from kiosk.server import WebServer

    app = create_app(config)
    https_port, context = config.web.https_port, None
    if https_port:
        from appliance.core.clock import SystemClock
        from kiosk import tls

        try:
            cert, key = tls.ensure_certificate(config, SystemClock().now())
            context = tls.server_context(cert, key)
            app.extensions["doorstep"].tls_fingerprint = tls.fingerprint(cert)
        except tls.TlsError as exc:
            log.error("HTTPS is off: %s", exc)
            https_port = 0
    server = WebServer(app, config.web.host, config.web.port, config.web.threads, https_port=https_port, tls=context)
    server.start()
    for _ in range(100):  # READY means serving: wait for the first real answer
        if self_check(server.url, timeout=1.0):
            break
    else:
        log.error("the web role does not answer its own /healthz at %s", server.url)

    def serving() -> bool:
        return server.is_alive() and self_check(server.url)

    watchdog = notify.Watchdog([serving])
    watchdog.start()
    notify.notify_ready(f"serving on port {server.port}")
    log.info("web: %s", server.url)
    try:
        wait()
    finally:
        notify.notify_stopping()
        watchdog.stop()
        server.close()
