"""A change on the dashboard's Settings page shows everywhere a volunteer would look:
the status sentence (/status.json, /status.txt), the display, the live status stream,
the kiosk's name and open/closed, the dashboard, MQTT status, and the closing-time
occupancy reset. The clock is Monday 09:00 London time; the file says Monday is open
09:00-22:00 and the site is "Our Community Hall"."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from dashboard_support import log_in, make_admin
from flask import Flask
from kiosk_helpers import seed

from appliance.core.clock import ManualClock, iso
from appliance.core.config import Config, MqttConfig
from appliance.core.events import Passed
from appliance.outbox import store
from appliance.outbox.topics import TopicContext
from appliance.publishing import derived
from appliance.sensing import occupancy
from appliance.sensing.recorder import Recorder
from appliance.storage import settings
from appliance.storage.db import Database
from doorstep.agent import RULES
from kiosk.context import web
from kiosk.entrance.home import fob_outcome
from kiosk.live import public_snapshot

FILE_NAME = "Our Community Hall"
NEW_NAME = "Riverside Hall"


def _override(db: Database, config: Config, clock: ManualClock, **values: str) -> None:
    with db.write() as conn:
        settings.save(conn, config, values, iso(clock.now()))


@pytest.fixture
def closed_today(db: Database, config: Config, clock: ManualClock) -> None:
    """Settings: a new name, and closed on Mondays (the file says open now)."""
    _override(db, config, clock, **{"site.name": NEW_NAME, "site.opening_hours.mon": "closed"})


@pytest.mark.usefixtures("closed_today")
def test_status_json_and_txt_follow_the_settings(client: Any) -> None:
    snap = client.get("/status.json").get_json()
    assert (snap["name"], snap["open"]) == (NEW_NAME, False)
    assert snap["sentence"].startswith("Closed.")
    line = client.get("/status.txt").get_data(as_text=True)
    assert line.startswith(f"{NEW_NAME}: Closed.") and FILE_NAME not in line


@pytest.mark.usefixtures("closed_today")
def test_the_display_and_its_live_stream_follow_the_settings(client: Any, app: Flask) -> None:
    page = client.get("/display/").get_data(as_text=True)
    assert NEW_NAME in page and FILE_NAME not in page
    with app.app_context():
        snap = public_snapshot(web())
    assert (snap["name"], snap["open"]) == (NEW_NAME, False)


@pytest.mark.usefixtures("closed_today")
def test_the_kiosk_shows_the_new_name_and_closed(client: Any, app: Flask) -> None:
    page = client.get("/kiosk/").get_data(as_text=True)
    assert NEW_NAME in page and FILE_NAME not in page
    assert 'data-open="false"' in page
    with app.app_context():
        assert fob_outcome(web())["open"] is False  # the live stream's open state too


def test_the_kiosk_reads_the_settings_afresh_on_each_request(client: Any, db: Database, config: Config,
                                                             clock: ManualClock) -> None:
    assert 'data-open="true"' in client.get("/kiosk/").get_data(as_text=True)
    _override(db, config, clock, **{"site.opening_hours.mon": "closed"})
    assert 'data-open="false"' in client.get("/kiosk/").get_data(as_text=True)


@pytest.mark.usefixtures("closed_today")
def test_the_dashboard_says_closed(client: Any, db: Database, clock: ManualClock) -> None:
    make_admin(db, clock.now())
    log_in(client)
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "Closed now" in page and NEW_NAME in page


@pytest.mark.usefixtures("closed_today")
def test_mqtt_status_follows_the_settings(db: Database, config: Config, clock: ManualClock) -> None:
    cfg = config.with_changes(mqtt=dataclasses.replace(MqttConfig(), enabled=True))
    with db.write() as conn:
        derived.refresh(conn, cfg, clock.now())
    topic = TopicContext.of(cfg).full("status")
    rows = [r for r in store.pending(db.conn(), 0, 1000) if r.topic == topic]
    payload = json.loads(rows[-1].payload)
    assert (payload["name"], payload["open"]) == (NEW_NAME, False)


def test_the_closing_time_reset_follows_the_settings(db: Database, config: Config, clock: ManualClock) -> None:
    _override(db, config, clock, **{"site.opening_hours.mon": "09:00-12:00"})
    recorder = Recorder(db, config, clock, RULES)
    recorder.write([Passed(beam="entrance", direction="in", at=clock.advance(5))])
    clock.set(datetime(2026, 3, 2, 11, 59, tzinfo=UTC))
    assert not occupancy.reset_if_closed(db, config, clock)
    clock.set(datetime(2026, 3, 2, 12, 1, tzinfo=UTC))  # the file would wait for 22:00
    assert occupancy.reset_if_closed(db, config, clock)
    assert occupancy.current(db.conn())["value"] == 0


@pytest.mark.usefixtures("closed_today")
def test_reports_and_roll_call_show_the_new_name(client: Any, db: Database, clock: ManualClock) -> None:
    make_admin(db, clock.now())
    log_in(client)
    for url in ("/dashboard/reports/", "/dashboard/rollcall"):
        page = client.get(url).get_data(as_text=True)
        assert NEW_NAME in page and FILE_NAME not in page, url


def test_the_booking_notice_states_the_contact_days_in_force(client: Any, db: Database, config: Config,
                                                             clock: ManualClock) -> None:
    days = config.privacy.booking_contact_days + 7
    _override(db, config, clock, **{"privacy.booking_contact_days": str(days)})
    seed(db, clock)  # the demo rooms
    page = client.get("/kiosk/book/main-hall/2026-03-02T10:00/60").get_data(as_text=True)
    assert f"until {days} days after the booking" in page
