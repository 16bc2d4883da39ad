"""Issue 16's dashboard and display journeys in real Chromium: the frame of every page
(item 11), corrections by hand (13), reports with charts and CSV (14), the hall display
over the whole screen (15), and 120-letter names that never widen a page (8)."""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from dashboard_support import PASSWORD, make_admin, record, sign_in_person, sign_in_visitor
from kiosk_helpers import serious_violations, small_targets
from playwright.sync_api import Page, expect

from appliance.booking import bookings
from appliance.core.clock import ManualClock, iso
from appliance.core.config import Config
from appliance.core.events import Passed
from appliance.people import visits
from appliance.sensing import occupancy
from appliance.storage import state
from appliance.storage.db import Database
from doorstep.seed import seed_demo, seed_history

pytestmark = pytest.mark.browser

LONG_NAME = ("Siân Llŷr ap Gwilym " * 7)[:119] + "X"  # 120 letters
ONE_WORD = "W" * 120
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def log_in(page: Page, base: str) -> None:
    page.goto(base + "dashboard/login")
    page.fill("#name", "alice")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard/")


@pytest.fixture
def dash(live_server: Any, db: Database, clock: ManualClock, page: Page) -> str:
    """The web role with the demo's rooms and members and an admin; the page logged in."""
    seed_demo(db)
    make_admin(db, clock.now())
    log_in(page, live_server.url)
    return str(live_server.url)


def fits_the_width(page: Page) -> bool:
    # The text can be in the page before its stylesheet is (a loaded machine): measure the
    # layout the person sees, once the page has loaded.
    page.wait_for_load_state("load")
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def _book(db: Database, config: Config, clock: ManualClock, hours: float, title: str, public: bool = True,
          room: str = "main-hall", organiser: str = "Sam Organiser") -> bookings.Booked:
    start = clock.now().replace(minute=0) + timedelta(hours=hours)
    return bookings.book(db.conn(), config, bookings.BookingRequest(
        room=room, start=start, end=start + timedelta(minutes=30), title=title, organiser=organiser, public=public),
        clock.now())


# -- item 11: every page's frame -------------------------------------------------------------------


def test_every_page_has_the_rollcall_and_reports_and_human_times(
    page: Page, dash: str, db: Database, config: Config, clock: ManualClock
) -> None:
    booked = _book(db, config, clock, 2, "Choir")
    person = sign_in_person(db, config, clock.now(), "Grace Hopper")
    with db.write() as conn:
        state.set_health(conn, "broker", "ok", "connected to localhost:1883", iso(clock.now()))
    pages = ["dashboard/", "dashboard/reports/", "dashboard/manage/", "dashboard/manage/rooms",
             "dashboard/manage/bookings", "dashboard/manage/people", f"dashboard/manage/people/{person.person_id}",
             "dashboard/manage/visits", "dashboard/manage/visits/history", "dashboard/manage/settings",
             "dashboard/manage/privacy", "dashboard/rollcall", f"dashboard/manage/bookings/{booked.booking.id}/cancel"]
    for path in pages:
        page.goto(dash + path)
        expect(page.locator("#rollcall-link")).to_be_visible()
        expect(page.locator("#reports-link")).to_be_visible()
        logout = page.locator("#logout")
        assert logout.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(255, 255, 255)", path  # not primary
        text = page.inner_text("body")
        assert not ISO_TIME.search(text), (path, ISO_TIME.search(text))
    page.goto(dash + "dashboard/rollcall")  # opened in a hurry, often on a phone: 48 px targets
    assert small_targets(page) == [] and serious_violations(page) == []
    page.goto(dash + "dashboard/")
    broker = page.locator("#broker-line").inner_text()
    assert broker.count("connected") == 1 and "connected since Mon 2 Mar, 09:00" in broker, broker
    page.goto(dash + "dashboard/manage/privacy")
    expect(page.locator("#audit-log")).to_contain_text("Mon 2 Mar, 09:00")  # the login, in site time


def test_cancel_asks_first_and_looks_destructive(page: Page, dash: str, db: Database, config: Config,
                                                 clock: ManualClock) -> None:
    booked = _book(db, config, clock, 2, "Choir")
    page.goto(dash + "dashboard/manage/bookings")
    cancel = page.get_by_role("link", name="Cancel…")
    assert cancel.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(160, 0, 32)"
    cancel.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Cancel booking {booked.booking.reference}?")
    page.click("#keep")  # changed their mind
    assert bookings.get_booking(db.conn(), booked.booking.id).status == "confirmed"
    page.get_by_role("link", name="Cancel…").click()
    confirm = page.locator("#confirm-cancel")
    assert confirm.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(160, 0, 32)"
    confirm.click()
    expect(page.locator(".notice")).to_contain_text("cancelled")
    assert bookings.get_booking(db.conn(), booked.booking.id).status == "cancelled"
    # erasing a person asks for their whole name, on a red button
    person = sign_in_person(db, config, clock.now(), "Ada Lovelace", kind="member")
    page.goto(dash + f"dashboard/manage/privacy/people/{person.person_id}")
    assert page.locator("#erase-confirm").evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(160, 0, 32)"


# -- item 13: corrections by hand ---------------------------------------------------------------------


def test_sign_in_and_out_by_hand_with_a_reason_and_reset_the_count(
    page: Page, dash: str, db: Database, config: Config, clock: ManualClock
) -> None:
    record(db, config, clock, *(Passed(at=clock.now(), beam="front", direction="in") for _ in range(3)))
    page.goto(dash + "dashboard/")
    page.click("#correct-visits")
    page.wait_for_url("**/dashboard/manage/visits")
    # a visitor who forgot to sign in an hour ago
    page.fill("#name", "Siân Llŷr ap Gwilym")
    page.fill("#at", (clock.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.click("#signin-submit")
    expect(page.locator("#reason-error")).to_contain_text("reason")  # no reason: nothing done
    assert visits.signed_in_now(db.conn()) == []
    page.fill("#reason", "Forgot to sign in at the door")
    page.click("#signin-submit")
    expect(page.locator("#done")).to_contain_text("Signed in by hand")
    [visit] = visits.signed_in_now(db.conn())
    assert (visit.name, visit.source, visit.signed_in_at) == ("Siân Llŷr ap Gwilym", "dashboard",
                                                                iso(clock.now() - timedelta(hours=1)))
    # and out again, by hand
    row = page.locator(f"#visit-{visit.id}")
    row.locator("input[name=reason]").fill("Left without signing out")
    row.get_by_role("button", name="Sign out").click()
    expect(page.locator("#done")).to_contain_text(f"Visit #{visit.id} signed out by hand")
    ended = visits.get(db.conn(), visit.id)
    assert ended is not None and ended.signed_out_at == iso(clock.now())
    # the door count back to zero
    expect(page.locator("#count-now")).to_have_text("3")
    page.fill("#reset_reason", "Building checked: empty")
    page.click("#reset-count")
    expect(page.locator("#done")).to_contain_text("was 3; it is 0 now")
    assert occupancy.current(db.conn())["value"] == 0
    page.goto(dash + "dashboard/manage/privacy")
    log = page.locator("#audit-log")
    for action in ("visit_signed_in_by_hand", "visit_signed_out_by_hand", "occupancy_reset"):
        expect(log).to_contain_text(action)
    expect(log).to_contain_text("Building checked: empty")


def test_visit_history_searches_everything_kept(page: Page, dash: str, db: Database, config: Config,
                                                clock: ManualClock) -> None:
    seed_history(db, config, weeks=2)
    sign_in_visitor(db, config, clock.now(), "Rhiannon Evans", visiting="Choir")
    page.goto(dash + "dashboard/manage/visits/history")
    total = int(page.locator("#history-count").inner_text().split()[0])
    assert total > 50 and page.locator("#history tbody tr").count() == 50
    page.click("#older")
    expect(page.locator("#newer")).to_be_visible()
    page.fill("#q", "rhiannon")
    page.click("#history-form button[type=submit]")
    expect(page.locator("#history tbody tr")).to_have_count(1)
    expect(page.locator("#history")).to_contain_text("still in")
    page.fill("#q", "")
    page.select_option("#kind", "volunteer")
    page.click("#history-form button[type=submit]")
    kinds = page.locator("#history tbody td:nth-child(4)").all_inner_texts()
    assert kinds and set(kinds) == {"volunteer"}


# -- item 14: reports with charts and CSV downloads -------------------------------------------------


def test_reports_draw_charts_and_download_csv_excel_reads(page: Page, dash: str, db: Database, config: Config,
                                                          clock: ManualClock) -> None:
    seed_history(db, config)
    visit = sign_in_person(db, config, clock.now() - timedelta(hours=3), "Siân Llŷr", activity="Cafe")
    with db.write() as conn:
        visits.sign_out(conn, clock.now(), visit.id)
    start = (clock.now() - timedelta(weeks=8)).date().isoformat()
    end = clock.now().date().isoformat()
    for report, period in (("footfall", "week"), ("footfall", "day"), ("hours", "day"), ("visits", "day"),
                           ("activities", "day"), ("volunteers", "day")):
        page.goto(dash + f"dashboard/reports/?report={report}&from={start}&to={end}&period={period}")
        chart = page.locator("#report-chart svg")
        expect(chart).to_be_visible()
        heights = chart.locator("rect.bar").evaluate_all("rs => rs.map(r => parseFloat(r.getAttribute('height')))")
        assert heights and max(heights) > 0, report
        assert fits_the_width(page)
    with page.expect_download() as download:
        page.click("#csv-link")
    raw = Path(download.value.path()).read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "Volunteer" and "Siân Llŷr" in {r[0] for r in rows[1:]}


# -- item 15: the hall display over the whole screen ------------------------------------------------


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)], ids=["1080p", "720p"])
def test_the_display_fills_the_screen_with_the_rest_of_today(
    browser: Any, live_server: Any, db: Database, config: Config, clock: ManualClock, size: tuple[int, int]
) -> None:
    seed_demo(db)
    for hours, title, public in ((1, "Toddler group", True), (3, "Repair café", True), (4, "Secret Party", False),
                                 (5, "Choir", True), (6, "Film night", True), (7, LONG_NAME, True)):
        _book(db, config, clock, hours, title, public, organiser="Private Organiser")
    _book(db, config, clock, 2, "Tenants", True, room="green-room")
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    try:
        page.goto(live_server.url + "display/")
        later = page.locator("#later")
        expect(later).to_be_visible()
        items = later.locator("li").all_inner_texts()
        # the main hall's next (10:00) is shown on its room; the rest of the day is listed
        assert any("Repair café" in i for i in items) and any("Film night" in i for i in items)
        assert not any("Toddler group" in i for i in items)
        assert any("Booked" in i for i in items)
        html = page.content()
        assert "Secret Party" not in html and "Private Organiser" not in html and "Sam Organiser" not in html
        # nothing scrolls or spills: the board ends within the screen, a long title is cut
        assert page.evaluate("document.documentElement.scrollHeight <= window.innerHeight")
        assert fits_the_width(page)
        box = later.bounding_box()
        assert box and box["y"] + box["height"] <= size[1]
        board = page.locator("#board").bounding_box()
        assert board and board["height"] > size[1] * 0.6  # the board uses the screen's height
    finally:
        page.goto("about:blank")
        context.close()


# -- item 8: 120-letter names on the dashboard ---------------------------------------------------------


@pytest.mark.parametrize("size", [(1280, 800), (800, 480)], ids=["1280x800", "800x480"])
def test_long_names_never_widen_a_dashboard_page(
    browser: Any, live_server: Any, db: Database, config: Config, clock: ManualClock, size: tuple[int, int]
) -> None:
    seed_demo(db)
    make_admin(db, clock.now())
    long_person = sign_in_person(db, config, clock.now(), LONG_NAME)
    sign_in_visitor(db, config, clock.now(), ONE_WORD, visiting=ONE_WORD)
    _book(db, config, clock, 2, ONE_WORD, organiser=ONE_WORD)
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    try:
        log_in(page, live_server.url)
        for path in ("dashboard/", "dashboard/rollcall", "dashboard/manage/people",
                     f"dashboard/manage/people/{long_person.person_id}", "dashboard/manage/bookings",
                     "dashboard/manage/visits", "dashboard/manage/visits/history", "dashboard/manage/privacy",
                     "dashboard/reports/?report=volunteers"):
            page.goto(live_server.url + path)
            assert fits_the_width(page), (path, page.evaluate("document.documentElement.scrollWidth"))
    finally:
        page.goto("about:blank")
        context.close()


def test_the_display_and_status_sentence_speak_the_sites_language(
    browser: Any, config: Config, db: Database, clock: ManualClock, tmp_path: Any
) -> None:
    from doorstep.broker import free_port
    from kiosk import create_app
    from kiosk.server import WebServer

    seed_demo(db)
    _book(db, config, clock, 1, "Côr", True)
    welsh = config.with_changes(site=dataclasses.replace(config.site, language="cy"),
                                web=dataclasses.replace(config.web, host="127.0.0.1", port=free_port()))
    server = WebServer(create_app(welsh, clock=clock), "127.0.0.1", welsh.web.port, threads=8)
    server.start()
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        base = f"http://127.0.0.1:{welsh.web.port}/"
        page.goto(base + "display/")
        expect(page.locator("#open-state")).to_have_text("Ar agor")
        expect(page.locator("#busy")).to_have_text("0 o bobl i mewn")
        expect(page.locator("#later-h")).to_have_text("Yn nes ymlaen heddiw")
        page.goto(base + "status.txt")
        assert page.inner_text("body").startswith("Our Community Hall: Ar agor. Neb i mewn. Nesaf: Côr am 10:00.")
    finally:
        page.goto("about:blank")
        context.close()
        server.close()
