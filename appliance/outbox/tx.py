"""What a domain rule works in: the open write transaction, and how to publish from it.

A rule (a door opening, a pass through the beams, a fob tap) gets a :class:`Tx` from the
agent's single writer (appliance.sensing.recorder). Whatever it queues with
:meth:`Tx.publish` is an outbox row in the same transaction as its domain rows, so the
broker hears of a change exactly when the change is committed.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from appliance.core.clock import iso
from appliance.core.config import Config
from appliance.outbox import store
from appliance.outbox.topics import TopicContext, message


@dataclass
class Tx:
    """The open transaction, the site's config, and its topics and timezone."""

    conn: sqlite3.Connection
    config: Config
    topics: TopicContext = field(init=False)
    zone: ZoneInfo = field(init=False)

    def __post_init__(self) -> None:
        self.topics = TopicContext.of(self.config)
        self.zone = self.config.site.zone

    def publish(self, name: str, when: datetime, /, *, path: dict[str, str] | None = None, **values: Any) -> None:
        """Queue a message from the topic table in this transaction (``when``: its time)."""
        store.enqueue(self.conn, message(self.topics, name, path=path, **values), iso(when))

    def local_day(self, at: datetime) -> str:
        """The site's local date of a moment, for daily counts."""
        return at.astimezone(self.zone).date().isoformat()
