"""Retention: each kind of record goes after its own number of days; counts stay."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from appliance.core.clock import ManualClock, iso
from appliance.core.config import Config, PrivacyConfig
from appliance.people import register, visits
from appliance.privacy import retention
from appliance.sensing import housekeeping
from appliance.storage import audit, settings
from appliance.storage.db import Database
from doorstep.agent import JOBS


def _event(conn, at: str, uid: str) -> None:
    conn.execute("INSERT INTO sensor_events (id, at, kind, sensor, data) VALUES (?, ?, 'door_opened', 'front', '{}')",
                 (uid, at))


def _booking(conn, ref: str, end: str, organiser: str = "Grace Hopper") -> None:
    conn.execute(
        "INSERT INTO bookings (reference, room_id, start_at, end_at, block_start_at, block_end_at, title,"
        " organiser, contact, group_name, status, cancel_code_hash, created_at, updated_at)"
        " VALUES (?, 'hall', ?, ?, ?, ?, 'Choir', ?, '07700 900123', 'Choir group', 'confirmed', 'x', ?, ?)",
        (ref, end, end, end, end, organiser, end, end),
    )


@pytest.fixture
def history(db: Database, config: Config, clock: ManualClock) -> dict:
    """Records on both sides of every limit: 'old' is past it, 'new' within it."""
    conn = db.conn()
    now = clock.now()
    p = config.privacy
    with db.write():
        conn.execute("INSERT INTO rooms (id, name, created_at) VALUES ('hall', 'Main Hall', ?)", (iso(now),))
        member = register.create(conn, now, name="Ada Lovelace", kind="member")
        old_visitor = visits.sign_in(conn, config, now - timedelta(days=p.visitor_days + 1), kind="visitor",
                                     name="Old Visitor", visiting="the cafe")
        new_visitor = visits.sign_in(conn, config, now - timedelta(days=p.visitor_days - 1), kind="visitor",
                                     name="New Visitor", visiting="the cafe")
        old_member = visits.sign_in(conn, config, now - timedelta(days=p.member_visit_days + 1), kind="member",
                                    person_id=member.id)
        visits.sign_out(conn, now - timedelta(days=p.member_visit_days + 1) + timedelta(hours=3),
                        old_member.id)
        new_member = visits.sign_in(conn, config, now - timedelta(days=p.visitor_days + 5), kind="member",
                                    person_id=member.id)
        _event(conn, iso(now - timedelta(days=p.sensor_event_days + 1)), "old-event")
        _event(conn, iso(now - timedelta(days=p.sensor_event_days - 1)), "new-event")
        _booking(conn, "OLD", iso(now - timedelta(days=p.booking_contact_days + 1)))
        _booking(conn, "NEW", iso(now - timedelta(days=p.booking_contact_days - 1)))
        audit.record(conn, "admin", "old_action", "", now - timedelta(days=p.audit_days + 1))
        audit.record(conn, "admin", "new_action", "", now - timedelta(days=1))
        # Who took a date of a shift: kept as long as the visits it is matched with.
        conn.execute("INSERT INTO shifts (id, activity, rrule, dtstart_local, needs, created_at, updated_at)"
                     " VALUES (1, 'Cafe', 'FREQ=WEEKLY', '2020-01-06T10:00', 1, 'x', 'x')")
        for days in (p.member_visit_days + 2, p.member_visit_days - 2):  # one past the limit, one within
            day = (now - timedelta(days=days)).date().isoformat()
            conn.execute("INSERT INTO shift_signups (shift_id, day, person_id, source, created_at)"
                         " VALUES (1, ?, ?, 'kiosk', 'x')", (day, member.id))
    return {"old_visitor": old_visitor.id, "new_visitor": new_visitor.id,
            "old_member": old_member.id, "new_member": new_member.id, "member": member.id}


def test_each_kind_goes_after_its_own_limit(db: Database, config: Config, clock: ManualClock, history: dict) -> None:
    conn = db.conn()
    counts_before = conn.execute("SELECT * FROM daily_counts ORDER BY day, sensor, metric").fetchall()
    result = retention.purge_now(conn, config, clock.now())
    assert result.as_dict() == {"visitor_visits": 1, "member_visits": 1, "sensor_events": 1,
                                "booking_contacts": 1, "audit_entries": 1, "login_attempts": 0, "rota_signups": 1}
    assert conn.execute("SELECT count(*) FROM shift_signups").fetchone()[0] == 1
    old = visits.get(conn, history["old_visitor"])
    assert old is not None and old.name is None and old.visiting == "" and old.kind == "visitor"
    assert old.signed_in_at  # times stay so counts stay right
    assert visits.get(conn, history["new_visitor"]).name == "New Visitor"  # type: ignore[union-attr]
    old_m = visits.get(conn, history["old_member"])
    assert old_m is not None and old_m.person_id is None and old_m.kind == "member" and old_m.signed_out_at
    assert visits.get(conn, history["new_member"]).person_id == history["member"]  # type: ignore[union-attr]
    assert [r[0] for r in conn.execute("SELECT id FROM sensor_events")] == ["new-event"]
    rows = {r["reference"]: (r["organiser"], r["contact"], r["group_name"], r["title"])
            for r in conn.execute("SELECT * FROM bookings")}
    assert rows == {"OLD": ("", "", "Choir group", "Choir"),
                    "NEW": ("Grace Hopper", "07700 900123", "Choir group", "Choir")}
    assert [e.action for e in audit.recent(conn)] == ["new_action"]
    assert conn.execute("SELECT * FROM daily_counts ORDER BY day, sensor, metric").fetchall() == counts_before
    assert conn.execute("SELECT count(*) FROM visits").fetchone()[0] == 4


def test_a_second_purge_finds_nothing_and_the_last_run_is_kept(db: Database, config: Config,
                                                                clock: ManualClock, history: dict) -> None:
    conn = db.conn()
    retention.purge_now(conn, config, clock.now())
    again = retention.purge_now(conn, config, clock.now())
    assert again.total == 0
    last = retention.last_purge(conn)
    assert last == {"at": iso(clock.now()), "counts": again.as_dict()}


def test_days_come_from_the_dashboard_override(db: Database, config: Config, clock: ManualClock,
                                               history: dict) -> None:
    conn = db.conn()
    with db.write():
        settings.save(conn, config, {"privacy.visitor_days": "10"}, iso(clock.now()))
    result = retention.purge_now(conn, config, clock.now())
    assert result.visitor_visits == 2  # the 29-day-old visitor is now past the limit too


def test_a_tighter_limit_in_the_file_purges_more(db: Database, config: Config, clock: ManualClock,
                                                 history: dict) -> None:
    tight = config.with_changes(privacy=dataclasses.replace(PrivacyConfig(), member_visit_days=1))
    assert retention.purge_now(db.conn(), tight, clock.now()).member_visits == 2


def test_the_agent_runs_the_purge_daily(db: Database, config: Config, clock: ManualClock, history: dict) -> None:
    last_run: dict[str, float] = {}
    assert "retention_purge" in housekeeping.run_due(JOBS, db, config, clock, last_run)
    assert retention.last_purge(db.conn())["counts"]["sensor_events"] == 1  # type: ignore[index]
    clock.advance(hours=23)
    assert "retention_purge" not in housekeeping.run_due(JOBS, db, config, clock, last_run)
    clock.advance(hours=1)
    assert "retention_purge" in housekeeping.run_due(JOBS, db, config, clock, last_run)


def test_ended_login_pauses_go_after_a_day(db: Database, config: Config, clock: ManualClock) -> None:
    from appliance.people.lockout import Lockout

    pauses = Lockout("dashboard")
    for _ in range(5):
        pauses.failed(db.conn(), "alice", "192.0.2.7", clock.now())
    clock.advance(hours=2)
    for _ in range(5):
        pauses.failed(db.conn(), "bob", "192.0.2.7", clock.now())
    assert retention.purge_now(db.conn(), config, clock.now()).login_attempts == 0
    clock.advance(hours=22, minutes=56)
    assert retention.purge_now(db.conn(), config, clock.now()).login_attempts == 1
    assert db.conn().execute("SELECT count(*) FROM login_locks").fetchone()[0] == 1
