"""Volunteers at the door in real Chromium on the 7" screen (800x480, touch), with fob taps
through the agent's real path: a pty for the reader, the CardReader thread, FobRead, the
Recorder with the agent's RULES, the database, the page's live stream.

Journeys: ticking an activity then tapping signs in for it; a tap with nothing chosen
asks, with the volunteer's shift first; a volunteer takes a shift and gives it up; a
second tap within a minute does nothing; a sign-out on the sign-in screen says so and
can be undone; every screen passes axe-core in English and Welsh.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from rota_support import make_shift, with_rota_activities
from test_kiosk_browser import serious_violations, small_targets

from appliance.core.clock import ManualClock
from appliance.core.config import CardReaderConfig, Config
from appliance.people import fobs, register, visits
from appliance.rota import signups
from appliance.sensing.recorder import Recorder
from appliance.storage.db import Database
from bench import procs
from doorstep.agent import RULES
from sensors.cardframes import encode_rdm6300
from sensors.cardreader import CardReader

pytestmark = pytest.mark.browser

SECRET = b"rota-test-secret-0123456789abcdef"
SIAN_FOB, ADA_FOB = "0004817299", "0004817300"


@pytest.fixture
def config(config: Config) -> Config:
    return with_rota_activities(config)


@pytest.fixture
def page(browser: Any) -> Iterator[Page]:
    """The official 7" touchscreen: 800x480."""
    context = browser.new_context(viewport={"width": 800, "height": 480}, has_touch=True)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def people(db: Database, clock: ManualClock) -> dict[str, register.Person]:
    with db.write() as conn:
        siân = register.create(conn, clock.now(), name="Siân Llŷr ap Gwilym", kind="volunteer")
        ada = register.create(conn, clock.now(), name="Ada Lovelace", kind="member")
        register.assign_card(conn, siân.id, fobs.card_hash(SECRET, SIAN_FOB))
        register.assign_card(conn, ada.id, fobs.card_hash(SECRET, ADA_FOB))
    return {"siân": siân, "ada": ada}


@pytest.fixture
def site(live_server: Any, page: Page, people: dict[str, register.Person]) -> Iterator[str]:
    yield str(live_server.url)
    for tab in page.context.pages:
        tab.goto("about:blank")  # close the live streams before the server stops


@pytest.fixture
def fob(db: Database, config: Config, clock: ManualClock, serial_pair: Any) -> Iterator[Callable[[str], None]]:
    """Tap a fob: its frame goes down the pty to the real reader thread and on to the agent's writer."""
    recorder = Recorder(db, config, clock, RULES)
    recorder.start()
    reader = CardReader(CardReaderConfig(enabled=True, path=serial_pair.path, mode="rdm6300"),
                        recorder.submit, clock, lambda number: fobs.card_hash(SECRET, number))
    reader.start()
    # Opening a port empties its input (pyserial): wait until the reader has it open.
    procs.wait_for(lambda: reader.opens, 10, "the fob reader to open the pty")

    def tap(number: str) -> None:
        serial_pair.write(encode_rdm6300(number))

    try:
        yield tap
    finally:
        reader.close()
        recorder.stop()


def open_visits(db: Database) -> list[visits.Visit]:
    return visits.signed_in_now(db.conn())


def test_ticking_cafe_then_tapping_the_fob_signs_in_for_cafe(
    page: Page, site: str, db: Database, fob: Callable[[str], None]
) -> None:
    page.goto(site + "kiosk/signin/volunteer")
    expect(page.get_by_text("What are you here for?")).to_be_visible()
    page.get_by_text("Cafe").tap()
    page.wait_for_load_state("load")
    fob(SIAN_FOB)
    expect(page).to_have_url(re.compile(r"/kiosk/tap\?tap=[\w-]+&done=activity$"))
    expect(page.locator("#done")).to_have_text("Thank you. You are signed in.")
    expect(page.locator("#activity")).to_contain_text("You are signed in for Cafe.")
    [visit] = open_visits(db)
    assert (visit.name, visit.activity, visit.source) == ("Siân Llŷr ap Gwilym", "Cafe", "fob")


def test_a_tap_with_nothing_chosen_asks_with_the_shift_first_then_take_and_give_up(
    page: Page, site: str, db: Database, config: Config, clock: ManualClock, people: dict[str, register.Person],
    fob: Callable[[str], None],
) -> None:
    conn = db.conn()
    bar = make_shift(conn, clock.now(), "Bar", days=("MO",), start="09:30", end="12:00")
    opening = make_shift(conn, clock.now(), "Opening up", days=("SA",), start="09:00")
    signups.take(conn, config, clock.now(), person_id=people["siân"].id, shift_id=bar.id, day=date(2026, 3, 2),
                 source="dashboard")
    page.goto(site + "kiosk/")
    page.wait_for_load_state("load")
    fob(SIAN_FOB)
    expect(page).to_have_url(re.compile(r"/kiosk/tap\?tap=[\w-]+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Siân!")
    # Signed in for her shift already (so the hours count if she walks away), and asked.
    expect(page.locator("#activity")).to_contain_text("You are signed in for Bar.")
    first = page.locator(".ask button").first
    expect(first).to_have_text("Bar · your shift Today, 09:30–12:00")
    first.tap()
    expect(page.locator("#done")).to_have_text("Thank you. You are signed in.")
    assert open_visits(db)[0].activity == "Bar"

    offered = page.locator("#offered li", has_text="Opening up").first
    expect(offered).to_contain_text("Sat 7 Mar, 09:00")
    offered.get_by_role("button", name="Take").tap()
    expect(page.locator("#done")).to_have_text("The shift is yours. Thank you!")
    mine = page.locator("#mine li", has_text="Opening up")
    expect(mine).to_have_count(1)
    assert [s.person_id for s in signups.between(conn, date(2026, 3, 7), date(2026, 3, 7))[(opening.id, date(2026, 3, 7))]] == [people["siân"].id]
    mine.get_by_role("button", name="Give up").tap()
    expect(page.locator("#done")).to_have_text("You gave the shift up. Thank you for saying.")
    expect(page.locator("#offered li", has_text="Opening up").first).to_be_visible()
    assert signups.between(conn, date(2026, 3, 7), date(2026, 3, 7)) == {}
    page.get_by_role("link", name="Done").tap()
    expect(page).to_have_url(re.compile(r"/kiosk/$"))


def test_a_second_tap_does_nothing_and_a_sign_out_says_so_and_can_be_undone(
    page: Page, site: str, db: Database, clock: ManualClock, fob: Callable[[str], None]
) -> None:
    page.goto(site + "kiosk/signin/member")
    page.wait_for_load_state("load")
    overlay = page.locator("#fob")
    fob(ADA_FOB)
    expect(overlay).to_contain_text("Welcome, Ada! You are signed in.")
    clock.advance(20)
    fob(ADA_FOB)  # "did it read?": tapped again
    expect(overlay).to_contain_text("Ada, you are already signed in.")
    assert len(open_visits(db)) == 1
    page.locator("#fob-close").tap()

    clock.advance(3600)
    fob(ADA_FOB)  # an hour later, on the sign-in screen: this signs her out, and it says so
    expect(overlay).to_contain_text("Goodbye, Ada! You are signed out.")
    expect(overlay).to_have_class(re.compile(r"\bsigned_out\b"))
    keep = page.get_by_role("button", name="Not leaving? Keep me signed in")
    expect(keep).to_be_visible()
    expect(keep).to_be_focused()
    assert open_visits(db) == []
    keep.tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada, you are still signed in.")
    assert [v.name for v in open_visits(db)] == ["Ada Lovelace"]
    assert db.conn().execute("SELECT count(*) FROM visits").fetchone()[0] == 1  # the same visit, reopened


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_the_rota_screen_and_the_sign_out_overlay_pass_axe_with_big_targets(
    page: Page, site: str, db: Database, config: Config, clock: ManualClock, people: dict[str, register.Person],
    fob: Callable[[str], None], lang: str,
) -> None:
    conn = db.conn()
    bar = make_shift(conn, clock.now(), "Bar", days=("MO", "FR"), start="09:30", end="12:00", needs=2)
    make_shift(conn, clock.now(), "Opening up", days=("SA",), start="09:00", title="Agor y drws")
    signups.take(conn, config, clock.now(), person_id=people["siân"].id, shift_id=bar.id, day=date(2026, 3, 2),
                 source="dashboard")
    clock.set(clock.now().replace(day=5, hour=8))  # Thursday: Friday's Bar is within the cut-off
    signups.take(conn, config, clock.now(), person_id=people["siân"].id, shift_id=bar.id, day=date(2026, 3, 6),
                 source="dashboard")
    page.goto(site + "kiosk/")
    if lang == "cy":
        page.get_by_role("button", name="Cymraeg").tap()
        expect(page.locator("html")).to_have_attribute("lang", "cy")
    page.wait_for_load_state("load")
    fob(SIAN_FOB)
    expect(page).to_have_url(re.compile(r"/kiosk/tap\?"))
    expect(page.locator(".ask")).to_be_visible()
    problems: dict[str, Any] = {}
    if serious_violations(page) or small_targets(page):
        problems["rota"] = {"axe": serious_violations(page), "small": small_targets(page)}
    # Nothing runs off the side of the 7" screen.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 800
    clock.advance(3600)
    page.goto(site + "kiosk/signin")
    page.wait_for_load_state("load")
    fob(SIAN_FOB)
    expect(page.locator("#fob-keep")).to_be_visible()
    if serious_violations(page) or small_targets(page):
        problems["signed out"] = {"axe": serious_violations(page), "small": small_targets(page)}
    assert problems == {}
