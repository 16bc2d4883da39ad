"""Home Assistant device discovery: one message with the keys Home Assistant requires,
and entities that read topics Doorstep really publishes."""

from __future__ import annotations

import dataclasses
import json

from appliance.booking.rooms import Room, create_room
from appliance.core.clock import ManualClock
from appliance.core.config import BeamConfig, Config, DoorConfig, MqttConfig
from appliance.outbox import store
from appliance.publishing import derived, discovery
from appliance.storage.db import Database


def _config(config: Config, beams: bool) -> Config:
    return config.with_changes(
        mqtt=dataclasses.replace(MqttConfig(), enabled=True),
        doors=(DoorConfig(id="front", pin=17, name="Front door"), DoorConfig(id="fire-exit", pin=27)),
        beams=(BeamConfig(id="entrance", outer_pin=5, inner_pin=6),) if beams else (),
    )


def test_the_payload_has_what_home_assistant_requires(db: Database, config: Config, clock: ManualClock) -> None:
    cfg = _config(config, beams=True)
    with db.write() as conn:
        create_room(conn, Room(id="main-hall", name="Main Hall"), clock.now())
        create_room(conn, Room(id="office", name="Office", public=False), clock.now())
    payload = discovery.payload(db.conn(), cfg)
    assert payload["dev"]["ids"] == ["doorstep-community-hall"] and payload["dev"]["name"] == "Our Community Hall"
    assert payload["o"]["name"] == "Doorstep"
    assert payload["availability_topic"] == "doorstep/community-hall/availability"
    assert (payload["payload_available"], payload["payload_not_available"]) == ("online", "offline")
    components = payload["cmps"]
    for object_id, component in components.items():
        assert {"p", "unique_id", "state_topic", "name"} <= set(component), object_id
        # Home Assistant 2025.1 subscribes each component at its own qos (0 when absent)
        assert component["qos"] == 1, object_id
    assert payload["qos"] == 1
    unique_ids = [c["unique_id"] for c in components.values()]
    assert len(unique_ids) == len(set(unique_ids))
    assert components["door_front"] == {
        "p": "binary_sensor", "name": "Front door", "unique_id": "doorstep_community_hall_door_front",
        "device_class": "door", "state_topic": "doorstep/community-hall/door/front",
        "payload_on": "open", "payload_off": "closed", "qos": 1,
    }
    assert components["door_fire-exit"]["name"] == "Fire Exit"
    assert components["occupancy"]["state_topic"] == "doorstep/community-hall/occupancy"
    for direction in ("in", "out"):
        assert components[f"footfall_{direction}"]["state_class"] == "total_increasing"
    assert components["signed_in"]["value_template"] == "{{ value_json.total }}"
    room = components["room_main_hall_busy"]
    assert (room["p"], room["device_class"], room["state_topic"]) == (
        "binary_sensor", "occupancy", "doorstep/community-hall/rooms/main-hall"
    )
    assert not any("office" in key for key in components)  # a private room is not announced


def test_no_beams_no_footfall_entities(db: Database, config: Config) -> None:
    components = discovery.payload(db.conn(), _config(config, beams=False))["cmps"]
    assert "occupancy" not in components and "footfall_in" not in components
    assert "signed_in" in components


def test_a_new_room_changes_the_announcement(db: Database, config: Config, clock: ManualClock) -> None:
    cfg = _config(config, beams=False)
    topic = "homeassistant/device/doorstep-community-hall/config"
    with db.write() as conn:
        derived.refresh(conn, cfg, clock.now())
        conn.execute("DELETE FROM outbox")
        create_room(conn, Room(id="studio", name="Studio"), clock.now())
        derived.refresh(conn, cfg, clock.now())
    queued = [r for r in store.pending(db.conn(), 0, 100) if r.topic == topic]
    assert len(queued) == 1 and queued[0].retain
    assert "room_studio_busy" in json.loads(queued[0].payload)["cmps"]
