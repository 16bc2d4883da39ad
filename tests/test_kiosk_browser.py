"""The entrance kiosk in real Chromium with touch: every flow, the live fob tap, the idle
reset, privacy, an axe-core audit of every page, target sizes, keyboard reach."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from kiosk_helpers import run_clock, seed, serious_violations, small_targets
from playwright.sync_api import Page, expect

from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.core.events import FobRead
from appliance.people import visits
from appliance.sensing.recorder import Recorder
from appliance.storage.db import Database
from bench import procs
from doorstep.agent import RULES

pytestmark = pytest.mark.browser

PAGES = [
    "kiosk/", "kiosk/signin", "kiosk/signin/visitor", "kiosk/signin/member", "kiosk/signin/volunteer",
    "kiosk/signout", "kiosk/book", "kiosk/book/main-hall", "kiosk/book/main-hall/2026-03-02T10:00",
    "kiosk/book/main-hall/2026-03-02T10:00/60", "kiosk/whatson", "kiosk/signin/ghost",
]


@pytest.fixture
def site(live_server: Any, db: Database, clock: ManualClock, page: Page) -> Iterator[str]:
    """The running kiosk with demo rooms and members; Ada's fob hashes to 'card-ada'."""
    seed(db, clock)
    yield str(live_server.url)
    # Leave the pages (closing their live streams) before the server stops.
    for tab in page.context.pages:
        tab.goto("about:blank")


def tap_fob(db: Database, config: Config, clock: ManualClock, card: str = "card-ada") -> None:
    """What the agent does when the reader sends a frame: a FobRead through the real Recorder."""
    recorder = Recorder(db, config, clock, RULES)
    recorder.write([FobRead(at=clock.now(), reader="entrance", card_hash=card)])


def test_visitor_signs_in_by_touch_with_the_on_screen_keyboard(page: Page, site: str, db: Database) -> None:
    page.goto(site + "kiosk/")
    page.get_by_role("link", name="Sign in").tap()
    page.get_by_role("link", name="Visitor").tap()
    page.locator("#name").tap()
    expect(page.locator("#osk")).to_be_visible()
    for key in "joan clarke":
        page.locator(f'#osk [data-key="{key}"]').tap()
    expect(page.locator("#name")).to_have_value("Joan Clarke")
    page.locator('#osk [data-key="back"]').tap()
    page.locator('#osk [data-key="e"]').tap()
    expect(page.locator("#name")).to_be_focused()
    page.locator('#osk [data-key="done"]').tap()
    expect(page.locator("#osk")).to_be_hidden()
    expect(page.locator(".notice")).to_contain_text("30 days")
    page.get_by_role("button", name="Sign in").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Joan!")
    assert [v.name for v in visits.signed_in_now(db.conn())] == ["Joan Clarke"]


def test_volunteer_and_sign_out_by_touch(page: Page, site: str, db: Database) -> None:
    page.goto(site + "kiosk/signin/volunteer")
    page.locator("#name").fill("M002")
    page.locator("#surname").fill("Hopper")
    page.get_by_text("Cafe").tap()
    page.get_by_role("button", name="Sign in").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Grace!")
    page.get_by_role("link", name="Done").tap()
    page.get_by_role("link", name="Sign out").tap()
    page.locator("#name").fill("grace hopper")
    page.get_by_role("button", name="Sign out").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Goodbye, Grace!")
    assert visits.signed_in_now(db.conn()) == []


def test_a_fob_tap_shows_on_the_open_page(
    page: Page, site: str, db: Database, config: Config, clock: ManualClock
) -> None:
    page.goto(site + "kiosk/signin")
    page.wait_for_load_state("load")
    tap_fob(db, config, clock)
    overlay = page.locator("#fob")
    expect(overlay).to_be_visible()
    expect(overlay).to_contain_text("Welcome, Ada! You are signed in.")
    page.locator("#fob-close").tap()
    expect(overlay).to_be_hidden()
    clock.advance(3600)
    tap_fob(db, config, clock)
    expect(overlay).to_contain_text("Goodbye, Ada! You are signed out.")
    clock.advance(60)
    tap_fob(db, config, clock, card="nobody-knows-me")
    expect(overlay).to_contain_text("We do not know this fob yet")


def test_a_fob_frame_on_the_serial_port_reaches_the_open_page(
    page: Page, site: str, db: Database, config: Config, clock: ManualClock, serial_pair: Any
) -> None:
    # The agent's real path: reader thread on a pty -> FobRead -> Recorder -> database -> SSE.
    from appliance.core.config import CardReaderConfig
    from appliance.people import fobs, register
    from sensors.cardframes import encode_rdm6300
    from sensors.cardreader import CardReader

    secret = b"kiosk-test-secret-0123456789abcd"
    with db.write() as conn:
        grace = register.by_member_number(conn, "M002")
        assert grace is not None
        register.assign_card(conn, grace.id, fobs.card_hash(secret, "0004817266"))
    recorder = Recorder(db, config, clock, RULES)
    recorder.start()
    reader = CardReader(
        CardReaderConfig(enabled=True, path=serial_pair.path, mode="rdm6300"),
        recorder.submit, clock, lambda number: fobs.card_hash(secret, number),
    )
    reader.start()
    try:
        page.goto(site + "kiosk/whatson")
        # Opening a port empties its input (pyserial): a frame written before the reader has
        # the pty open would be thrown away, so wait for it, as a tap only counts once it can.
        procs.wait_for(lambda: reader.opens, 10, "the fob reader to open the pty")
        serial_pair.write(encode_rdm6300("0004817266"))
        # Grace is a volunteer: her tap goes on to what she is here for (docs/ROTAS.md).
        expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Grace!")
        expect(page.get_by_role("group", name="What are you here for?")).to_be_visible()
        assert [v.name for v in visits.signed_in_now(db.conn())] == ["Grace Hopper"]
    finally:
        reader.close()
        recorder.stop()


def test_typing_part_of_a_name_reveals_nobody(
    page: Page, site: str, db: Database, config: Config, clock: ManualClock
) -> None:
    tap_fob(db, config, clock)  # Ada is in
    page.goto(site + "kiosk/signout")
    page.locator("#name").tap()
    for key in "ada":
        page.locator(f'#osk [data-key="{key}"]').tap()
    assert page.locator("[role=listbox], [role=option], datalist").count() == 0
    assert "Lovelace" not in page.content()
    page.get_by_role("button", name="Sign out").tap()
    expect(page.locator("#error")).to_contain_text("Nobody with that name is signed in")
    assert "Lovelace" not in page.content()
    assert len(visits.signed_in_now(db.conn())) == 1


def test_idle_reset_goes_home_and_forgets_everything(page: Page, site: str, config: Config) -> None:
    page.clock.install()
    page.goto(site + "kiosk/signin/visitor")
    page.get_by_role("button", name="Cymraeg").tap()
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    page.locator("#bigger").tap()
    expect(page.locator("html")).to_have_class(re.compile("large"))
    page.locator("#name").fill("Half-typed secret")
    run_clock(page, (config.kiosk.idle_seconds - 5) * 1000)
    assert "/kiosk/signin/visitor" in page.url  # not yet
    run_clock(page, 10_000)
    page.wait_for_url(re.compile(r"/kiosk/\?idle=1$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("html")).not_to_have_class(re.compile("large"))
    assert "Half-typed secret" not in page.content()
    page.goto(site + "kiosk/signin/visitor")
    expect(page.locator("#name")).to_have_value("")


def test_book_a_room_by_touch_and_see_it_on_whats_on(page: Page, site: str) -> None:
    page.goto(site + "kiosk/")
    page.get_by_role("link", name="Book a room").tap()
    page.get_by_role("link", name="Main Hall").tap()
    page.get_by_role("link", name="10:00").tap()
    page.get_by_role("link", name="1 h 00 min").tap()
    page.locator("#organiser").fill("Joan Clarke")
    page.locator("#title").fill("Choir practice")
    page.get_by_text("Show what it is").tap()
    page.get_by_role("button", name="Confirm booking").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Booked!")
    expect(page.locator("#reference")).to_have_text(re.compile(r"^\w{6}$"))
    expect(page.locator(".qr svg")).to_be_visible()
    page.get_by_role("link", name="Done").tap()
    page.get_by_role("link", name="What's on").tap()
    expect(page.locator("main")).to_contain_text("Choir practice")


def test_a_slot_taken_meanwhile_offers_the_nearest(page: Page, site: str) -> None:
    page.goto(site + "kiosk/book/main-hall/2026-03-02T10:00/60")
    other = page.context.new_page()
    other.goto(site + "kiosk/book/main-hall/2026-03-02T10:00/60")
    other.locator("#organiser").fill("Someone Else")
    other.get_by_role("button", name="Confirm booking").tap()
    expect(other.get_by_role("heading", level=1)).to_have_text("Booked!")
    page.locator("#organiser").fill("Joan")
    page.get_by_role("button", name="Confirm booking").tap()
    expect(page.locator("#error")).to_contain_text("just booked")
    page.locator("a.slot").first.tap()
    page.locator("#organiser").fill("Joan")
    page.get_by_role("button", name="Confirm booking").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Booked!")


def test_language_switch_on_every_screen(page: Page, site: str) -> None:
    for path in PAGES[:-1]:
        page.goto(site + path)
        assert page.get_by_role("button", name="Cymraeg").count() == 1, path
    page.goto(site + "kiosk/whatson")
    page.get_by_role("button", name="Cymraeg").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Beth sydd ymlaen heddiw")
    assert page.url.endswith("/kiosk/whatson")


def test_everything_is_reachable_by_keyboard_with_visible_focus(page: Page, site: str) -> None:
    page.goto(site + "kiosk/")
    reached = []
    for _ in range(7):  # the language buttons, larger text, the four tiles
        page.keyboard.press("Tab")
        info = page.evaluate(
            "() => [document.activeElement.textContent.trim(), getComputedStyle(document.activeElement).outlineStyle]"
        )
        reached.append(info[0])
        assert info[1] != "none", f"no visible focus on {info[0]!r}"
    for label in ("Sign in", "Sign out", "Book a room", "What's on", "Cymraeg", "Larger text"):
        assert label in reached, (label, reached)


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_axe_finds_nothing_serious_and_targets_are_big_enough(
    page: Page, site: str, lang: str, db: Database, config: Config, clock: ManualClock
) -> None:
    page.goto(site + "kiosk/")
    if lang == "cy":
        page.get_by_role("button", name="Cymraeg").tap()
        expect(page.locator("html")).to_have_attribute("lang", "cy")
    problems: dict[str, Any] = {}
    for path in PAGES:
        page.goto(site + path)
        found = serious_violations(page)
        small = small_targets(page)
        if found or small:
            problems[path] = {"axe": found, "small": small}
    # The states only a visit reaches: the keyboard open, larger text, a done page, the overlay.
    page.goto(site + "kiosk/signin/visitor")
    page.locator("#name").tap()
    page.locator("#bigger").tap()
    if serious_violations(page) or small_targets(page):
        problems["keyboard+large"] = {"axe": serious_violations(page), "small": small_targets(page)}
    page.locator("#name").fill("Joan")
    page.locator("#osk [data-key=done]").tap()
    page.locator("main button[type=submit]").tap()
    expect(page.locator("#back")).to_be_visible()
    if serious_violations(page):
        problems["done"] = serious_violations(page)
    tap_fob(db, config, clock)
    expect(page.locator("#fob")).to_be_visible()
    if serious_violations(page):
        problems["fob"] = serious_violations(page)
    assert problems == {}


def test_the_audit_and_the_size_check_do_catch_problems(page: Page) -> None:
    # Guards the two checks above: a page with known faults must be reported.
    page.set_content(
        '<html lang="en"><title>t</title><main><input type="text">'
        '<p style="color:#bbb;background:#fff">Hard to read</p>'
        '<button style="width:20px;height:20px;padding:0">x</button></main></html>'
    )
    assert {v["id"] for v in serious_violations(page)} >= {"label", "color-contrast"}
    assert len(small_targets(page)) == 2  # the bare input and the tiny button
