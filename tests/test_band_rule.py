"""One band rule for every public surface and MQTT (issue 14.5): when the site shows how busy
as a band (``display.busy_as = "band"``), no public surface gives a count, per kind or in
total: not /status.json, /status.txt, /api/v1/status, /live/status, /display/, nor the MQTT
``visits`` and ``status`` topics. With a number, they all do. Every surface is read in both
modes, the MQTT ones from a real Mosquitto fed by the real agent."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from gpiozero.pins.mock import MockFactory
from live_support import sse

from appliance.core.clock import ManualClock
from appliance.core.config import Config, DisplayConfig
from appliance.people import register, visits
from appliance.storage.db import transaction
from doorstep.agent import Agent
from doorstep.broker import free_port
from kiosk import create_app
from kiosk.server import WebServer

BASE = "doorstep/community-hall/"


def _numbers(value: Any) -> list[int | float]:
    """Every number anywhere in a JSON value (booleans are not numbers here)."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [value]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return []


def _sign_in_a_few(config: Config, clock: ManualClock, db_path: str) -> None:
    from appliance.storage.db import Database

    db = Database(db_path, clock)
    db.migrate()
    conn = db.conn()
    with transaction(conn):
        for name in ("Ada Lovelace", "Grace Hopper", "Alan Turing"):
            person = register.create(conn, clock.now(), name=name, kind="member")
            visits.sign_in(conn, config, clock.now(), kind="member", person_id=person.id)
        visits.sign_in(conn, config, clock.now(), kind="visitor", name="Pat Passer-By")
    db.close()


@pytest.mark.parametrize("busy_as", ["number", "band"])
def test_every_public_surface_and_mqtt_follow_the_band_rule(
    busy_as: str, broker_config: Config, clock: ManualClock, mock_pins: MockFactory, mqtt_listener
) -> None:  # type: ignore[no-untyped-def]
    # busy_at 2: four people in makes the band "Busy", so a band is really shown
    config = broker_config.with_changes(display=DisplayConfig(busy_as=busy_as, busy_at=2, very_busy_at=40))
    _sign_in_a_few(config, clock, config.database.path)
    agent = Agent(config, clock=clock, pin_factory=mock_pins)
    agent.start()
    web_config = config.with_changes(
        mqtt=dataclasses.replace(config.mqtt, enabled=False),
        web=dataclasses.replace(config.web, host="127.0.0.1", port=free_port(), https_port=0),
    )
    app = create_app(web_config, clock=clock, overrides={"TESTING": True})
    server = WebServer(app, "127.0.0.1", web_config.web.port, threads=8)
    server.start()
    try:
        client = app.test_client()
        surfaces: dict[str, Any] = {
            "/status.json": client.get("/status.json").get_json(),
            "/api/v1/status": client.get("/api/v1/status").get_json(),
        }
        # live streams are served by the front, over a real connection
        frames = sse(server.port, "/live/status")
        surfaces["/live/status"] = next(data for event, data in frames if event == "snapshot")
        frames.close()
        messages = mqtt_listener.wait_for(lambda ms: {BASE + "visits", BASE + "status"} <= {m.topic for m in ms})
        for topic in ("visits", "status"):
            surfaces[f"mqtt {topic}"] = json.loads([m for m in messages if m.topic == BASE + topic][-1].payload)
        text = client.get("/status.txt").get_data(as_text=True)
        display = client.get("/display/").get_data(as_text=True)
    finally:
        server.close()
        agent.stop()

    if busy_as == "band":
        for where, payload in surfaces.items():
            assert _numbers(payload) == [], f"{where} gives counts in band mode: {payload}"
            assert "Busy" in json.dumps(payload), where
        assert "4" not in text and "Busy" in text
        assert ">4<" not in display and "Busy" in display
    else:
        for where in ("/status.json", "/api/v1/status", "/live/status"):
            assert surfaces[where]["people_in"] == 4
            assert surfaces[where]["visits"]["in_building"] == {"member": 3, "visitor": 1}, where
        assert surfaces["mqtt visits"]["by_kind"] == {"member": 3, "visitor": 1}
        assert surfaces["mqtt status"]["people_in"] == 4
        assert "About 4 people in" in text
