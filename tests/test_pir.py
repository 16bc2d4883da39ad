"""A PIR counts motion once per re-arm period, and its rule keeps the counts."""

from __future__ import annotations

from appliance.core.clock import ManualClock
from appliance.core.config import Config, PirConfig
from appliance.core.events import Event, MotionDetected
from appliance.sensing.recorder import Recorder
from appliance.storage import state
from appliance.storage.db import Database
from doorstep.agent import RULES
from sensors.pins import ClockedMockFactory
from sensors.pir import PirCounter


def test_motion_within_the_rearm_time_counts_once(clocked_pins: ClockedMockFactory, clock: ManualClock) -> None:
    events: list[Event] = []
    pir = PirCounter(PirConfig(id="hall", pin=4, rearm_seconds=8), events.append, clock)
    try:
        pin = clocked_pins.pin(4)
        for _ in range(5):  # someone walking about for 4 s
            pin.drive_high()
            clock.advance(0.5)
            pin.drive_low()
            clock.advance(0.5)
        clock.advance(4)  # 8 s after the first motion
        pin.drive_high()
        pin.drive_low()
        motions = [e for e in events if isinstance(e, MotionDetected)]
        assert [m.pir for m in motions] == ["hall", "hall"]
        assert pir.count == 2
    finally:
        pir.close()


def test_motion_counts_by_day_and_in_state(config: Config, db: Database, clock: ManualClock) -> None:
    recorder = Recorder(db, config, clock, RULES)
    recorder.write([MotionDetected(pir="hall", at=clock.now()), MotionDetected(pir="hall", at=clock.advance(60))])
    conn = db.conn()
    assert state.get(conn, "motion/hall") == {"count": 2, "last": "2026-03-02T09:01:00.000Z"}
    row = conn.execute("SELECT day, value FROM daily_counts WHERE sensor = 'hall' AND metric = 'motion'").fetchone()
    assert tuple(row) == ("2026-03-02", 2)
