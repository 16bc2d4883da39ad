"""`doorstep demo`: both roles in one process, simulated hardware, a private broker.

The same code paths as the appliance: the Agent and the web app are the real ones; only
the pins are gpiozero's MockFactory, driven by the simulator.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path

from appliance.core.config import (
    BeamConfig,
    CardReaderConfig,
    Config,
    DatabaseConfig,
    DoorConfig,
    HardwareConfig,
    PirConfig,
    WebConfig,
)
from doorstep.broker import BrokerError, Mosquitto, find_mosquitto

log = logging.getLogger(__name__)


class DemoError(Exception):
    """The demo cannot start."""


def demo_config(directory: Path, db_path: Path | None, web_port: int, broker: tuple[str, int] | None) -> Config:
    """The demo's config: simulated pins, a temp database, the given broker."""
    base = Config()
    mqtt = (
        dataclasses.replace(base.mqtt, host=broker[0], port=broker[1], client_id="doorstep-demo")
        if broker
        else dataclasses.replace(base.mqtt, enabled=False)
    )
    return base.with_changes(
        database=DatabaseConfig(path=str(db_path or directory / "doorstep.db")),
        web=dataclasses.replace(WebConfig(), host="127.0.0.1", port=web_port),
        mqtt=mqtt,
        hardware=HardwareConfig(pin_factory="mock", simulate=True),
        doors=(DoorConfig(id="front", pin=17, name="Front door"),),
        beams=(BeamConfig(id="entrance", outer_pin=23, inner_pin=24),),
        pir=(PirConfig(id="foyer", pin=4),),
        # A pty the simulator writes RDM6300 frames to, behind a by-id style symlink.
        cardreader=CardReaderConfig(enabled=True, path=str(directory / "fob-reader")),
    )


def _parse_broker(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise DemoError(f"--broker {text!r}: expected HOST:PORT, e.g. localhost:1883")
    return host, int(port)


def run_demo(
    *,
    db_path: Path | None,
    web_port: int,
    broker: str | None,
    speed: float,
    wait: Callable[[], None],
    echo: Callable[[str], None] = print,
) -> None:
    """Run the demo until ``wait`` returns (Ctrl-C), then stop everything, broker included."""
    from appliance.people import admins, fobs
    from appliance.storage.db import Database
    from doorstep.agent import Agent
    from doorstep.seed import seed_bookings, seed_decisions, seed_demo, seed_history, seed_rota
    from kiosk import create_app
    from kiosk.server import WebServer

    with tempfile.TemporaryDirectory(prefix="doorstep-demo-") as tmp:
        directory = Path(tmp)
        mosquitto: Mosquitto | None = None
        address: tuple[str, int] | None = None
        if broker:
            address = _parse_broker(broker)
        elif find_mosquitto():
            mosquitto = Mosquitto(directory / "broker")
            try:
                mosquitto.start()
            except BrokerError as exc:
                raise DemoError(str(exc)) from None
            address = (mosquitto.host, mosquitto.port)
        else:
            echo("mqtt: offline (mosquitto is not installed: apt-get install mosquitto); the outbox keeps filling")
        config = demo_config(directory, db_path, web_port, address)
        db = Database(config.database.path)
        db.migrate()
        seed_demo(db)
        seed_bookings(db, config)
        seed_rota(db, config)
        seed_decisions(db, config)
        seed_history(db, config)
        password = secrets.token_urlsafe(9)  # fresh each run, printed below
        if "demo" in admins.names(db.conn()):
            admins.set_password(db.conn(), "demo", password, db.clock.now())
        else:
            admins.create(db.conn(), "demo", password, db.clock.now())
        with db.write() as conn:
            fobs.assign_demo_cards(conn, fobs.load_secret(fobs.secret_path(config.database.path)))
        db.close()
        from sensors.simulator import FobPty

        fob_pty = FobPty(config.cardreader.path)

        agent = Agent(config, simulate_speed=speed, card_feed=fob_pty.master)
        server: WebServer | None = None
        try:
            agent.start()
            if address:
                echo(f"mqtt: {address[0]}:{address[1]}")
            try:
                server = WebServer(create_app(config), config.web.host, config.web.port, config.web.threads)
            except OSError as exc:
                raise DemoError(f"cannot listen on port {web_port}: {exc} (try --web-port 0)") from None
            server.start()
            echo(f"web: {server.url}")
            echo(f"     kiosk {server.url}kiosk/  dashboard {server.url}dashboard/  display {server.url}display/")
            echo(f"     dashboard login: demo / {password}")
            echo(f"data: {config.database.path}")
            wait()
        finally:
            if server is not None:
                server.close()
            agent.stop()
            fob_pty.close()
            if mosquitto is not None:
                mosquitto.stop()
