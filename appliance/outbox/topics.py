"""Everything that leaves the device for MQTT, in one table: the privacy boundary.

A reviewer reads this file to know all that is ever published. Payload functions
receive only what they need and must never receive a name, contact detail, card
number or private booking title: the callers (appliance.publishing, the domain
rules) hand over counts, states, ids and public titles only, and the JSON payloads
below name every field they carry, so nothing else can slip through.

Plain payloads (availability, door, footfall, occupancy) stay plain because Home
Assistant and simple consumers read them as they are; every JSON payload carries
``site`` and ``at`` (UTC ISO-8601).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from appliance.core.config import Config


class TopicError(Exception):
    """A message was asked for that the table does not allow."""


@dataclass(frozen=True)
class TopicContext:
    """Where a site's topics live on the broker."""

    prefix: str
    site: str
    discovery_prefix: str = "homeassistant"

    @classmethod
    def of(cls, config: Config) -> TopicContext:
        """The topic prefix, site id and discovery prefix from config."""
        return cls(config.mqtt.topic_prefix, config.site.id, config.mqtt.discovery_prefix)

    def full(self, relative: str) -> str:
        """The absolute topic for a path under the site."""
        return f"{self.prefix}/{self.site}/{relative}"


@dataclass(frozen=True)
class Topic:
    """One kind of message: where it goes, how, and what it carries."""

    name: str
    pattern: str  # relative to <prefix>/<site>/, or to the discovery prefix when ``discovery``
    retain: bool
    qos: int
    payload: Callable[..., str]
    description: str
    example: str = ""  # a payload example for docs/MQTT.md
    discovery: bool = False  # lives under Home Assistant's prefix, not the site's


def _json(**fields: Any) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _plain(value: str, **_: Any) -> str:
    return str(value)


def _number(value: int, **_: Any) -> str:
    return str(int(value))


def _event(*, id: str, at: str, kind: str, site: str, sensor: str, data: dict[str, Any]) -> str:
    # ``data`` is the event's public fields only (recorder.apply drops private_fields);
    # the envelope wins over a field of the same name (an event may itself have ``sensor``).
    return _json(**{**data, "id": id, "at": at, "kind": kind, "site": site, "sensor": sensor})


def _room(
    *, site: str, at: str, room: str, name: str, busy: bool, now: dict[str, Any] | None, next: dict[str, Any] | None
) -> str:
    # now / next hold only {"title", "start", "end"} with the PUBLIC title or "Booked".
    return _json(site=site, at=at, room=room, name=name, busy=busy, now=now, next=next)


def _visits(*, site: str, at: str, in_building: dict[str, int] | None, today: dict[str, int] | None,
            busy: str = "") -> str:
    # Counts by kind (visitor / member / volunteer ...), never who; none at all (null) when
    # the site shows a busy band instead of a number (appliance.views.public.summary).
    return _json(
        site=site, at=at, total=None if in_building is None else sum(in_building.values()), by_kind=in_building,
        today_total=None if today is None else sum(today.values()), today_by_kind=today, busy=busy,
    )


def _status(
    *, site: str, at: str, name: str, open: bool, busy: str, people_in: int | None, sentence: str,
    now: list[dict[str, Any]], next: list[dict[str, Any]],
) -> str:
    return _json(site=site, at=at, name=name, open=open, busy=busy, people_in=people_in, sentence=sentence,
                 now=now, next=next)


# What one date of a shift may say on the wire (appliance.rota.coverage.needed): times and
# counts, and the shift's activity and title as the admin named them. Never who took it.
ROTA_FIELDS = ("activity", "title", "start", "end", "needs", "taken", "open")


def _rota_uncovered(*, site: str, at: str, days: int, shifts: list[dict[str, Any]]) -> str:
    # Only the listed fields of each shift are copied: anything else handed in stays behind.
    listed = [{name: shift[name] for name in ROTA_FIELDS} for shift in shifts]
    return _json(site=site, at=at, days=days, open=sum(int(s["open"]) for s in listed), shifts=listed)


def _decision(
    *, site: str, at: str, decision: str, title: str, kind: str, closed_at: str, turnout: int, quorum: int | None,
    quorum_met: bool | None, passed: bool | None, annulled: bool, options: list[dict[str, Any]],
) -> str:
    # A closed ballot's result (appliance.decisions.results.published): its title and options
    # as the admin wrote them, counts, turnout, quorum, passed or not. Never who voted, how
    # anyone voted, or a comment: of each option only its label and count are copied.
    counted = [{"option": str(o["option"]), "count": int(o["count"])} for o in options]
    return _json(site=site, at=at, decision=decision, title=title, kind=kind, closed_at=closed_at, turnout=turnout,
                 quorum=quorum, quorum_met=quorum_met, passed=passed, annulled=annulled, options=counted)


def _discovery(*, config: dict[str, Any]) -> str:
    return _json(**config)


TOPICS: dict[str, Topic] = {
    t.name: t
    for t in (
        Topic("availability", "availability", True, 1, _plain, "online / offline (offline is the last will)", "online"),
        Topic("door", "door/{door}", True, 1, _plain, "open / closed", "open"),
        Topic("footfall", "footfall/{direction}", True, 1, _number, "cumulative count since the counter began (in / out)", "1234"),
        Topic("occupancy", "occupancy", True, 1, _number, "people estimated inside, from the beams", "12"),
        Topic(
            "rooms", "rooms/{room}", True, 1, _room, "a room: busy now, what is on now and next (public titles; private: Booked)",
            '{"at":"2026-03-02T10:15:00.000Z","busy":true,"name":"Main Hall","next":{"end":"2026-03-02T16:00:00.000Z",'
            '"start":"2026-03-02T14:00:00.000Z","title":"Repair café"},"now":{"end":"2026-03-02T11:30:00.000Z",'
            '"start":"2026-03-02T10:00:00.000Z","title":"Toddler group"},"room":"main-hall","site":"community-hall"}',
        ),
        Topic(
            "visits", "visits", True, 1, _visits,
            "people signed in now and today, counted by kind (never names); with display.busy_as = \"band\" the "
            "counts are null and only busy (Quiet / Busy / Very busy) is given",
            '{"at":"2026-03-02T10:15:00.000Z","busy":"Quiet","by_kind":{"member":3,"visitor":2},"site":"community-hall",'
            '"today_by_kind":{"member":5,"visitor":4},"today_total":9,"total":5}',
        ),
        Topic(
            "status", "status", True, 1, _status, "open or closed, how busy, now and next, and a sentence to read out",
            '{"at":"2026-03-02T10:15:00.000Z","busy":"Busy","name":"Our Community Hall","next":[{"room":"Main Hall","start":'
            '"2026-03-02T14:00:00.000Z","title":"Repair café"}],"now":[{"end":"2026-03-02T11:30:00.000Z","room":'
            '"Main Hall","title":"Toddler group"}],"open":true,"people_in":12,"sentence":"Open. About 12 people in. '
            'Now: Toddler group in the Main Hall until 11:30. Next: Repair café at 14:00.","site":"community-hall"}',
        ),
        Topic(
            "rota_uncovered", "rota/uncovered", True, 1, _rota_uncovered,
            "volunteer shifts in the coming days with places nobody has taken: times and counts, never names",
            '{"at":"2026-03-02T10:15:00.000Z","days":7,"open":3,"shifts":[{"activity":"Bar","end":'
            '"2026-03-06T23:00:00.000Z","needs":2,"open":1,"start":"2026-03-06T18:00:00.000Z","taken":1,"title":""},'
            '{"activity":"Opening up","end":null,"needs":2,"open":2,"start":"2026-03-07T09:00:00.000Z","taken":0,'
            '"title":""}],"site":"community-hall"}',
        ),
        Topic(
            "decisions", "decisions/{decision}", True, 1, _decision,
            "a member ballot's result, published only after it closes: options with their counts, turnout, quorum "
            "and whether it passed (annulled ones say so); never who voted or how",
            '{"annulled":false,"at":"2026-03-09T19:00:00.000Z","closed_at":"2026-03-09T19:00:00.000Z","decision":"3",'
            '"kind":"proposal","options":[{"count":31,"option":"Yes"},{"count":9,"option":"No"},{"count":2,'
            '"option":"Abstain"}],"passed":true,"quorum":20,"quorum_met":true,"site":"community-hall",'
            '"title":"Buy a new boiler","turnout":42}',
        ),
        Topic(
            "events", "events", False, 1, _event, "one JSON object per event, with a UUID id and at (QoS 1, at least once)",
            '{"at":"2026-03-02T10:15:02.120Z","door":"front","id":"8d0c4c1e-5d0e-4f43-9d7e-1b2f5b8f2a61",'
            '"kind":"door_opened","sensor":"front","site":"community-hall"}',
        ),
        Topic(
            "discovery", "device/{node}/config", True, 1, _discovery,
            "Home Assistant device discovery (one message for the whole device)", discovery=True,
        ),
    )
}


@dataclass(frozen=True)
class Message:
    """A message ready for the outbox."""

    topic: str
    payload: str
    qos: int
    retain: bool


def topic_of(ctx: TopicContext, name: str, path: dict[str, str] | None = None) -> str:
    """The absolute topic of ``name`` with ``path`` filled in."""
    try:
        topic = TOPICS[name]
    except KeyError:
        raise TopicError(f"no topic named {name!r} in the topic table (known: {', '.join(TOPICS)})") from None
    try:
        relative = topic.pattern.format(**(path or {}))
    except KeyError as exc:
        raise TopicError(f"topic {name!r} needs path value {exc.args[0]!r}") from None
    if any(ch in relative for ch in "#+\0") or "//" in relative:
        raise TopicError(f"topic {name!r}: {relative!r} cannot be used in an MQTT topic")
    if topic.discovery:
        return f"{ctx.discovery_prefix}/{relative}"
    return ctx.full(relative)


def message(ctx: TopicContext, name: str, /, *, path: dict[str, str] | None = None, **values: Any) -> Message:
    """Build the message for topic ``name``; ``path`` fills the pattern, ``values`` the payload.

    ``site`` is filled in for every JSON payload that carries it.
    """
    topic = TOPICS.get(name)
    full = topic_of(ctx, name, path)
    assert topic is not None  # topic_of raised otherwise
    if topic.payload in (_event, _room, _visits, _status, _rota_uncovered, _decision):
        values.setdefault("site", ctx.site)
    try:
        payload = topic.payload(**values)
    except TypeError as exc:
        raise TopicError(f"topic {name!r}: {exc}") from None
    return Message(full, payload, topic.qos, topic.retain)
