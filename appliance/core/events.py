"""Things that happened, as frozen past-tense dataclasses.

Sensors create them on their own threads and hand them to the agent's single
writer through an :data:`EventSink` (the agent's ``Recorder.submit``). Every event has a UUID ``id`` and an aware UTC ``at``;
both travel with it to the database and to MQTT, so consumers can drop duplicates.
"""

from __future__ import annotations

import os
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime


def new_id() -> str:
    """A fresh event id: a random (version 4) UUID in its usual text form.

    Built from the bytes directly: ``str(uuid.uuid4())`` costs about three times as much,
    and every sensor edge pays it on its way to the broker.
    """
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40  # version 4
    b[8] = (b[8] & 0x3F) | 0x80  # the RFC 4122 variant
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every event."""

    at: datetime
    id: str = field(default_factory=new_id)

    # Fields kept out of the sensor_events row and MQTT (e.g. a card hash).
    private_fields: typing.ClassVar[tuple[str, ...]] = ()
    # Whether the event goes on the MQTT `events` stream at all.
    published: typing.ClassVar[bool] = True

    @property
    def kind(self) -> str:
        """snake_case name of the event, e.g. 'door_opened'."""
        name = type(self).__name__
        return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


EventSink = Callable[[Event], None]
"""Where a sensor hands its events: the agent's ``Recorder.submit`` (from any thread,
never blocking). Each sensor keeps it as its ``submit``."""


@dataclass(frozen=True, kw_only=True)
class DoorOpened(Event):
    """A door contact opened."""

    door: str


@dataclass(frozen=True, kw_only=True)
class DoorClosed(Event):
    """A door contact closed."""

    door: str


@dataclass(frozen=True, kw_only=True)
class FobRead(Event):
    """A fob was read. Only the keyed hash of its number travels; it is never published."""

    reader: str
    card_hash: str
    # A second keyed hash for vote receipts (appliance/people/fobs.py ``ballot_key``); '' when
    # the reader was not given the fob secret's ballot hash. Never stored or published.
    ballot_key: str = ""
    private_fields: typing.ClassVar[tuple[str, ...]] = ("card_hash", "ballot_key")
    published: typing.ClassVar[bool] = False


@dataclass(frozen=True, kw_only=True)
class DoorHeldOpen(Event):
    """A door has stayed open longer than its ``held_open_seconds``."""

    door: str
    seconds: float


@dataclass(frozen=True, kw_only=True)
class DoorHeldOpenCleared(Event):
    """A door that was held open has closed again."""

    door: str


@dataclass(frozen=True, kw_only=True)
class Passed(Event):
    """Someone walked through a beam pair: ``direction`` is 'in' or 'out'."""

    beam: str
    direction: str


@dataclass(frozen=True, kw_only=True)
class BeamObstructed(Event):
    """A beam stayed blocked longer than ``obstruction_seconds`` ('outer', 'inner' or 'both')."""

    beam: str
    which: str


@dataclass(frozen=True, kw_only=True)
class BeamCleared(Event):
    """Both beams of an obstructed pair are clear again; counting resumes."""

    beam: str


@dataclass(frozen=True, kw_only=True)
class MotionDetected(Event):
    """A PIR saw motion after its re-arm time."""

    pir: str


@dataclass(frozen=True, kw_only=True)
class SensorHealthChanged(Event):
    """A sensor's health changed: ``sensor`` is a component like 'door/front' or 'cardreader',
    ``status`` one of ok / fault / unplugged."""

    sensor: str
    status: str
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class OccupancyReset(Event):
    """Occupancy was set back to zero (closing time, or a person on the dashboard)."""

    reason: str
    previous: int
