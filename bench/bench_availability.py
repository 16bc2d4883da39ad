"""A room's free slots for a day: cost at 100,000 bookings over cost at 100 (goal <= 2).

Both databases are real SQLite files with the same room; the bookings are spread over
the past and future so the looked-up day sits in the middle of the history.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from appliance.booking.availability import free_slots
from appliance.booking.rooms import Room, create_room
from appliance.core.clock import ManualClock, iso
from appliance.core.config import Config, DatabaseConfig
from appliance.storage.db import Database
from bench.harness import Figure

DAY = date(2026, 6, 10)


def _database(folder: Path, count: int) -> tuple[Database, Config]:
    config = Config().with_changes(database=DatabaseConfig(path=str(folder / f"b{count}.db")))
    db = Database(config.database.path, ManualClock(datetime(2026, 6, 10, 6, 0, tzinfo=UTC)))
    db.migrate()
    conn = db.conn()
    with db.write():
        create_room(conn, Room(id="hall", name="Hall", setup_minutes=15, cleanup_minutes=15), db.clock.now())
        first = datetime(2026, 6, 10, 9, 0, tzinfo=UTC) - timedelta(hours=2 * (count // 2))
        rows = []
        for i in range(count):  # one 1-hour booking every 2 hours, around the clock
            start = first + timedelta(hours=2 * i)
            rows.append((f"R{i:07d}", "hall", iso(start), iso(start + timedelta(hours=1)),
                         iso(start - timedelta(minutes=15)), iso(start + timedelta(minutes=75)), "t", "o", "confirmed", "x", "n", "n"))
        conn.executemany(
            "INSERT INTO bookings (reference, room_id, start_at, end_at, block_start_at, block_end_at, title, organiser,"
            " status, cancel_code_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.execute("ANALYZE")
    return db, config


def _cost(db: Database, config: Config, rounds: int = 400) -> float:
    conn, now = db.conn(), db.clock.now()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        free_slots(conn, "hall", DAY, config, now)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1e6


def run() -> list[Figure]:
    """Median lookup time at 100,000 bookings against 100 bookings."""
    with tempfile.TemporaryDirectory() as folder:
        small, small_config = _database(Path(folder), 100)
        large, large_config = _database(Path(folder), 100_000)
        try:
            _cost(small, small_config, 50), _cost(large, large_config, 50)  # warm caches
            floor = _cost(small, small_config)
            value = _cost(large, large_config)
        finally:
            small.close()
            large.close()
    # value and floor in the same unit, so the table's ratio is the cost ratio the goal is on
    return [Figure("a room's free slots for a day, at 100,000 bookings", value, floor, "us", "<= 2",
                   floor_name="the same lookup at 100 bookings")]
