"""The single writer: event ids, the queue drained in batches, retries of the same event."""

from __future__ import annotations

import uuid

from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.core.events import DoorClosed, DoorOpened, FobRead, new_id
from appliance.outbox import store
from appliance.sensing.recorder import Recorder, event_data
from appliance.storage.db import Database
from doorstep.agent import RULES


def test_event_ids_are_random_uuids_in_their_usual_text_form() -> None:
    ids = [new_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_submitted_events_are_written_in_order_and_the_queue_drains_on_stop(db: Database, config: Config, clock: ManualClock) -> None:
    recorder = Recorder(db, config, clock, RULES)
    recorder.start()
    sent = [(DoorOpened if n % 2 else DoorClosed)(door="front", at=clock.advance(1)) for n in range(50)]
    for event in sent:
        recorder.submit(event)
    recorder.stop()
    assert not recorder.is_alive()
    assert recorder.written == 50 and recorder.failed == 0
    rows = [r[0] for r in db.conn().execute("SELECT id FROM sensor_events ORDER BY rowid")]
    assert rows == [e.id for e in sent]
    assert store.events_waiting(db.conn()) == 50


def test_the_same_event_twice_is_recorded_once(db: Database, config: Config, clock: ManualClock) -> None:
    recorder = Recorder(db, config, clock, RULES)
    event = DoorOpened(door="front", at=clock.now())
    recorder.write([event])
    recorder.write([event])
    assert db.conn().execute("SELECT count(*) FROM sensor_events").fetchone()[0] == 1
    assert store.events_waiting(db.conn()) == 1


def test_event_data_is_each_types_own_fields_without_id_and_time(clock: ManualClock) -> None:
    # Field names are worked out once per type: two types in turn must not mix them up.
    fob = FobRead(reader="front", card_hash="abc", at=clock.now())
    assert event_data(fob) == {"reader": "front", "card_hash": "abc", "ballot_key": ""}  # apply() drops private_fields
    assert event_data(DoorOpened(door="side", at=clock.now())) == {"door": "side"}
    assert event_data(fob) == {"reader": "front", "card_hash": "abc", "ballot_key": ""}
