"""Home Assistant device discovery: one retained message describing the whole device.

Published to ``<discovery_prefix>/device/<node>/config`` (Home Assistant 2024.11 and
later) with ``dev`` (the device), ``o`` (the origin: us) and ``cmps`` (one entry per
entity). Each entity reads a topic Doorstep already publishes, named through the topic
table so the two cannot drift; discovery adds no data of its own: door binary_sensors,
occupancy and footfall when there are beams, people signed in, a busy binary_sensor
per public room, and availability.

It is queued by :func:`appliance.publishing.derived.refresh` whenever its content changes
(a room added, a door renamed), and again when Home Assistant says ``online`` on
``<discovery_prefix>/status``. ``mqtt.discovery = false`` switches it off.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from appliance import __version__
from appliance.core.config import Config
from appliance.outbox.topics import TopicContext, topic_of

QOS = 1  # what Doorstep publishes at; Home Assistant should subscribe at the same


def node_id(config: Config) -> str:
    """The device's node id in the discovery topic (unique per broker, like the site id)."""
    return f"doorstep-{config.site.id}"


def payload(conn: sqlite3.Connection, config: Config) -> dict[str, Any]:
    """The discovery payload (a dict; the topic table serialises it)."""
    ctx = TopicContext(config.mqtt.topic_prefix, config.site.id, config.mqtt.discovery_prefix)
    node = node_id(config).replace("-", "_")
    components: dict[str, dict[str, Any]] = {}

    def add(object_id: str, platform: str, name: str, **options: Any) -> None:
        # qos on each component too: Home Assistant 2025.1 subscribes a component at its own
        # qos (0 when absent), whatever the device level says.
        components[object_id] = {"p": platform, "name": name, "unique_id": f"{node}_{object_id}", **options,
                                 "qos": QOS}

    for door in config.doors:
        add(
            f"door_{door.id}", "binary_sensor", door.name or door.id.replace("-", " ").title(),
            device_class="door", state_topic=topic_of(ctx, "door", {"door": door.id}), payload_on="open", payload_off="closed",
        )
    if config.beams:
        add("occupancy", "sensor", "People inside", state_topic=topic_of(ctx, "occupancy"),
            unit_of_measurement="people", state_class="measurement", icon="mdi:account-group")
        for direction in ("in", "out"):
            add(f"footfall_{direction}", "sensor", f"Footfall {direction}", state_topic=topic_of(ctx, "footfall", {"direction": direction}),
                unit_of_measurement="people", state_class="total_increasing", icon="mdi:walk")
    if config.display.busy_as == "band":  # no counts are published: how busy, in words
        add("busy", "sensor", "How busy", state_topic=topic_of(ctx, "visits"), value_template="{{ value_json.busy }}",
            icon="mdi:account-group")
    else:
        add("signed_in", "sensor", "People signed in", state_topic=topic_of(ctx, "visits"),
            value_template="{{ value_json.total }}", unit_of_measurement="people", state_class="measurement",
            icon="mdi:clipboard-account")
    rooms = conn.execute("SELECT id, name FROM rooms WHERE public = 1 ORDER BY sort_order, name")
    for room_id, name in rooms:
        add(
            f"room_{room_id.replace('-', '_')}_busy", "binary_sensor", f"{name} busy", device_class="occupancy",
            state_topic=topic_of(ctx, "rooms", {"room": room_id}), value_template="{{ 'ON' if value_json.busy else 'OFF' }}",
        )
    return {
        "dev": {
            "ids": [node_id(config)],
            "name": config.site.name,
            "mf": "Doorstep",
            "mdl": "Doorstep front-door appliance",
            "sw": __version__,
        },
        "o": {"name": "Doorstep", "sw": __version__},
        "availability_topic": topic_of(ctx, "availability"),
        "payload_available": "online",
        "payload_not_available": "offline",
        "qos": QOS,
        "cmps": components,
    }
