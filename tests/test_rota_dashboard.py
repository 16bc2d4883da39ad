"""The rota on the dashboard through Flask's client: shifts added and changed in words,
the week as covered / taken but not yet in / uncovered, people put on and taken off,
dates left out, a volunteer's activities, and every change in the audit log."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from csrf_support import csrf_token
from dashboard_support import log_in, make_admin
from rota_support import make_shift, with_rota_activities

from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.people import register, visits
from appliance.rota import shifts, signups, volunteers
from appliance.storage.db import Database

FRIDAY = date(2026, 3, 6)


@pytest.fixture
def config(config: Config) -> Config:
    return with_rota_activities(config)


@pytest.fixture
def admin(client: Any, db: Database, clock: ManualClock) -> Any:
    make_admin(db, clock.now())
    log_in(client)
    return client


def post(client: Any, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client, "/dashboard/manage/"), **data})


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def audit(db: Database) -> list[str]:
    return [f"{r['action']} {r['detail']}" for r in db.conn().execute("SELECT * FROM audit_log ORDER BY id")
            if r["action"] not in ("login", "admin_created")]


def test_an_admin_adds_the_shifts_of_the_issue_in_words(admin: Any, db: Database, clock: ManualClock) -> None:
    form = {"activity": "Bar", "title": "", "repeat": "weekly", "days": ["FR"], "first_day": "2026-03-02",
            "start": "18:00", "end": "23:00", "needs": "2", "last_day": ""}
    added = post(admin, "/dashboard/manage/shifts/new", form)
    assert added.status_code == 302
    post(admin, "/dashboard/manage/shifts/new", {**form, "activity": "Breakfast show",
                                                  "days": ["MO", "TU", "WE", "TH", "FR"], "start": "07:00",
                                                  "end": "09:00", "needs": "1"})
    post(admin, "/dashboard/manage/shifts/new", {**form, "activity": "Opening up", "days": ["SA"], "start": "09:00",
                                                  "end": "", "needs": "1"})
    page = text(admin.get("/dashboard/manage/shifts"))
    for words in ("Every Friday, 18:00-23:00", "Every weekday, 07:00-09:00", "Every Saturday, 09:00"):
        assert words in page
    assert [a.split()[0] for a in audit(db)] == ["shift_created"] * 3


def test_a_wrong_shift_form_says_what_to_fix_and_keeps_what_was_typed(admin: Any, db: Database) -> None:
    bad = post(admin, "/dashboard/manage/shifts/new", {"activity": "Bar", "title": "Late bar", "repeat": "weekly",
                                                         "days": ["FR"], "first_day": "2026-03-02", "start": "6pm",
                                                         "end": "", "needs": "2"})
    page = text(bad)
    assert bad.status_code == 400 and "is not a time; type it like 18:00" in page and 'value="Late bar"' in page
    assert 'id="start-error"' in page and shifts.list_shifts(db.conn(), FRIDAY) == []
    for odd in ({"needs": "\x00"}, {"first_day": "9999-01-01"}, {"title": "\ud800"}, {"activity": "x" * 5000}):
        form = {"activity": "Bar", "repeat": "weekly", "first_day": "2026-03-02", "start": "18:00", "needs": "1", **odd}
        try:
            response = post(admin, "/dashboard/manage/shifts/new", form)
        except UnicodeEncodeError:
            continue  # the test client cannot send a lone surrogate; a browser cannot either
        assert response.status_code == 400, odd


def test_changing_a_shift_keeps_its_days_and_its_people(
    admin: Any, db: Database, config: Config, clock: ManualClock
) -> None:
    bar = make_shift(db.conn(), clock.now(), "Bar", days=("FR",), start="18:00", end="23:00", needs=2)
    with db.write() as conn:
        siân = register.create(conn, clock.now(), name="Siân Llŷr ap Gwilym", kind="volunteer")
    signups.take(db.conn(), config, clock.now(), person_id=siân.id, shift_id=bar.id, day=FRIDAY, source="kiosk")
    changed = post(admin, f"/dashboard/manage/shifts/{bar.id}",
                   {"activity": "Bar", "title": "", "start": "19:00", "end": "23:30", "needs": "3", "last_day": ""})
    assert changed.status_code == 302
    assert "Every Friday, 19:00-23:30" in text(admin.get(f"/dashboard/manage/shifts/{bar.id}"))
    assert "Siân Llŷr ap Gwilym" in text(admin.get(f"/dashboard/rota/date/{bar.id}/2026-03-06"))
    assert admin.get("/dashboard/manage/shifts/999").status_code == 404


def test_the_week_shows_each_state_and_who_came(
    admin: Any, db: Database, config: Config, clock: ManualClock
) -> None:
    conn = db.conn()
    show = make_shift(conn, clock.now(), "Breakfast show", days=("MO",), start="07:00", end="09:30")
    bar = make_shift(conn, clock.now(), "Bar", days=("MO",), start="18:00", end="23:00")
    make_shift(conn, clock.now(), "Opening up", days=("SA",), start="09:00")
    with db.write() as tx:
        dafydd = register.create(tx, clock.now(), name="Dafydd Jones", kind="volunteer")
        ffion = register.create(tx, clock.now(), name="Ffion Hughes", kind="volunteer")
        visits.sign_in(tx, config, datetime(2026, 3, 2, 6, 55, tzinfo=UTC), kind="volunteer", person_id=dafydd.id)
    signups.take(conn, config, clock.now(), person_id=dafydd.id, shift_id=show.id, day=date(2026, 3, 2), source="kiosk")
    signups.take(conn, config, clock.now(), person_id=ffion.id, shift_id=bar.id, day=date(2026, 3, 2), source="kiosk")
    page = text(admin.get("/dashboard/rota/"))
    assert "1 covered" in page and "1 taken, not yet in" in page and "1 uncovered" in page
    assert 'class="rota-covered"' in page and "Dafydd Jones" in page and "✓" in page
    assert "Today 2 March" in page and "Saturday 7 March" in page and "Monday 9 March" not in page
    fortnight = text(admin.get("/dashboard/rota/?days=14"))
    assert "Monday 9 March" in fortnight and "Saturday 14 March" in fortnight and "Monday 16 March" not in fortnight
    # The dashboard's home shows today's.
    home = text(admin.get("/dashboard/"))
    assert "Volunteers today" in home and "Taken, not yet in" in home and "Breakfast show" in home


def test_an_admin_puts_people_on_takes_them_off_and_leaves_a_date_out(
    admin: Any, db: Database, config: Config, clock: ManualClock
) -> None:
    bar = make_shift(db.conn(), clock.now(), "Bar", days=("FR",), start="18:00", end="23:00", needs=1)
    with db.write() as tx:
        siân = register.create(tx, clock.now(), name="Siân Llŷr ap Gwilym", kind="volunteer")
        ada = register.create(tx, clock.now(), name="Ada Lovelace", kind="member")
    url = f"/dashboard/rota/date/{bar.id}/2026-03-06"
    page = text(admin.get(url))
    assert "Uncovered" in page and f'<option value="{siân.id}">Siân Llŷr ap Gwilym (volunteer)</option>' in page
    assert post(admin, url, {"action": "assign", "person": str(siân.id)}).status_code == 302
    full = post(admin, url, {"action": "assign", "person": str(ada.id)})
    assert full.status_code == 409 and "is full (1 of 1)" in text(full)
    for odd in ("", "x", "99999999999999999999999", "-1"):
        assert post(admin, url, {"action": "assign", "person": odd}).status_code == 400
    assert post(admin, url, {"action": "dance"}).status_code == 400
    assert post(admin, url, {"action": "remove", "person": str(siân.id)}).status_code == 302
    assert signups.between(db.conn(), FRIDAY, FRIDAY) == {}
    assert post(admin, url, {"action": "leave_out"}).status_code == 302
    assert "Left out" in text(admin.get(url)) and "Put this date back" in text(admin.get(url))
    assert "Left out" in text(admin.get("/dashboard/rota/"))
    assert post(admin, url, {"action": "put_back"}).status_code == 302
    assert [a.split()[0] for a in audit(db)] == [
        "rota_assigned", "rota_removed", "rota_date_left_out", "rota_date_put_back"]
    assert all("Siân" not in a for a in audit(db))  # the log names people by id
    for bad in (f"/dashboard/rota/date/{bar.id}/2026-03-07", f"/dashboard/rota/date/{bar.id}/0001-01-01",
                f"/dashboard/rota/date/{bar.id}/friday", "/dashboard/rota/date/999/2026-03-06"):
        assert admin.get(bad).status_code == 404, bad


def test_a_volunteers_activities_are_ticked_on_their_record(
    admin: Any, db: Database, config: Config, clock: ManualClock
) -> None:
    with db.write() as tx:
        siân = register.create(tx, clock.now(), name="Siân Llŷr ap Gwilym", kind="volunteer")
    saved = post(admin, f"/dashboard/manage/people/{siân.id}",
                 {"name": "Siân Llŷr ap Gwilym", "kind": "volunteer", "member_number": "", "contact": "",
                  "activities": ["Bar", "Cafe", "Darts"]})
    assert saved.status_code == 302
    assert volunteers.activities_of(db.conn(), siân.id) == ["Bar", "Cafe"]
    page = text(admin.get(f"/dashboard/manage/people/{siân.id}"))
    assert 'value="Bar" checked' in page and 'value="Reception">' in page


def test_the_rota_needs_a_login(client: Any) -> None:
    assert client.get("/dashboard/rota/").status_code in (302, 401)
    assert client.get("/dashboard/manage/shifts").status_code in (302, 401)


def test_the_display_and_status_say_volunteers_needed_without_a_name(
    client: Any, db: Database, config: Config, clock: ManualClock
) -> None:
    conn = db.conn()
    bar = make_shift(conn, clock.now(), "Bar", days=("FR",), start="18:00", end="23:00", needs=2)
    show = make_shift(conn, clock.now(), "Breakfast show", days=("MO",), start="10:00", end="11:00")
    with db.write() as tx:
        siân = register.create(tx, clock.now(), name="Siân Llŷr ap Gwilym", kind="volunteer")
    signups.take(conn, config, clock.now(), person_id=siân.id, shift_id=bar.id, day=FRIDAY, source="kiosk")
    board = text(client.get("/display/"))
    assert "Volunteers needed" in board
    assert "Breakfast show, today 10:00" in board and "Bar, Friday 18:00" in board
    status = client.get("/status.json").get_json()
    assert [(n["activity"], n["open"]) for n in status["volunteers_needed"]] == [("Breakfast show", 1), ("Bar", 1)]
    for surface in (board, text(client.get("/status.json")), text(client.get("/status.txt"))):
        assert "Siân" not in surface and "Gwilym" not in surface
    signups.take(conn, config, clock.now(), person_id=siân.id, shift_id=show.id, day=date(2026, 3, 2), source="kiosk")
    with db.write() as tx:
        dafydd = register.create(tx, clock.now(), name="Dafydd Jones", kind="volunteer")
    signups.take(conn, config, clock.now(), person_id=dafydd.id, shift_id=bar.id, day=FRIDAY, source="kiosk")
    assert "Volunteers needed" not in text(client.get("/display/"))  # nothing needed: nothing shown
