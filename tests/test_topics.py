"""The topic table: the privacy boundary and the shape of every payload."""

from __future__ import annotations

import json

import pytest

from appliance.outbox.topics import TOPICS, TopicContext, TopicError, message

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
    "rota_uncovered": ({}, {"at": AT, "days": 7, "shifts": [
        {"activity": "Bar", "title": "", "start": AT, "end": None, "needs": 2, "taken": 1, "open": 1}]}),
    "decisions": ({"decision": "3"}, {"at": AT, "decision": "3", "title": "New boiler", "kind": "proposal",
                                      "closed_at": AT, "turnout": 42, "quorum": 20, "quorum_met": True,
                                      "passed": True, "annulled": False,
                                      "options": [{"option": "Yes", "count": 31}, {"option": "No", "count": 9}]}),
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
        "rota_uncovered": "doorstep/village-hall/rota/uncovered",
        "decisions": "doorstep/village-hall/decisions/3",
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


@pytest.mark.parametrize("name", ["rooms", "visits", "status", "rota_uncovered", "decisions", "events"])
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
    payload = json.loads(message(CTX, "visits", at=AT, in_building={"member": 2, "visitor": 1}, today={"member": 4},
                                 busy="Quiet").payload)
    assert payload["total"] == 3 and payload["today_total"] == 4
    assert set(payload) == {"site", "at", "total", "by_kind", "today_total", "today_by_kind", "busy"}
    banded = json.loads(message(CTX, "visits", at=AT, in_building=None, today=None, busy="Busy").payload)
    assert (banded["total"], banded["by_kind"], banded["today_total"], banded["busy"]) == (None, None, None, "Busy")


def test_rota_uncovered_carries_only_times_and_counts() -> None:
    # A caller that hands over more than the listed fields (a name by mistake) sends none of it.
    shift = {"activity": "Bar", "title": "Late bar", "start": AT, "end": AT, "needs": 2, "taken": 1, "open": 1,
             "takers": ["Siân Llŷr ap Gwilym"], "person_id": 7}
    payload = json.loads(message(CTX, "rota_uncovered", at=AT, days=7, shifts=[shift, {**shift, "open": 2}]).payload)
    assert set(payload) == {"site", "at", "days", "open", "shifts"} and payload["open"] == 3
    assert set(payload["shifts"][0]) == {"activity", "title", "start", "end", "needs", "taken", "open"}
    assert "Siân" not in json.dumps(payload, ensure_ascii=False)
    with pytest.raises(TopicError, match="name"):
        message(CTX, "rota_uncovered", at=AT, days=7, shifts=[], name="Siân")


def test_a_decision_carries_only_counts_and_never_a_voter() -> None:
    # A caller that hands over more (who voted, a comment) sends none of it.
    path, values = SAMPLES["decisions"]
    extra = {**values, "options": [{"option": "Yes", "count": 31, "voters": ["Ada Lovelace"]}]}
    payload = json.loads(message(CTX, "decisions", path=path, **extra).payload)
    assert set(payload) == {"site", "at", "decision", "title", "kind", "closed_at", "turnout", "quorum", "quorum_met",
                            "passed", "annulled", "options"}
    assert payload["options"] == [{"option": "Yes", "count": 31}]
    assert "Ada" not in json.dumps(payload)
    with pytest.raises(TopicError, match="comments"):
        message(CTX, "decisions", path=path, **values, comments=["I voted yes - Ada"])


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
