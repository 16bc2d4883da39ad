"""The demo data: rooms, people, and a day of bookings with a weekly series."""

from __future__ import annotations

from appliance.booking.whatson import todays_public
from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.storage.db import Database
from doorstep.seed import seed_bookings, seed_decisions, seed_demo, seed_rota


def test_demo_has_a_whats_on(db: Database, config: Config, clock: ManualClock) -> None:
    seed_demo(db)
    made = seed_bookings(db, config)
    assert made >= 4
    conn = db.conn()
    titles = {b["title"] for b in todays_public(conn, config, clock.now())}
    assert "Toddler group" in titles
    assert "Tenants' association" not in titles  # private: never shown by its title
    weekly = conn.execute("SELECT count(*) FROM bookings WHERE title = 'Community choir'").fetchone()[0]
    assert weekly == 8


def test_seeding_twice_is_harmless(db: Database, config: Config) -> None:
    seed_demo(db)
    seed_demo(db)
    assert db.conn().execute("SELECT count(*) FROM rooms").fetchone()[0] == 3


def test_eight_weeks_of_history_give_every_report_a_chart(db: Database, config: Config, clock: ManualClock) -> None:
    from datetime import timedelta

    from appliance.views import reports
    from doorstep.seed import seed_history

    seed_demo(db)
    passes = seed_history(db, config)
    assert passes > 1000
    assert seed_history(db, config) == 0  # once per database
    today = clock.now().date()
    start = today - timedelta(weeks=8)
    conn = db.conn()
    weekly = reports.build(conn, config, "footfall", start, today, clock.now(), "week")
    assert len(weekly.rows) == 9 and all(row[1] > 0 for row in weekly.rows[:-1])
    assert sum(row[1] for row in weekly.rows) * 2 == passes
    by_hour = reports.build(conn, config, "hours", start, today, clock.now())
    assert by_hour.chart is not None and max(v for _, v in by_hour.chart.bars) > 0
    kinds = dict(reports.build(conn, config, "visits", start, today, clock.now()).rows)
    assert {"visitor", "member", "volunteer"} <= set(kinds)
    activities = reports.build(conn, config, "activities", start, today, clock.now())
    assert {row[0] for row in activities.rows} >= {"Cafe", "Reception"}
    assert conn.execute("SELECT count(*) FROM visits WHERE signed_out_at IS NULL").fetchone()[0] == 0


def test_demo_has_a_rota_with_a_place_taken_and_volunteers_needed(db: Database, config: Config,
                                                                  clock: ManualClock) -> None:
    from appliance.people import register
    from appliance.rota import coverage, volunteers

    seed_demo(db)
    assert seed_rota(db, config) == 3
    assert seed_rota(db, config) == 0  # twice is harmless
    conn = db.conn()
    grace = register.by_member_number(conn, "M002")
    assert grace is not None and volunteers.activities_of(conn, grace.id) == ["Cafe", "Reception"]
    assert conn.execute("SELECT count(*) FROM shift_signups WHERE person_id = ?", (grace.id,)).fetchone()[0] == 1
    needed = coverage.needed(conn, config, clock.now())
    assert {n["title"] or n["activity"] for n in needed} == {"Cafe", "Opening up", "Friday social"}


def test_demo_has_a_vote_open_and_a_poll_closed(db: Database, config: Config, clock: ManualClock) -> None:
    from appliance.decisions import ballots, results

    seed_demo(db)
    assert seed_decisions(db, config) == 2
    assert seed_decisions(db, config) == 0  # twice is harmless
    conn = db.conn()
    [open_now] = ballots.open_now(conn, clock.now())
    assert open_now.title == "Open on Sunday afternoons"
    [closed] = [b for b in ballots.all_ballots(conn) if b.closed_at]
    assert results.result(conn, closed, clock.now()).counts == [1, 2, 0]
