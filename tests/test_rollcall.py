"""The fire roll-call: everyone signed in with time in, "uncertain" past N hours, on the
dashboard (login) and on the kiosk (PIN), with nothing fetched from the internet."""

from __future__ import annotations

import dataclasses
import re

import pytest
from csrf_support import csrf_token
from dashboard_support import log_in, make_admin, sign_in_person, sign_in_visitor
from flask import Flask

from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.people import rollcall
from appliance.people.visits import sign_out
from appliance.storage.db import Database, transaction
from kiosk import create_app


def test_everyone_signed_in_with_time_in_and_uncertain_flag(db: Database, config: Config,
                                                             clock: ManualClock) -> None:
    early = sign_in_visitor(db, config, clock.now(), "Early Bird")
    clock.advance(hours=11)
    volunteer = sign_in_person(db, config, clock.now(), "Ada Lovelace", activity="Reception")
    gone = sign_in_visitor(db, config, clock.now(), "Gone Already")
    with transaction(db.conn()):
        sign_out(db.conn(), clock.now(), gone.id)
    clock.advance(hours=1, minutes=1)  # Early Bird is now in for 12 h 01
    roll = rollcall.roll_call(db.conn(), config, clock.now())
    assert [(e.visit_id, e.name, e.uncertain) for e in roll.entries] == [
        (early.id, "Early Bird", True), (volunteer.id, "Ada Lovelace", False)]
    assert roll.entries[1].detail == "Reception" and roll.entries[1].kind == "volunteer"
    assert roll.certain == 1 and roll.uncertain_hours == config.privacy.uncertain_hours


def test_the_threshold_comes_from_config(db: Database, config: Config, clock: ManualClock) -> None:
    sign_in_visitor(db, config, clock.now(), "Someone")
    clock.advance(hours=2, minutes=1)
    strict = config.with_changes(privacy=dataclasses.replace(config.privacy, uncertain_hours=2))
    assert rollcall.roll_call(db.conn(), strict, clock.now()).entries[0].uncertain
    assert not rollcall.roll_call(db.conn(), config, clock.now()).entries[0].uncertain


def test_dashboard_rollcall_lists_people_and_is_one_tap_from_the_dashboard(
        client, db: Database, config: Config, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    sign_in_visitor(db, config, clock.now(), "Grace Hopper")
    make_admin(db, clock.now())
    log_in(client)
    home = client.get("/dashboard/").get_data(as_text=True)
    assert 'href="/dashboard/rollcall"' in home
    page = client.get("/dashboard/rollcall").get_data(as_text=True)
    assert "Grace Hopper" in page and "09:00" in page
    assert 'media="print"' in page and "print.css" in page


def test_rollcall_page_needs_nothing_from_the_internet(client, db: Database, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    make_admin(db, clock.now())
    log_in(client)
    page = client.get("/dashboard/rollcall").get_data(as_text=True)
    urls = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert urls and all(u.startswith("/") for u in urls), urls
    # works with scripts blocked or failing, too: the list is in the page; the only script
    # (the Print button's) is a file of ours, and the button shows only when it runs
    assert all(src.startswith("/static/") for src in re.findall(r'<script[^>]*src="([^"]+)"', page))
    assert re.search(r'<button[^>]*data-action="print"[^>]*hidden', page)


@pytest.fixture
def pin_app(config: Config, db: Database, clock: ManualClock):  # type: ignore[no-untyped-def]
    cfg = config.with_changes(kiosk=dataclasses.replace(config.kiosk, rollcall_pin="482916"))
    application = create_app(cfg, clock=clock, overrides={"TESTING": True})
    yield application
    application.extensions["doorstep"].close()


def test_kiosk_rollcall_needs_the_pin(pin_app: Flask, db: Database, config: Config, clock: ManualClock) -> None:
    sign_in_visitor(db, config, clock.now(), "Grace Hopper")
    client = pin_app.test_client()
    form = client.get("/kiosk/rollcall")
    assert form.status_code == 200 and b"Grace Hopper" not in form.data
    token = csrf_token(client, "/kiosk/rollcall")
    wrong = client.post("/kiosk/rollcall", data={"pin": "111111", "csrf_token": token})
    assert wrong.status_code == 401 and b"Grace Hopper" not in wrong.data
    right = client.post("/kiosk/rollcall", data={"pin": "482916", "csrf_token": token})
    assert right.status_code == 303 and b"Grace Hopper" not in right.data  # post/redirect/get
    shown = client.get(right.headers["Location"])
    assert shown.status_code == 200 and b"Grace Hopper" in shown.data
    assert client.get("/kiosk/?idle=1").status_code == 200  # the idle reset forgets the PIN
    assert b"Grace Hopper" not in client.get("/kiosk/rollcall/list", follow_redirects=True).data
    assert client.post("/kiosk/rollcall", data={"pin": "482916"}).status_code == 400  # no CSRF token


def test_kiosk_pin_locks_after_five_wrong_tries(pin_app: Flask, clock: ManualClock) -> None:
    client = pin_app.test_client()
    token = csrf_token(client, "/kiosk/rollcall")
    for _ in range(4):
        assert client.post("/kiosk/rollcall", data={"pin": "000000", "csrf_token": token}).status_code == 401
    assert client.post("/kiosk/rollcall", data={"pin": "000000", "csrf_token": token}).status_code == 429
    assert client.post("/kiosk/rollcall", data={"pin": "482916", "csrf_token": token}).status_code == 429
    clock.advance(minutes=5, seconds=1)
    assert client.post("/kiosk/rollcall", data={"pin": "482916", "csrf_token": token}).status_code == 303


def test_kiosk_rollcall_is_off_without_a_pin(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/kiosk/rollcall")
    assert response.status_code == 404 and b"rollcall_pin" in response.data
