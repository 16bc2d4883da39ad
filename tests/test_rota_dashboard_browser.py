"""The rota on the dashboard in real Chromium at 1280x800: an admin adds "Bar, Friday
18:00-23:00, needs 2", sees it uncovered, puts a volunteer on it, and sees a volunteer's
fob sign-in turn today's shift covered on the dashboard's home without a reload.
axe-core finds nothing serious on the rota pages."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from dashboard_support import PASSWORD, make_admin
from playwright.sync_api import Page, expect
from rota_support import make_shift, with_rota_activities
from test_kiosk_browser import serious_violations

from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.core.events import FobRead
from appliance.people import register
from appliance.rota import signups
from appliance.sensing.recorder import Recorder
from appliance.storage.db import Database
from doorstep.agent import RULES

pytestmark = pytest.mark.browser


@pytest.fixture
def config(config: Config) -> Config:
    return with_rota_activities(config)


@pytest.fixture
def site(live_server: Any, page: Page, db: Database, clock: ManualClock) -> Any:
    make_admin(db, clock.now())
    base = str(live_server.url)
    page.goto(base + "dashboard/rota/")
    page.fill("#name", "alice")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", level=1)).to_have_text("Volunteer rota")
    yield base
    page.goto("about:blank")


def test_an_admin_adds_a_shift_and_puts_a_volunteer_on_it(page: Page, site: str, db: Database,
                                                         clock: ManualClock) -> None:
    with db.write() as conn:
        register.create(conn, clock.now(), name="Siân Llŷr ap Gwilym", kind="volunteer")
    page.get_by_role("link", name="Shifts").first.click()
    page.click("#add-shift")
    page.select_option("#activity", "Bar")
    page.get_by_label("Every week, on the days ticked").check()
    page.get_by_role("checkbox", name="Friday").check()
    page.fill("#first_day", "2026-03-02")
    page.fill("#start", "18:00")
    page.fill("#end", "23:00")
    page.fill("#needs", "2")
    page.get_by_role("button", name="Add the shift").click()
    expect(page.locator("#shift-saved")).to_contain_text("Bar")
    expect(page.locator("table")).to_contain_text("Every Friday, 18:00-23:00")
    assert serious_violations(page) == []

    page.get_by_role("link", name="rota").first.click()
    row = page.locator("tr", has_text="Bar")
    expect(row).to_contain_text("Uncovered")
    expect(row).to_contain_text("0/2 taken, 2 open")
    assert serious_violations(page) == []
    row.get_by_role("link", name="Change").click()
    page.select_option("#person", label="Siân Llŷr ap Gwilym (volunteer)")
    page.get_by_role("button", name="Put on").click()
    expect(page.locator("#rota-done")).to_be_visible()
    expect(page.locator("#takers")).to_contain_text("Siân Llŷr ap Gwilym")
    assert serious_violations(page) == []
    page.get_by_role("link", name="Back to the rota").click()
    expect(page.locator("tr", has_text="Bar")).to_contain_text("1/2 taken, 1 open")


def test_a_fob_sign_in_covers_todays_shift_on_the_dashboard_without_reload(
    page: Page, site: str, db: Database, config: Config, clock: ManualClock
) -> None:
    conn = db.conn()
    bar = make_shift(conn, clock.now(), "Bar", days=("MO",), start="09:00", end="12:00")
    with db.write() as tx:
        siân = register.create(tx, clock.now(), name="Siân Llŷr ap Gwilym", kind="volunteer")
        register.assign_card(tx, siân.id, "card-sian")
    signups.take(conn, config, clock.now(), person_id=siân.id, shift_id=bar.id, day=date(2026, 3, 2), source="kiosk")
    page.goto(site + "dashboard/")
    today = page.locator("#sec-rota")
    expect(today).to_contain_text("Taken, not yet in")
    page.evaluate("window.__sameDocument = true")
    clock.set(datetime(2026, 3, 2, 9, 5, tzinfo=UTC))
    Recorder(db, config, clock, RULES).write([FobRead(at=clock.now(), reader="entrance", card_hash="card-sian")])
    expect(today).to_contain_text("Covered")
    expect(today).to_contain_text("Siân Llŷr ap Gwilym ✓")
    assert page.evaluate("window.__sameDocument") is True


def test_the_hall_display_asks_for_volunteers_and_stops_when_the_place_is_taken(
    live_server: Any, page: Page, db: Database, config: Config, clock: ManualClock
) -> None:
    conn = db.conn()
    bar = make_shift(conn, clock.now(), "Bar", days=("FR",), start="18:00", end="23:00")
    with db.write() as tx:
        siân = register.create(tx, clock.now(), name="Siân Llŷr ap Gwilym", kind="volunteer")
    page.goto(str(live_server.url) + "display/")
    needed = page.locator("#volunteers-needed")
    expect(needed).to_contain_text("Volunteers needed")
    expect(needed).to_contain_text("Bar, Friday 18:00")
    assert serious_violations(page) == []
    signups.take(conn, config, clock.now(), person_id=siân.id, shift_id=bar.id, day=date(2026, 3, 6), source="kiosk")
    expect(needed).to_have_count(0)  # taken at the door: the board updates by itself
    assert "Siân" not in page.content()
    page.goto("about:blank")
