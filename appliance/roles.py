"""Running each role as a long-lived process (the CLI's agent and web commands)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from appliance.config import Config

log = logging.getLogger(__name__)


def run_agent(config: Config, wait: Callable[[], None]) -> None:
    """Start the agent, block in ``wait`` (until a signal), then stop cleanly."""
    from appliance.agent import Agent

    agent = Agent(config)
    agent.start()
    log.info("agent running for site %s", config.site.id)
    try:
        wait()
    finally:
        agent.stop()


def run_web(config: Config, wait: Callable[[], None]) -> None:
    """Serve the web role until ``wait`` returns."""
    from kiosk import create_app
    from kiosk.server import WebServer

    server = WebServer(create_app(config), config.web.host, config.web.port, config.web.threads)
    server.start()
    log.info("web: %s", server.url)
    try:
        wait()
    finally:
        server.close()
