"""Occupancy and footfall rules: IN minus OUT never below zero with a confidence hint,
daily counts per sensor, MQTT messages in the same transaction, resets by hand and at
closing time (the housekeeping job, driven with a ManualClock)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.core.events import BeamCleared, BeamObstructed, Passed, SensorHealthChanged
from appliance.outbox.topics import TopicContext
from appliance.sensing import housekeeping, occupancy
from appliance.sensing.recorder import Recorder
from appliance.storage import state
from appliance.storage.db import Database
from doorstep.agent import JOBS, RULES

CTX = TopicContext("doorstep", "community-hall")


@pytest.fixture
def recorder(config: Config, db: Database, clock: ManualClock) -> Recorder:
    return Recorder(db, config, clock, RULES)


def passes(recorder: Recorder, clock: ManualClock, *directions: str, beam: str = "entrance") -> None:
    recorder.write([Passed(beam=beam, direction=d, at=clock.advance(5)) for d in directions])


def outbox(conn: sqlite3.Connection, relative: str) -> list[str]:
    return [r[0] for r in conn.execute("SELECT payload FROM outbox WHERE topic = ? ORDER BY id", (CTX.full(relative),))]


def test_in_minus_out_with_footfall_and_daily_counts(recorder: Recorder, db: Database, clock: ManualClock) -> None:
    passes(recorder, clock, "in", "in", "in", "out")
    passes(recorder, clock, "in", beam="back")
    conn = db.conn()
    assert occupancy.current(conn)["value"] == 3
    assert occupancy.current(conn)["confidence"] == "good"
    assert state.get(conn, "footfall/entrance") == {"in": 3, "out": 1}
    assert state.get(conn, "footfall/back") == {"in": 1, "out": 0}
    counts = {(r[0], r[1]): r[2] for r in conn.execute("SELECT sensor, metric, value FROM daily_counts")}
    assert counts == {("entrance", "in"): 3, ("entrance", "out"): 1, ("back", "in"): 1}
    # retained topics coalesce: the latest cumulative totals across every beam pair
    assert outbox(conn, "footfall/in") == ["4"]
    assert outbox(conn, "footfall/out") == ["1"]
    assert outbox(conn, "occupancy") == ["3"]
    kinds = [r[0] for r in conn.execute("SELECT kind FROM sensor_events")]
    assert kinds.count("passed") == 5


def test_never_below_zero_and_uncertain_after_an_out_from_nobody(
    recorder: Recorder, db: Database, clock: ManualClock
) -> None:
    passes(recorder, clock, "in", "out", "out")
    now = occupancy.current(db.conn())
    assert now["value"] == 0
    assert now["confidence"] == "uncertain"
    passes(recorder, clock, "in")
    assert occupancy.current(db.conn()) | {"since_reset": None} == {"value": 1, "confidence": "uncertain", "since_reset": None}


def test_an_obstruction_makes_the_estimate_uncertain_and_the_beam_a_fault(
    recorder: Recorder, db: Database, clock: ManualClock
) -> None:
    passes(recorder, clock, "in")
    recorder.write([BeamObstructed(beam="entrance", which="outer", at=clock.advance(10))])
    conn = db.conn()
    assert occupancy.current(conn)["confidence"] == "uncertain"
    row = conn.execute("SELECT status, detail, since FROM health WHERE component = 'beam/entrance'").fetchone()
    # 09:00:15 UTC is 09:00 in London in March
    assert tuple(row) == ("fault", "outer beam obstructed since 09:00", "2026-03-02T09:00:15.000Z")
    recorder.write([BeamCleared(beam="entrance", at=clock.advance(10))])
    assert conn.execute("SELECT status FROM health WHERE component = 'beam/entrance'").fetchone()[0] == "ok"


def test_sensor_health_events_are_recorded_with_since_when(recorder: Recorder, db: Database, clock: ManualClock) -> None:
    clock.set(datetime(2026, 7, 1, 9, 42, tzinfo=UTC))  # summer time: 10:42 in London
    recorder.write([SensorHealthChanged(sensor="cardreader", status="unplugged", detail="unplugged", at=clock.now())])
    row = db.conn().execute("SELECT status, detail FROM health WHERE component = 'cardreader'").fetchone()
    assert tuple(row) == ("unplugged", "unplugged since 10:42")
    recorder.write([SensorHealthChanged(sensor="cardreader", status="ok", at=clock.now())])
    row = db.conn().execute("SELECT status, detail FROM health WHERE component = 'cardreader'").fetchone()
    assert tuple(row) == ("ok", "")


def test_reset_by_hand_from_any_role(recorder: Recorder, db: Database, config: Config, clock: ManualClock) -> None:
    passes(recorder, clock, "in", "in", "out", "out", "out")
    at = clock.advance(60)
    with db.write() as conn:
        previous = occupancy.reset(conn, config, at, "everyone left")
    assert previous == 0
    conn = db.conn()
    assert occupancy.current(conn) == {"value": 0, "confidence": "good", "since_reset": "2026-03-02T09:01:25.000Z"}
    event = conn.execute("SELECT kind, data FROM sensor_events WHERE kind = 'occupancy_reset'").fetchone()
    assert event[0] == "occupancy_reset" and '"reason": "everyone left"' in event[1]
    assert outbox(conn, "occupancy") == ["0"]
    assert state.get(conn, "footfall/entrance") == {"in": 2, "out": 3}  # footfall is cumulative


def test_reset_needs_a_reason(db: Database, config: Config, clock: ManualClock) -> None:
    with pytest.raises(occupancy.OccupancyError, match="why"), db.write() as conn:
        occupancy.reset(conn, config, clock.now(), "  ")


def test_the_closing_time_job_resets_once_after_closing(
    config: Config, recorder: Recorder, db: Database, clock: ManualClock
) -> None:
    # Monday closes 22:00 London time (22:00 UTC in March)
    last_run: dict[str, float] = {}
    housekeeping.run_due(JOBS, db, config, clock, last_run)
    assert db.conn().execute("SELECT count(*) FROM sensor_events").fetchone()[0] == 0  # nothing counted: no reset
    passes(recorder, clock, "in", "in", "in")
    assert occupancy.current(db.conn())["since_reset"] == "2026-03-02T09:00:05.000Z"  # counting began
    clock.advance(60)  # the monotonic clock must move for the job to be due
    clock.set(datetime(2026, 3, 2, 21, 59, tzinfo=UTC))
    housekeeping.run_due(JOBS, db, config, clock, last_run)
    assert occupancy.current(db.conn())["value"] == 3
    clock.advance(60)
    clock.set(datetime(2026, 3, 2, 22, 1, 30, tzinfo=UTC))
    housekeeping.run_due(JOBS, db, config, clock, last_run)
    now = occupancy.current(db.conn())
    assert now["value"] == 0 and now["since_reset"] == "2026-03-02T22:01:30.000Z"
    assert not occupancy.reset_if_closed(db, config, clock)  # once per closing
    # the agent was off at closing time: the first run after it resets
    passes(recorder, clock, "in")
    clock.set(datetime(2026, 3, 3, 23, 30, tzinfo=UTC))
    assert occupancy.reset_if_closed(db, config, clock)


def test_last_closing_handles_closed_days_and_midnight(config: Config) -> None:
    from appliance.core.config import OpeningHours, SiteConfig

    site = SiteConfig(opening_hours=OpeningHours(mon="closed", sun="10:00-24:00"))
    cfg = config.with_changes(site=site)
    # Monday 2 March 2026 at noon: Monday is closed; Sunday closed at midnight
    closing = occupancy.last_closing(cfg, datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    assert closing == datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
