"""The demo data: rooms, people, and a day of bookings with a weekly series."""

from __future__ import annotations

from appliance.clock import ManualClock
from appliance.config import Config
from appliance.db import Database
from appliance.seed import seed_bookings, seed_demo
from appliance.whatson import todays_public


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
