"""The topic table: the privacy boundary and the shape of every payload."""

from __future__ import annotations

import json

import pytest

from appliance.topics import TOPICS, TopicContext, TopicError, message

CTX = TopicContext("doorstep", "village-hall", "homeassistant")
AT = "2026-03-02T10:00:00.000Z"

# What each topic is built from in the appliance (the callers' real keyword shapes).
SAMPLES = {
    "availability": ({}, {"value": "online"}),
    "door": ({"door": "front"}, {"value": "open"}),
    "footfall": ({"direction": "in"}, {"value": 41}),
    "occupancy": ({}, {"value": 7, "confidence": "good"}),
    "rooms": ({"room": "main-hall"}, {"at": AT, "room": "main-hall", "name": "Main Hall", "busy": False, "now": None, "next": None}),
    "visits": ({}, {"at": AT, "in_building": {"visitor": 2}, "today": {"visitor": 3}}),
    "status": ({}, {"at": AT, "name": "Hall", "open": True, "busy": "Quiet", "people_in": 2, "sentence": "Open.", "now": [], "next": []}),
    "events": ({}, {"id": "e-1", "at": AT, "kind": "door_opened", "sensor": "front", "data": {"door": "front"}}),
    "discovery": ({"node": "doorstep-village-hall"}, {"config": {"dev": {}, "o": {}, "cmps": {}}}),
}


def test_every_topic_has_a_sample_and_builds() -> None:
    assert set(SAMPLES) == set(TOPICS), "a topic was added without a test sample"
    for name, (path, values) in SAMPLES.items():
        msg = message(CTX, name, path=path, **values)
        assert msg.qos == 1
        assert msg.retain == (name != "events")


def test_contract_topics_live_under_prefix_and_site() -> None:
    expected = {
        "availability": "doorstep/village-hall/availability",
        "door": "doorstep/village-hall/door/front",
        "footfall": "doorstep/village-hall/footfall/in",
        "occupancy": "doorstep/village-hall/occupancy",
        "rooms": "doorstep/village-hall/rooms/main-hall",
        "visits": "doorstep/village-hall/visits",
        "status": "doorstep/village-hall/status",
        "events": "doorstep/village-hall/events",
        "discovery": "homeassistant/device/doorstep-village-hall/config",
    }
    for name, (path, values) in SAMPLES.items():
        assert message(CTX, name, path=path, **values).topic == expected[name]


def test_plain_payloads_stay_plain_for_home_assistant() -> None:
    assert message(CTX, "door", path={"door": "front"}, value="closed").payload == "closed"
    assert message(CTX, "footfall", path={"direction": "out"}, value=12).payload == "12"
    assert message(CTX, "occupancy", value=3, confidence="low").payload == "3"
    assert message(CTX, "availability", value="offline").payload == "offline"


@pytest.mark.parametrize("name", ["rooms", "visits", "status", "events"])
def test_json_payloads_carry_site_and_time(name: str) -> None:
    path, values = SAMPLES[name]
    payload = json.loads(message(CTX, name, path=path, **values).payload)
    assert payload["site"] == "village-hall"
    assert payload["at"] == AT


def test_an_event_field_named_like_the_envelope_does_not_break_it() -> None:
    payload = json.loads(
        message(CTX, "events", id="e-2", at=AT, kind="sensor_health_changed", sensor="beam-1",
                data={"sensor": "beam-1", "status": "fault"}).payload
    )
    assert payload == {"id": "e-2", "at": AT, "kind": "sensor_health_changed", "site": "village-hall",
                       "sensor": "beam-1", "status": "fault"}


def test_visits_payload_names_only_counts() -> None:
    payload = json.loads(message(CTX, "visits", at=AT, in_building={"member": 2, "visitor": 1}, today={"member": 4}).payload)
    assert payload["total"] == 3 and payload["today_total"] == 4
    assert set(payload) == {"site", "at", "total", "by_kind", "today_total", "today_by_kind"}


def test_a_payload_function_refuses_fields_it_does_not_know() -> None:
    # A caller cannot smuggle a name through: unknown keywords are an error, not a passenger.
    with pytest.raises(TopicError, match="name"):
        message(CTX, "visits", at=AT, in_building={}, today={}, name="Ada Lovelace")


def test_bad_names_and_paths_are_clear_errors() -> None:
    with pytest.raises(TopicError, match="no topic named 'people'"):
        message(CTX, "people", value=1)
    with pytest.raises(TopicError, match="needs path value 'door'"):
        message(CTX, "door", value="open")
    with pytest.raises(TopicError, match="cannot be used"):
        message(CTX, "door", path={"door": "front/#"}, value="open")


def test_docs_describe_every_topic() -> None:
    from pathlib import Path

    docs = (Path(__file__).parent.parent / "docs" / "MQTT.md").read_text(encoding="utf-8")
    for topic in TOPICS.values():
        shown = topic.pattern.split("{")[0].rstrip("/")
        assert f"`{shown}" in docs, f"docs/MQTT.md does not describe the {topic.name} topic ({topic.pattern})"
