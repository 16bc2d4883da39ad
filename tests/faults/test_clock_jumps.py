"""The wall clock jumps forwards and backwards, as on a Pi with no real-time clock when NTP
corrects it after boot: counts, occupancy, visits and bookings stay sane.

The domain code runs in this process with a ManualClock, whose ``set`` jumps the wall
clock while the monotonic clock stands still (exactly what NTP does).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from itertools import combinations

import pytest

from appliance.booking import attendance, bookings
from appliance.core.clock import ManualClock, parse_iso
from appliance.core.config import Config
from appliance.core.events import Passed
from appliance.people import visits
from appliance.sensing import occupancy
from appliance.sensing.housekeeping import run_due
from appliance.sensing.recorder import Recorder
from appliance.storage import state
from appliance.storage.db import Database
from doorstep.agent import JOBS, RULES
from doorstep.seed import seed_demo

pytestmark = pytest.mark.faults

BASE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday; Europe/London is UTC in March
JUMPS = [timedelta(hours=-1), timedelta(hours=1), timedelta(days=-1), timedelta(days=1), timedelta(minutes=-7),
         timedelta(minutes=13), timedelta(hours=-10), timedelta(hours=9), timedelta(days=-400), timedelta(days=400)]


def _jump(clock: ManualClock, rng: random.Random) -> None:
    """Jump the wall clock somewhere near the base time (never far from the real day for long)."""
    target = clock.now() + rng.choice(JUMPS)
    if abs(target - BASE) > timedelta(days=3):
        target = BASE + timedelta(minutes=rng.randrange(-600, 600))
    clock.set(target)


def _sane_counts(db: Database) -> None:
    conn = db.conn()
    negative = conn.execute("SELECT day, sensor, metric, value FROM daily_counts WHERE value < 0").fetchall()
    assert not negative, f"negative daily counts: {[tuple(r) for r in negative]}"
    now = occupancy.current(conn)
    assert now["value"] >= 0, f"occupancy went negative: {now}"
    backwards = conn.execute(
        "SELECT id, signed_in_at, signed_out_at FROM visits WHERE signed_out_at < signed_in_at"
    ).fetchall()
    assert not backwards, f"visits that ended before they began (negative hours): {[tuple(r) for r in backwards]}"


def test_counts_occupancy_and_visits_stay_sane_while_the_clock_jumps(
    db: Database, config: Config, clock: ManualClock
) -> None:
    rng = random.Random(3)
    recorder = Recorder(db, config, clock, RULES)
    ins = outs = 0
    open_visits: list[int] = []
    conn = db.conn()
    for step in range(400):
        if step % 7 == 0:
            _jump(clock, rng)
        clock.advance(rng.uniform(1, 90))
        action = rng.random()
        if action < 0.6:
            direction = "in" if rng.random() < 0.55 else "out"
            recorder.write([Passed(beam="entrance", direction=direction, at=clock.now())])
            ins += direction == "in"
            outs += direction == "out"
        elif action < 0.8 or not open_visits:
            with db.write():
                visit = visits.sign_in(conn, config, clock.now(), kind="visitor", name=f"Visitor {step}")
            open_visits.append(visit.id)
        else:
            with db.write():
                visits.sign_out(conn, clock.now(), open_visits.pop(rng.randrange(len(open_visits))))
        _sane_counts(db)
    # every pass counted once, whatever day the clock said it was
    totals = dict(conn.execute(
        "SELECT metric, sum(value) FROM daily_counts WHERE sensor = 'entrance' GROUP BY metric").fetchall())
    assert (totals.get("in", 0), totals.get("out", 0)) == (ins, outs)
    assert state.get(conn, "footfall/entrance") == {"in": ins, "out": outs}


def _live_overlaps(db: Database) -> list[tuple]:
    rows = db.conn().execute(
        "SELECT id, room_id, block_start_at, block_end_at FROM bookings WHERE status IN ('confirmed', 'requested')"
    ).fetchall()
    clashes = []
    for a, b in combinations(rows, 2):
        if a["room_id"] == b["room_id"] and a["block_start_at"] < b["block_end_at"] and b["block_start_at"] < a["block_end_at"]:
            clashes.append((tuple(a), tuple(b)))
    return clashes


def test_bookings_never_overlap_while_the_clock_jumps(db: Database, config: Config, clock: ManualClock) -> None:
    seed_demo(db)
    rng = random.Random(5)
    conn = db.conn()
    made = refused = 0
    for step in range(250):
        if step % 5 == 0:
            _jump(clock, rng)
        clock.advance(rng.uniform(0, 600))
        day = BASE.date() + timedelta(days=rng.randrange(0, 4))
        start = datetime(day.year, day.month, day.day, rng.randrange(9, 20), rng.choice((0, 15, 30, 45)), tzinfo=UTC)
        request = bookings.BookingRequest(
            room=rng.choice(("main-hall", "green-room")), start=start,
            end=start + timedelta(minutes=rng.choice((15, 30, 60, 90))), title=f"Meeting {step}",
            organiser="Sam",
        )
        try:
            bookings.book(conn, config, request, clock.now())
            made += 1
        except bookings.BookingError:
            refused += 1
        attendance.release_no_shows(conn, config, clock.now())
        assert not _live_overlaps(db), f"overlapping bookings after step {step}: {_live_overlaps(db)[:3]}"
    assert made > 10 and refused > 10, f"the sequence did not exercise both outcomes ({made} made, {refused} refused)"


def _book_ten_oclock(db: Database, config: Config, now: datetime) -> bookings.Booking:
    start = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    request = bookings.BookingRequest(room="main-hall", start=start, end=start + timedelta(hours=1),
                                      title="Choir", organiser="Sam")
    return bookings.book(db.conn(), config, request, now).booking


def test_no_show_release_is_not_fooled_by_the_clock_jumping_back(db: Database, config: Config, clock: ManualClock) -> None:
    seed_demo(db)  # main-hall opts in to releasing no-shows
    conn = db.conn()
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    arrived = _book_ten_oclock(db, config, clock.now())
    clock.set(datetime(2026, 3, 2, 10, 5, tzinfo=UTC))
    attendance.check_in(conn, config, arrived.id, clock.now())
    # NTP pulls a fast clock back an hour, then time runs on past the no-show limit
    last_run: dict[str, float] = {}
    clock.set(datetime(2026, 3, 2, 9, 5, tzinfo=UTC))
    for _ in range(150):  # 150 minutes of housekeeping from the jumped-back time
        run_due(JOBS, db, config, clock, last_run)
        assert bookings.get_booking(conn, arrived.id).status == "confirmed", (
            f"a checked-in booking was released at {clock.now()} after the clock jumped back"
        )
        clock.advance(60)
    assert bookings.get_booking(conn, arrived.id).checked_in_at == parse_iso("2026-03-02T10:05:00Z")


def test_no_show_release_waits_for_the_real_time_after_a_jump(db: Database, config: Config, clock: ManualClock) -> None:
    seed_demo(db)
    conn = db.conn()
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    nobody = _book_ten_oclock(db, config, clock.now())
    limit = nobody.start + timedelta(minutes=config.bookings.no_show_minutes)
    # the clock jumps back (to yesterday, then to an hour before), the job runs at each moment
    for moment in (datetime(2026, 3, 1, 10, 30, tzinfo=UTC), datetime(2026, 3, 2, 9, 10, tzinfo=UTC),
                   limit - timedelta(minutes=1)):
        clock.set(moment)
        attendance.release_no_shows(conn, config, clock.now())
        assert bookings.get_booking(conn, nobody.id).status == "confirmed", f"released early, at {moment}"
    clock.set(limit + timedelta(minutes=1))
    released = attendance.release_no_shows(conn, config, clock.now())
    assert [b.id for b in released] == [nobody.id]
    # and a later jump back does not bring it back or release anything twice
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    assert attendance.release_no_shows(conn, config, clock.now()) == []
    assert bookings.get_booking(conn, nobody.id).status == "released"
