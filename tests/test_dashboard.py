"""The live dashboard: occupancy now and through the day, doors, footfall by hour, who is
in, today's bookings, sensor health, broker link and outbox depth; live over SSE."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from dashboard_support import log_in, make_admin, record, sign_in_visitor
from live_support import Browser, sse

from appliance.core.clock import ManualClock, iso
from appliance.core.config import Config
from appliance.core.events import DoorClosed, DoorOpened, OccupancyReset, Passed
from appliance.storage.db import Database, transaction
from appliance.storage.state import set_health
from appliance.views import overview


def _passes(db: Database, config: Config, clock: ManualClock) -> None:
    at = clock.now()
    record(db, config, clock,
           Passed(at=at + timedelta(minutes=5), beam="front", direction="in"),
           Passed(at=at + timedelta(minutes=6), beam="front", direction="in"),
           Passed(at=at + timedelta(hours=1, minutes=10), beam="front", direction="in"),
           Passed(at=at + timedelta(hours=1, minutes=20), beam="front", direction="out"))


def test_occupancy_curve_replays_todays_passes(db: Database, config: Config, clock: ManualClock) -> None:
    _passes(db, config, clock)
    now = clock.advance(hours=2)
    curve = overview.occupancy_curve(db.conn(), config, now)
    assert [p.value for p in curve] == [0, 1, 2, 3, 2, 2]
    assert curve[0].at.hour == 0 and curve[-1].at == now.astimezone(config.site.zone)
    record(db, config, clock, OccupancyReset(at=now, reason="everyone left", previous=2))
    assert overview.occupancy_curve(db.conn(), config, clock.advance(minutes=1))[-1].value == 0


def test_footfall_by_hour_counts_ins_in_site_time(db: Database, config: Config, clock: ManualClock) -> None:
    _passes(db, config, clock)
    hours = overview.footfall_by_hour(db.conn(), config, clock.advance(hours=2))
    assert len(hours) == 24 and hours[9] == 2 and hours[10] == 1 and sum(hours) == 3


def test_yesterdays_passes_are_not_today(db: Database, config: Config, clock: ManualClock) -> None:
    record(db, config, clock, Passed(at=clock.now() - timedelta(days=1), beam="front", direction="in"))
    assert sum(overview.footfall_by_hour(db.conn(), config, clock.now())) == 0


def test_broker_link_and_outbox_depth(db: Database, clock: ManualClock) -> None:
    conn = db.conn()
    assert overview.broker_link(conn)["status"] == "unknown"
    with transaction(conn):
        set_health(conn, "broker", "offline", "connection refused", iso(clock.now()))
        conn.execute("INSERT INTO outbox (topic, payload, created_at) VALUES ('t', '{}', ?)", (iso(clock.now()),))
    link = overview.broker_link(conn)
    assert link["status"] == "offline" and link["detail"] == "connection refused" and link["depth"] >= 1


def test_dashboard_shows_everything(client, db: Database, config: Config, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    cfg = config
    _passes(db, cfg, clock)
    record(db, cfg, clock, DoorOpened(at=clock.now(), door="front"))
    sign_in_visitor(db, cfg, clock.now(), "Grace Hopper")
    with transaction(db.conn()):
        set_health(db.conn(), "cardreader", "unplugged", "no reader on /dev/serial0", iso(clock.now()))
    make_admin(db, clock.now())
    clock.advance(hours=2)
    log_in(client)
    page = client.get("/dashboard/").get_data(as_text=True)
    assert 'id="occupancy-value">2<' in page
    assert 'data-door="front"' in page and ">open<" in page
    assert 'id="footfall-total">3<' in page
    assert "Grace Hopper" in page
    assert "cardreader" in page and "unplugged" in page
    assert 'id="outbox-depth">' in page and re.search(r"Broker:\s*<strong>not known yet", page)
    assert page.count("<svg") == 2 and "Occupancy today" in page


def test_live_stream_sends_sections_after_a_door_edge(live_server, db: Database, config: Config,  # type: ignore[no-untyped-def]
                                                      clock: ManualClock) -> None:
    make_admin(db, clock.now())
    browser = Browser(live_server.url)
    assert browser.log_in() == 302
    frames = (data for event, data in sse(live_server.port, "/dashboard/live", cookie=browser.cookie_header())
              if event == "sections")
    first = next(frames)
    assert set(first) == {"occupancy", "doors", "footfall", "people", "bookings", "rota", "decisions", "health"}
    record(db, config, clock, DoorOpened(at=clock.now(), door="front"))
    for frame in frames:
        if 'data-door="front"' in frame["doors"] and ">open<" in frame["doors"]:
            break
    record(db, config, clock, DoorClosed(at=clock.advance(seconds=5), door="front"))
    for frame in frames:
        if ">closed<" in frame["doors"]:
            break
    frames.close()


def test_live_stream_needs_a_login(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/dashboard/live", headers={"Accept": "text/event-stream"})
    assert response.status_code == 401


def test_health_rows_put_faults_first(db: Database, clock: ManualClock) -> None:
    conn = db.conn()
    with transaction(conn):
        set_health(conn, "door/front", "ok", "", iso(clock.now()))
        set_health(conn, "beams/front", "fault", "stuck", iso(clock.now()))
    assert [r["component"] for r in overview.health_rows(conn)] == ["beams/front", "door/front"]


def test_doors_list_configured_doors_even_before_an_edge(db: Database, config: Config) -> None:
    import dataclasses

    from appliance.core.config import DoorConfig

    cfg = config.with_changes(doors=(DoorConfig(id="back", pin=22, name="Back door"),))
    assert overview.doors(db.conn(), cfg) == [
        {"id": "back", "name": "Back door", "state": "unknown", "since": None, "held_open": False}]
    assert dataclasses.is_dataclass(cfg)


def test_times_show_in_site_time(client, db: Database, config: Config, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 7, 6, 9, 0, tzinfo=UTC))  # 10:00 in London (BST)
    sign_in_visitor(db, config, clock.now(), "Summer Visitor")
    make_admin(db, clock.now())
    log_in(client)
    assert "in at Mon 6 Jul, 10:00" in client.get("/dashboard/").get_data(as_text=True)
