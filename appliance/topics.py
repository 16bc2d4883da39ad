"""Everything that leaves the device for MQTT, in one table: the privacy boundary.

A reviewer reads this file to know all that is ever published. Payload functions
receive only what they need and must never receive a name, contact detail, card
number or private booking title.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TopicContext:
    """Where a site's topics live on the broker."""

    prefix: str
    site: str

    def full(self, relative: str) -> str:
        """The absolute topic for a path under the site."""
        return f"{self.prefix}/{self.site}/{relative}"


@dataclass(frozen=True)
class Topic:
    """One kind of message: where it goes, how, and what it carries."""

    name: str
    pattern: str  # relative to <prefix>/<site>/
    retain: bool
    qos: int
    payload: Callable[..., str]
    description: str


def _json(**fields: Any) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _plain(value: str, **_: Any) -> str:
    return value


def _event(*, id: str, at: str, kind: str, site: str, sensor: str, data: dict[str, Any]) -> str:
    return _json(id=id, at=at, kind=kind, site=site, sensor=sensor, **data)


TOPICS: dict[str, Topic] = {
    t.name: t
    for t in (
        Topic("availability", "availability", True, 1, _plain, "online / offline (the last will)"),
        Topic("door", "door/{door}", True, 1, _plain, "open / closed"),
        Topic("events", "events", False, 1, _event, "one JSON object per event, with id and at"),
        Topic("footfall", "footfall/{direction}", True, 1, lambda value, **_: str(value), "cumulative count (in / out)"),
        Topic("occupancy", "occupancy", True, 1, lambda value, **_: str(value), "people estimated inside"),
    )
}


@dataclass(frozen=True)
class Message:
    """A message ready for the outbox."""

    topic: str
    payload: str
    qos: int
    retain: bool


def message(ctx: TopicContext, name: str, *, path: dict[str, str] | None = None, **values: Any) -> Message:
    """Build the message for topic ``name``; ``path`` fills the pattern, ``values`` the payload."""
    topic = TOPICS[name]
    relative = topic.pattern.format(**(path or {}))
    if name == "events":
        values.setdefault("site", ctx.site)
    return Message(ctx.full(relative), topic.payload(**values), topic.qos, topic.retain)
