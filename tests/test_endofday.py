"""End of day: people still signed in at closing are marked presumed left, never deleted,
and the next morning's dashboard lists them."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from dashboard_support import log_in, make_admin, sign_in_person, sign_in_visitor

from appliance.core.clock import ManualClock, iso
from appliance.core.config import Config, OpeningHours
from appliance.people import endofday, visits
from appliance.sensing import housekeeping
from appliance.storage import settings
from appliance.storage.db import Database
from doorstep.agent import JOBS

# The fixture clock starts Monday 2026-03-02 09:00 UTC; Europe/London is on GMT then, and
# the default Monday hours are 09:00-22:00.
CLOSING = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)


def test_nothing_happens_before_closing(db: Database, config: Config, clock: ManualClock) -> None:
    sign_in_visitor(db, config, clock.now(), "Grace Hopper")
    clock.set(datetime(2026, 3, 2, 21, 59, tzinfo=UTC))
    assert endofday.sweep(db, config, clock.now()) == []
    assert len(visits.signed_in_now(db.conn())) == 1


def test_open_visits_are_presumed_left_at_closing_time(db: Database, config: Config, clock: ManualClock) -> None:
    guest = sign_in_visitor(db, config, clock.now(), "Grace Hopper")
    helper = sign_in_person(db, config, clock.advance(hours=1), "Ada Lovelace", activity="Cafe")
    clock.set(datetime(2026, 3, 2, 22, 5, tzinfo=UTC))
    ended = endofday.sweep(db, config, clock.now())
    assert {v.id for v in ended} == {guest.id, helper.id}
    for visit_id in (guest.id, helper.id):
        row = db.conn().execute("SELECT * FROM visits WHERE id = ?", (visit_id,)).fetchone()
        assert row is not None, "a visit was deleted"
        assert row["end_reason"] == "presumed_left"
        assert row["signed_out_at"] == iso(CLOSING)
    assert row["signed_in_at"] == iso(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    assert visits.signed_in_now(db.conn()) == []
    assert endofday.sweep(db, config, clock.now()) == []  # a second run changes nothing


def test_someone_in_after_closing_waits_for_the_next_closing(db: Database, config: Config,
                                                              clock: ManualClock) -> None:
    clock.set(datetime(2026, 3, 2, 22, 30, tzinfo=UTC))
    late = sign_in_visitor(db, config, clock.now(), "Night Owl")
    clock.set(datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
    assert endofday.sweep(db, config, clock.now()) == []
    clock.set(datetime(2026, 3, 3, 22, 1, tzinfo=UTC))
    assert [v.id for v in endofday.sweep(db, config, clock.now())] == [late.id]
    ended = visits.get(db.conn(), late.id)
    assert ended is not None and ended.signed_out_at == iso(datetime(2026, 3, 3, 22, 0, tzinfo=UTC))


def test_closing_uses_the_site_timezone(db: Database, config: Config, clock: ManualClock) -> None:
    # Summer time: 22:00 in London is 21:00 UTC
    clock.set(datetime(2026, 7, 6, 12, 0, tzinfo=UTC))
    visit = sign_in_visitor(db, config, clock.now(), "Summer Visitor")
    clock.set(datetime(2026, 7, 6, 21, 1, tzinfo=UTC))
    assert [v.id for v in endofday.sweep(db, config, clock.now())] == [visit.id]
    ended = visits.get(db.conn(), visit.id)
    assert ended is not None and ended.signed_out_at == iso(datetime(2026, 7, 6, 21, 0, tzinfo=UTC))


def test_closed_days_are_skipped_and_dashboard_overrides_count(db: Database, config: Config,
                                                                clock: ManualClock) -> None:
    hours = dataclasses.replace(OpeningHours(), mon="09:00-12:00", tue="closed")
    cfg = config.with_changes(site=dataclasses.replace(config.site, opening_hours=hours))
    assert endofday.closing_after(cfg, clock.now()) == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    late = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
    assert endofday.closing_after(cfg, late) == datetime(2026, 3, 4, 22, 0, tzinfo=UTC)  # Tuesday closed
    # an admin moved Monday's closing to 18:00 on the dashboard
    conn = db.conn()
    settings.save(conn, config, {"site.opening_hours.mon": "09:00-18:00"}, iso(clock.now()))
    visit = sign_in_visitor(db, config, clock.now(), "Override Test")
    clock.set(datetime(2026, 3, 2, 18, 1, tzinfo=UTC))
    assert [v.id for v in endofday.sweep(db, config, clock.now())] == [visit.id]


def test_an_always_closed_site_has_no_closing(config: Config, clock: ManualClock) -> None:
    closed = OpeningHours(**{d: "closed" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    cfg = config.with_changes(site=dataclasses.replace(config.site, opening_hours=closed))
    assert endofday.closing_after(cfg, clock.now()) is None


def test_the_agent_runs_it_as_a_housekeeping_job(db: Database, config: Config, clock: ManualClock) -> None:
    sign_in_visitor(db, config, clock.now(), "Grace Hopper")
    clock.set(datetime(2026, 3, 2, 22, 1, tzinfo=UTC))
    ran = housekeeping.run_due(JOBS, db, config, clock, {})
    assert "endofday.presumed_left" in ran
    assert visits.signed_in_now(db.conn()) == []


def test_next_mornings_dashboard_lists_them(app, client, db: Database, config: Config,  # type: ignore[no-untyped-def]
                                            clock: ManualClock) -> None:
    sign_in_visitor(db, config, clock.now(), "Grace Hopper")
    make_admin(db, clock.now())
    clock.set(datetime(2026, 3, 2, 22, 1, tzinfo=UTC))
    endofday.sweep(db, config, clock.now())
    clock.set(datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    log_in(client)
    page = client.get("/dashboard/").get_data(as_text=True)
    assert 'id="presumed-left"' in page and "Grace Hopper" in page
    # a day later still (after Tuesday's closing) it is no longer news
    clock.set(datetime(2026, 3, 4, 9, 0, tzinfo=UTC))
    assert "Grace Hopper" not in client.get("/dashboard/").get_data(as_text=True)
