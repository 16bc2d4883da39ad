"""Member decisions in real Chromium, at the 7" screen (800x480) and 1280x800, with fob taps
through the agent's real path (a pty for the reader, the CardReader thread with the fob
secret's ballot key, FobRead, the Recorder with the agent's RULES, the database, the
page's live stream).

Journeys: a member votes by fob and sees "Your vote is counted" with no choice on screen,
not even after the back button; a second vote is refused; a member with no fob votes by
member number and surname (a Welsh name); the voting screens pass axe-core in English and
Welsh; an admin creates a proposal and reads the printable result sheet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from dashboard_support import log_in_page
from decisions_support import local, make_ballot
from playwright.sync_api import Page, expect
from test_kiosk_browser import serious_violations, small_targets

from appliance.core.clock import ManualClock
from appliance.core.config import CardReaderConfig, Config
from appliance.decisions import ballots, results, voting
from appliance.people import fobs, register
from appliance.sensing.recorder import Recorder
from appliance.storage.db import Database, transaction
from bench import procs
from doorstep.agent import RULES
from sensors.cardframes import encode_rdm6300
from sensors.cardreader import CardReader

pytestmark = pytest.mark.browser

SECRET = b"decisions-test-secret-0123456789"
ADA_FOB = "0004817300"
SIZES = [(800, 480), (1280, 800)]


@pytest.fixture(params=SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def page(request: pytest.FixtureRequest, browser: Any) -> Iterator[Page]:
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height}, has_touch=True)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def people(db: Database, clock: ManualClock) -> dict[str, register.Person]:
    with db.write() as conn:
        ada = register.create(conn, clock.now(), name="Ada Lovelace", kind="member", member_number="M001")
        llyr = register.create(conn, clock.now(), name="Llŷr ap Gwyn", kind="member", member_number="2026")
        register.assign_card(conn, ada.id, fobs.card_hash(SECRET, ADA_FOB))
    return {"ada": ada, "llyr": llyr}


@pytest.fixture
def ballot(db: Database, clock: ManualClock, people: dict[str, register.Person]) -> ballots.Ballot:
    return make_ballot(db.conn(), clock.now(), comments="anonymous")


@pytest.fixture
def site(live_server: Any, page: Page, ballot: ballots.Ballot) -> Iterator[str]:
    yield str(live_server.url)
    for tab in page.context.pages:
        tab.goto("about:blank")  # close the live streams before the server stops


@pytest.fixture
def fob(db: Database, config: Config, clock: ManualClock, serial_pair: Any) -> Iterator[Callable[[str], None]]:
    """Tap a fob: its frame goes down the pty to the real reader thread and on to the agent's writer."""
    recorder = Recorder(db, config, clock, RULES)
    recorder.start()
    reader = CardReader(CardReaderConfig(enabled=True, path=serial_pair.path, mode="rdm6300"),
                        recorder.submit, clock, lambda number: fobs.card_hash(SECRET, number),
                        ballot_hasher=lambda number: fobs.ballot_key(SECRET, number))
    reader.start()
    procs.wait_for(lambda: reader.opens, 10, "the fob reader to open the pty")
    try:
        yield lambda number: serial_pair.write(encode_rdm6300(number))
    finally:
        reader.close()
        recorder.stop()


def test_a_member_votes_by_fob_and_a_second_vote_is_refused(
    page: Page, site: str, db: Database, clock: ManualClock, ballot: ballots.Ballot, fob: Callable[[str], None]
) -> None:
    page.goto(site + "kiosk/")
    page.get_by_role("link", name="Buy a new boiler").tap()
    expect(page.get_by_text("30 years old")).to_be_visible()
    page.get_by_role("button", name="Vote with my fob").tap()
    expect(page.locator("#fob-asked")).to_have_text("Tap your fob on the reader now.")
    fob(ADA_FOB)
    expect(page).to_have_url(re.compile(rf"/kiosk/vote/{ballot.id}/ballot$"))
    page.get_by_text("Yes", exact=True).tap()
    page.get_by_role("button", name="Cast my vote").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your vote is counted.")
    main = page.locator("main").inner_text()
    assert "Yes" not in main and "Abstain" not in main and "Ada" not in main
    page.go_back()  # the back button: the ballot asks who is voting again, nothing chosen is shown
    expect(page).to_have_url(re.compile(rf"/kiosk/vote/{ballot.id}$"))
    assert page.locator("input[name=option]:checked").count() == 0
    assert results.counts(db.conn(), ballot) == [1, 0, 0] and db.conn().execute(
        "SELECT count(*) FROM visits").fetchone()[0] == 0  # the tap voted; it signed nobody in

    clock.advance(90)
    page.get_by_role("button", name="Vote with my fob").tap()
    expect(page.locator("#fob-asked")).to_be_visible()
    fob(ADA_FOB)
    expect(page.locator("#refused")).to_have_text("You have already voted on this. Thank you.")
    assert page.locator("input[name=option]").count() == 0
    assert results.turnout(db.conn(), ballot.id) == 1


def test_a_member_without_a_fob_votes_by_number_and_surname(
    page: Page, site: str, db: Database, ballot: ballots.Ballot
) -> None:
    page.goto(site + f"kiosk/vote/{ballot.id}")
    page.locator("#number").fill("2026")
    page.locator("#surname").fill("ap gwyn")
    page.get_by_role("button", name="Continue").tap()
    expect(page).to_have_url(re.compile(rf"/kiosk/vote/{ballot.id}/ballot$"))
    page.get_by_text("No", exact=True).tap()
    page.locator("#cast").dblclick()  # a double tap sends once (data-once)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your vote is counted.")
    page.reload()  # nothing shown twice: back to the start
    expect(page).to_have_url(re.compile(r"/kiosk/$"))
    assert results.counts(db.conn(), ballot) == [0, 1, 0]


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_the_voting_screens_pass_axe_with_big_targets(
    page: Page, site: str, ballot: ballots.Ballot, lang: str
) -> None:
    page.goto(site + "kiosk/")
    if lang == "cy":
        page.get_by_role("button", name="Cymraeg").tap()
        expect(page.locator("html")).to_have_attribute("lang", "cy")
        expect(page.locator("#vote-now")).to_contain_text("Aelodau: dweud eich dweud")
    problems: dict[str, Any] = {}
    for name in ("home", "question", "ballot"):
        if name == "question":
            page.goto(site + f"kiosk/vote/{ballot.id}")
        if name == "ballot":
            page.locator("#number").fill("M001")
            page.locator("#surname").fill("Lovelace")
            page.locator("form[action$='/who'] button[type=submit]").tap()
            expect(page).to_have_url(re.compile(r"/ballot$"))
        page.wait_for_load_state("load")
        if serious_violations(page) or small_targets(page):
            problems[name] = {"axe": serious_violations(page), "small": small_targets(page)}
        assert page.evaluate("() => document.documentElement.scrollWidth") <= page.viewport_size["width"]  # type: ignore[index]
        if name == "home":  # the vote's bar and the four tiles all on the screen
            bottoms = page.evaluate("Array.from(document.querySelectorAll('nav.tiles .tile'))"
                                    ".map(e => e.getBoundingClientRect().bottom)")
            assert len(bottoms) == 5 and max(bottoms) <= page.viewport_size["height"], bottoms  # type: ignore[index]
    assert problems == {}


def test_an_admin_creates_a_proposal_and_reads_the_result_sheet(
    page: Page, site: str, db: Database, clock: ManualClock, people: dict[str, register.Person]
) -> None:
    log_in_page(page, db, clock.now(), site + "dashboard/manage/decisions")
    page.get_by_role("link", name="New proposal or poll").click()
    page.fill("#title", "Open on Sundays")
    page.fill("#body", "Volunteers have offered to open 10:00-14:00 on Sundays for a trial of three months.")
    page.get_by_label("A proposal: yes, no or abstain").check()
    page.get_by_label("Members", exact=True).check()
    page.fill("#opens_at", local(clock.now()))
    page.fill("#closes_at", local(clock.now() + timedelta(hours=2)))
    page.get_by_label("Two thirds of yes and no votes").check()
    page.fill("#quorum", "2")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#decision-saved")).to_be_visible()
    [made] = [b for b in ballots.all_ballots(db.conn()) if b.title == "Open on Sundays"]
    assert (made.quorum, made.threshold, made.electorate) == (2, "two_thirds", "members")
    conn = db.conn()
    voting.cast(conn, made.id, people["ada"].id, [0], clock.now())
    voting.cast(conn, made.id, people["llyr"].id, [0], clock.now())
    page.reload()
    expect(page.locator("#turnout")).to_contain_text("Turnout: 2 of 2")
    expect(page.locator("#counts-secret")).to_be_visible()
    clock.advance(2 * 3600)
    with transaction(conn):
        ballots.close_due(conn, clock.now())
    page.goto(site + f"dashboard/manage/decisions/{made.id}/sheet")
    sheet = page.locator("#sheet")
    expect(sheet).to_contain_text("Open on Sundays")
    expect(sheet).to_contain_text("a trial of three months")
    expect(page.locator("#counts tbody tr").first).to_have_text(re.compile(r"Yes\s*2"))
    expect(page.locator("#outcome")).to_contain_text("Passed")
    expect(page.locator("#print")).to_be_visible()
