"""The status display and /status.*: open/closed, how busy (number or band), rooms now and
next with public titles only, never a name; live over SSE."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from dashboard_support import record, sign_in_person, sign_in_visitor
from flask import Flask
from live_support import sse

from appliance.booking import bookings
from appliance.core.clock import ManualClock
from appliance.core.config import Config, ConfigError, parse
from appliance.core.events import Passed
from appliance.storage.db import Database
from appliance.views.public import busy_band
from doorstep.seed import seed_demo
from kiosk import create_app

SECRET_NAMES = ("Grace Hopper", "Ada Lovelace", "Private Organiser", "Secret Party")


def _fill(db: Database, config: Config, clock: ManualClock) -> None:
    """People in, and bookings now and next: one public, one private."""
    seed_demo(db)
    sign_in_visitor(db, config, clock.now(), "Grace Hopper")
    sign_in_person(db, config, clock.now(), "Ada Lovelace", activity="Cafe")
    conn = db.conn()
    start = clock.now() + timedelta(hours=1)
    bookings.book(conn, config, bookings.BookingRequest(
        room="main-hall", start=start, end=start + timedelta(hours=2), title="Repair Cafe",
        organiser="Public Organiser", public=True), clock.now())
    bookings.book(conn, config, bookings.BookingRequest(
        room="green-room", start=start, end=start + timedelta(hours=1), title="Secret Party",
        organiser="Private Organiser", contact="private@example.org"), clock.now())


@pytest.fixture
def band_app(config: Config, db: Database, clock: ManualClock):  # type: ignore[no-untyped-def]
    cfg = config.with_changes(display=dataclasses.replace(config.display, busy_as="band", busy_at=2, very_busy_at=4))
    application = create_app(cfg, clock=clock, overrides={"TESTING": True})
    yield application
    application.extensions["doorstep"].close()


def test_display_shows_open_rooms_now_and_next_and_no_name(client, db: Database, config: Config,  # type: ignore[no-untyped-def]
                                                           clock: ManualClock) -> None:
    _fill(db, config, clock)
    page = client.get("/display/").get_data(as_text=True)
    assert 'id="open-state">Open<' in page
    assert "Main Hall" in page and "Repair Cafe" in page and "10:00" in page
    assert "Booked" in page  # the private booking's public face
    assert "2</span> people in" in page
    for secret in SECRET_NAMES:
        assert secret not in page
    clock.advance(hours=1, minutes=5)
    later = client.get("/display/").get_data(as_text=True)
    assert "Now</span> Repair Cafe" in later and "until 12:00" in later


def test_status_json_and_txt_have_no_name(client, db: Database, config: Config, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    _fill(db, config, clock)
    clock.advance(hours=1)
    as_json = client.get("/status.json")
    as_text = client.get("/status.txt")
    assert as_json.status_code == as_text.status_code == 200
    data = as_json.get_json()
    assert data["open"] is True and data["people_in"] == 2
    assert as_text.mimetype == "text/plain"
    sentence = as_text.get_data(as_text=True)
    assert sentence.startswith("Our Community Hall: Open.") and "Repair Cafe" in sentence
    assert sentence.count("\n") == 1
    for secret in SECRET_NAMES:
        assert secret not in as_json.get_data(as_text=True) and secret not in sentence


def test_band_instead_of_a_number_when_configured(band_app: Flask, db: Database, config: Config,
                                                  clock: ManualClock) -> None:
    _fill(db, config, clock)  # two people in: "Busy" at busy_at = 2
    client = band_app.test_client()
    page = client.get("/display/").get_data(as_text=True)
    assert 'id="busy">Busy<' in page and "people in" not in page
    data = client.get("/status.json").get_json()
    assert data["busy"] == "Busy" and data["people_in"] is None
    assert client.get("/api/v1/status").get_json()["people_in"] is None  # every public surface alike
    assert client.get("/status.txt").get_data(as_text=True).startswith("Our Community Hall: Open. Busy.")


def test_band_thresholds(config: Config) -> None:
    cfg = config.with_changes(display=dataclasses.replace(config.display, busy_at=10, very_busy_at=30))
    assert [busy_band(n, cfg) for n in (0, 9, 10, 29, 30, 500)] == [
        "Quiet", "Quiet", "Busy", "Busy", "Very busy", "Very busy"]


def test_band_thresholds_must_rise() -> None:
    with pytest.raises(ConfigError, match="display.very_busy_at"):
        parse("[display]\nbusy_at = 20\nvery_busy_at = 10\n")
    with pytest.raises(ConfigError, match="display.busy_as"):
        parse('[display]\nbusy_as = "colour"\n')


def test_closed_out_of_hours(client, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 3, 2, 23, 30, tzinfo=UTC))
    assert 'id="open-state">Closed<' in client.get("/display/").get_data(as_text=True)
    assert client.get("/status.txt").get_data(as_text=True).startswith("Our Community Hall: Closed.")


def test_display_needs_no_login_and_updates_live(db: Database, config: Config,  # type: ignore[no-untyped-def]
                                                 clock: ManualClock) -> None:
    from doorstep.broker import free_port
    from kiosk.server import WebServer

    beams = config.with_changes(beams=(dataclasses.replace(_beam(), id="front"),))
    server = WebServer(create_app(beams, clock=clock), "127.0.0.1", free_port())
    server.start()
    try:
        frames = (data["board"] for event, data in sse(server.port, "/display/live", source="127.0.0.9")
                  if event == "board")
        assert "0</span> people in" in next(frames)
        record(db, beams, clock, Passed(at=clock.now(), beam="front", direction="in"))
        for board in frames:
            if "1</span> person in" in board:
                break
        frames.close()
    finally:
        server.close()


def _beam():  # type: ignore[no-untyped-def]
    from appliance.core.config import BeamConfig

    return BeamConfig(id="front", outer_pin=5, inner_pin=6)
