"""Issue 16's kiosk journeys in real Chromium, on the official 7" screen (800x480) and at
1280x800: the keyboard never hides what is typed (item 5), post/redirect/get and success
screens that clear themselves (7), 120-letter names (8), the roll-call by touch (9) and
Welsh wherever a visitor reads (10)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

import pytest
from kiosk_helpers import run_clock, seed, serious_violations, small_targets
from playwright.sync_api import Page, expect

from appliance.booking import bookings, whatson
from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.people import visits
from appliance.storage.db import Database

pytestmark = pytest.mark.browser

SIZES = [(800, 480), (1280, 800)]
PIN = "4321"
LONG_NAME = "Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaftschaferswessenschafewarenwohlgepflegeundsorgfaltigkeitbesch"
assert len(LONG_NAME) == 120

# Every kiosk form and the text boxes it has (the test also finds them on the page, so a box
# added later without a row here fails rather than going untested).
FORMS = [
    ("kiosk/signin/visitor", ["name", "visiting"]),
    ("kiosk/signin/member", ["name", "surname"]),
    ("kiosk/signin/volunteer", ["name", "surname"]),
    ("kiosk/signout", ["name"]),
    ("kiosk/book/main-hall/2026-03-02T10:00/60", ["organiser", "title", "contact"]),
    ("kiosk/rollcall", ["pin"]),
]


@pytest.fixture
def config(config: Config) -> Config:
    """The kiosk with the fire roll-call on (a PIN set)."""
    return config.with_changes(kiosk=dataclasses.replace(config.kiosk, rollcall_pin=PIN))


@pytest.fixture
def site(live_server: Any, db: Database, clock: ManualClock) -> str:
    """The running kiosk with the demo's rooms and members."""
    seed(db, clock)
    return str(live_server.url)


@pytest.fixture(params=SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def screen(request: pytest.FixtureRequest, browser: Any, site: str) -> Iterator[Page]:
    """A touch screen of one of the kiosk's sizes."""
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height}, has_touch=True)
    page = context.new_page()
    yield page
    page.goto("about:blank")  # closes the live stream before the server stops
    context.close()


def key_for(char: str) -> str:
    return char.lower()


def tap_keys(page: Page, text: str, field: str | None = None) -> list[dict[str, float]]:
    """Type ``text`` on the on-screen keyboard; return where the field was after each key."""
    seen = []
    for char in text:
        page.locator(f'#osk [data-key="{key_for(char)}"]').tap()
        if field:
            seen.append(position(page, field))
    return seen


def position(page: Page, field: str) -> dict[str, float]:
    """The field's box and the keyboard's top edge, in the viewport."""
    return dict(page.evaluate(
        """id => { const f = document.getElementById(id).getBoundingClientRect();
                   const k = document.getElementById('osk');
                   return {top: f.top, bottom: f.bottom, keyboard: k.hidden ? -1 : k.getBoundingClientRect().top,
                           height: window.innerHeight}; }""", field))


def visible_above_keyboard(where: dict[str, float]) -> bool:
    return where["keyboard"] > 0 and where["top"] >= 0 and where["bottom"] <= where["keyboard"]


def fits_the_width(page: Page) -> bool:
    # The text can be in the page before its stylesheet is (a loaded machine): measure the
    # layout the person sees, once the page has loaded.
    page.wait_for_load_state("load")
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


# -- item 5: the keyboard never hides what is typed ------------------------------------------


@pytest.mark.parametrize("large", [False, True], ids=["text", "larger-text"])
def test_every_field_stays_above_the_keyboard_while_typing(screen: Page, site: str, large: bool) -> None:
    page = screen
    for path, declared in FORMS:
        page.goto(site + path)
        if large:
            page.locator("#bigger").tap()
        found = page.eval_on_selector_all("main form input[data-osk]", "els => els.map(e => e.id)")
        assert found == declared, path
        page.locator(f"#{declared[0]}").tap()
        for i, field in enumerate(declared):
            expect(page.locator(f"#{field}")).to_be_focused()
            text = "1234" if field == "pin" else "Siân Llŷr"
            for where in tap_keys(page, text, field):
                assert visible_above_keyboard(where), (path, field, where)
            caps = page.locator(f"#{field}").get_attribute("autocapitalize") == "words"
            wanted = "1234" if field == "pin" else ("Siân Llŷr" if caps else "siân llŷr")
            expect(page.locator(f"#{field}")).to_have_value(wanted)
            if field != "pin":
                expect(page.locator(f"#{field}-count")).to_have_text("9 of 120 letters")
            if i + 1 < len(declared):
                page.locator('#osk [data-key="next"]').tap()  # Next: on to the form's next box
            else:
                expect(page.locator('#osk [data-key="next"]')).to_be_hidden()
        submit = page.locator("main form button[type=submit]").inner_text().strip()
        expect(page.locator('#osk [data-key="send"]')).to_have_text(f"{submit} ↵")
        page.locator('#osk [data-key="done"]').tap()
        expect(page.locator("#osk")).to_be_hidden()


def test_the_vote_screen_types_number_and_surname_above_the_keyboard(
    screen: Page, site: str, db: Database, clock: ManualClock
) -> None:
    """A member with no fob votes by typing: both boxes stay in sight while the on-screen
    keyboard is up (the vote screen has the question's text above them)."""
    from decisions_support import make_ballot

    ballot = make_ballot(db.conn(), clock.now())
    page = screen
    page.goto(site + f"kiosk/vote/{ballot.id}")
    page.locator("#number").tap()
    for field, text in (("number", "2026"), ("surname", "Llŷr")):
        expect(page.locator(f"#{field}")).to_be_focused()
        for where in tap_keys(page, text, field):
            assert visible_above_keyboard(where), (field, where)
        if field == "number":
            page.locator('#osk [data-key="next"]').tap()
    expect(page.locator("#surname")).to_have_value("Llŷr")
    expect(page.locator('#osk [data-key="send"]')).to_have_text("Continue ↵")


def test_the_submit_key_sends_the_form(screen: Page, site: str, db: Database) -> None:
    page = screen
    page.goto(site + "kiosk/signin/visitor")
    page.locator("#name").tap()
    tap_keys(page, "joan")
    page.locator('#osk [data-key="send"]').tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Joan!")
    assert [v.name for v in visits.signed_in_now(db.conn())] == ["Joan"]


@pytest.mark.parametrize("large", [False, True], ids=["text", "larger-text"])
def test_home_shows_every_tile_and_a_compact_header(screen: Page, site: str, large: bool) -> None:
    page = screen
    page.goto(site + "kiosk/")
    if large:
        page.locator("#bigger").tap()
        expect(page.locator("html")).to_have_class(re.compile("large"))
    height = page.viewport_size["height"] if page.viewport_size else 0
    tiles = page.locator("nav.tiles .tile")
    assert tiles.count() == 4
    for i in range(tiles.count()):
        box = tiles.nth(i).bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= height, (i, box)
    header = page.locator("header.bar").bounding_box()
    assert header
    if height < 600:
        assert header["height"] <= 64, header  # one line, however large the text
    assert fits_the_width(page)


# -- item 7: post/redirect/get; success screens clear themselves -----------------------------


def test_a_reload_or_the_back_button_never_signs_in_twice_or_shows_the_name(
    screen: Page, site: str, db: Database
) -> None:
    page = screen
    page.goto(site + "kiosk/signin/visitor")
    page.locator("#name").fill("Joan Clarke")
    page.locator("main button[type=submit]").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Joan!")
    assert page.url.endswith("/kiosk/done")
    page.reload()  # a GET: nothing is sent again, and the greeting is gone
    expect(page.get_by_role("heading", level=1)).to_have_text("Our Community Hall")
    assert "Joan" not in page.content()
    page.go_back()  # to the form: empty, nothing resent
    expect(page.locator("#name")).to_have_value("")
    assert len(visits.signed_in_now(db.conn())) == 1


def test_a_double_tap_on_sign_in_opens_one_visit(screen: Page, site: str, db: Database) -> None:
    page = screen
    page.goto(site + "kiosk/signin/visitor")
    page.locator("#name").fill("Joan Clarke")
    page.evaluate("""() => { const b = document.querySelector('main button[type=submit]');
                             b.click(); b.click(); }""")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Joan!")
    assert len(visits.signed_in_now(db.conn())) == 1


def test_success_screens_go_back_to_the_start_by_themselves_or_with_done(
    screen: Page, site: str, config: Config
) -> None:
    page = screen
    page.clock.install()
    page.goto(site + "kiosk/signin/member")
    page.locator("#name").fill("M001")
    page.locator("#surname").fill("Lovelace")
    page.locator("main button[type=submit]").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Ada!")
    expect(page.locator("#back")).to_have_text("Done")
    expect(page.locator("#back-note")).to_contain_text(f"{config.kiosk.done_seconds} seconds")
    run_clock(page, (config.kiosk.done_seconds - 2) * 1000)
    assert page.url.endswith("/kiosk/done")  # not yet
    run_clock(page, 4000)
    page.wait_for_url(re.compile(r"/kiosk/\?idle=1$"))
    assert "Ada" not in page.content()
    page.goto(site + "kiosk/signout")
    page.locator("#name").fill("M001")
    page.locator("main button[type=submit]").tap()
    # signed out by number: no name on the screen (a number is not a secret)
    expect(page.get_by_role("heading", level=1)).to_have_text("Goodbye!")
    page.locator("#back").tap()  # Done: at once
    page.wait_for_url(re.compile(r"/kiosk/\?idle=1$"))


def test_the_cancel_code_is_shown_once_and_not_left_for_the_next_person(
    screen: Page, site: str, config: Config, db: Database
) -> None:
    page = screen
    page.clock.install()
    page.goto(site + "kiosk/book/main-hall/2026-03-02T10:00/60")
    page.locator("#organiser").fill("Joan Clarke")
    page.locator("main button[type=submit]").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Booked!")
    code = page.locator("#cancel-code").inner_text()
    assert re.fullmatch(r"\w{4,}", code)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Our Community Hall")
    assert code not in page.content()
    assert len(whatson.day_bookings(db.conn(), db.clock.now().date(), config)) == 1
    # and a receipt nobody reloads goes by itself after kiosk.receipt_seconds
    page.goto(site + "kiosk/book/main-hall/2026-03-02T14:00/60")
    page.locator("#organiser").fill("Joan Clarke")
    page.locator("main button[type=submit]").tap()
    expect(page.locator("#cancel-code")).to_be_visible()
    run_clock(page, (config.kiosk.receipt_seconds + 2) * 1000)
    page.wait_for_url(re.compile(r"/kiosk/\?idle=1$"))


# -- item 8: a 120-letter name never overflows -------------------------------------------------


def test_a_120_letter_name_wraps_and_the_limit_is_stated(
    screen: Page, site: str, db: Database, config: Config, clock: ManualClock
) -> None:
    page = screen
    page.goto(site + "kiosk/signin/visitor")
    page.locator("#name").tap()
    page.locator("#name").fill(LONG_NAME[:-1])
    tap_keys(page, "bx")  # the 120th letter goes in, the 121st does not
    expect(page.locator("#name")).to_have_value(LONG_NAME[:-1] + "b")
    expect(page.locator("#name-count")).to_have_text("120 of 120 letters")
    assert fits_the_width(page)
    page.locator('#osk [data-key="send"]').tap()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome, Wolfe")
    assert fits_the_width(page)
    # the same name typed past the limit (no keyboard: a pasted or scripted value) is refused in words
    page.goto(site + "kiosk/signin/visitor")
    page.evaluate("document.getElementById('name').removeAttribute('maxlength')")
    page.locator("#name").fill(LONG_NAME + "x")
    page.locator("main button[type=submit]").tap()
    expect(page.locator("#error")).to_contain_text("120 letters or fewer")
    assert fits_the_width(page)
    # a long public title on what's on, and the long name on the roll-call
    page.goto(site + "kiosk/book/main-hall/2026-03-02T10:00/60")
    page.locator("#organiser").fill(LONG_NAME)
    page.locator("#title").fill(LONG_NAME)
    page.get_by_text("Show what it is").tap()
    page.locator("main button[type=submit]").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Booked!")
    assert fits_the_width(page)
    page.goto(site + "kiosk/whatson")
    expect(page.locator("main")).to_contain_text(LONG_NAME[:30])
    assert fits_the_width(page)
    page.goto(site + "kiosk/rollcall")
    page.locator("#pin").fill(PIN)
    page.locator("main button[type=submit]").tap()
    expect(page.locator("#rollcall")).to_contain_text(LONG_NAME[:30])
    assert fits_the_width(page)


# -- item 9: the roll-call by touch ----------------------------------------------------------------


def test_the_rollcall_pin_by_touch_then_the_list_goes_away_by_itself(
    screen: Page, site: str, db: Database, config: Config, clock: ManualClock
) -> None:
    from dashboard_support import sign_in_visitor

    sign_in_visitor(db, config, clock.now(), "Grace Hopper")
    page = screen
    page.clock.install()
    page.goto(site + "kiosk/")
    page.get_by_role("link", name="Fire roll-call").tap()
    expect(page.locator("#pin")).to_be_visible()
    assert small_targets(page) == [] and serious_violations(page) == []
    page.locator("#pin").tap()
    expect(page.locator("#osk")).to_be_visible()
    assert page.locator('#osk [data-key="q"]').count() == 0  # the digits keypad
    for where in tap_keys(page, PIN, "pin"):
        assert visible_above_keyboard(where)
    page.locator('#osk [data-key="send"]').tap()
    expect(page.locator("#rollcall")).to_contain_text("Grace Hopper")
    assert small_targets(page) == [] and serious_violations(page) == []
    page.reload()  # the list again, without sending the PIN again
    expect(page.locator("#rollcall")).to_contain_text("Grace Hopper")
    run_clock(page, (config.kiosk.idle_seconds + 2) * 1000)
    page.wait_for_url(re.compile(r"/kiosk/\?idle=1$"))
    assert "Grace Hopper" not in page.content()
    page.go_back()  # the PIN is forgotten: the form, not the list
    expect(page.locator("#pin")).to_be_visible()
    assert "Grace Hopper" not in page.content()


# -- item 10: Welsh wherever a visitor reads -----------------------------------------------------


def test_welsh_on_whats_on_the_rollcall_the_errors_and_the_activities(
    screen: Page, site: str, db: Database, config: Config, clock: ManualClock
) -> None:
    from dashboard_support import sign_in_visitor

    with db.write() as conn:
        start = clock.now().replace(hour=14)
        bookings.book(conn, config, bookings.BookingRequest(
            room="green-room", start=start, end=start.replace(hour=15), title="Secret", organiser="Sam"), clock.now())
    sign_in_visitor(db, config, clock.now(), "Grace Hopper")
    page = screen
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(site + "kiosk/")
    page.get_by_role("button", name="Cymraeg").tap()
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    page.goto(site + "kiosk/whatson")
    expect(page.locator("main")).to_contain_text("Wedi’i archebu")
    assert "Secret" not in page.content() and "Booked" not in page.inner_text("main")
    # an empty name: our own words in Welsh, not the browser's English pop-up
    page.goto(site + "kiosk/signin/visitor")
    page.locator("main button[type=submit]").tap()
    # (the error comes from the server: the browser's own check, in its own language, did not stop the form)
    expect(page.locator("#error")).to_have_text(re.compile("Teipiwch eich enw"))
    assert dialogs == []
    # the activities in Welsh; the visit keeps the activity's own name for reports
    page.goto(site + "kiosk/signin/volunteer")
    page.locator("#name").fill("M002")
    page.locator("#surname").fill("hopper")
    page.get_by_text("Caffi").tap()
    page.locator("main button[type=submit]").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Croeso, Grace!")
    assert {v.activity for v in visits.signed_in_now(db.conn()) if v.kind == "volunteer"} == {"Cafe"}
    # the roll-call pages
    page.goto(site + "kiosk/rollcall")
    expect(page.get_by_role("heading", level=1)).to_have_text("Rhestr dân")
    page.locator("#pin").fill(PIN)
    page.locator("main button[type=submit]").tap()
    expect(page.locator("#rollcall thead")).to_contain_text("Enw")
    expect(page.locator("#rollcall")).to_contain_text("Ymwelydd")
    assert serious_violations(page) == []


@pytest.mark.parametrize("hold_ms", [0, 150])
def test_pressing_the_forms_own_button_above_the_keyboard_sends_it(screen: Page, site: str, hold_ms: int) -> None:
    """A finger on the form's own button, scrolled into sight above the keyboard: pressing
    moves focus out of the field, which hides the keyboard; the page under the finger must
    not move before the finger lifts, or the press lands beside the button and nothing
    happens (CI caught this on the "We're here" screen at 800x480)."""
    page = screen
    page.goto(site + "kiosk/signin/visitor")
    page.locator("#name").tap()
    tap_keys(page, "joan")
    page.locator('#osk [data-key="next"]').tap()
    tap_keys(page, "the office")
    expect(page.locator("#osk")).to_be_visible()
    # Scroll as a person would, until the button shows just above the keyboard.
    page.evaluate("""() => { const b = document.querySelector('main form button[type=submit]');
                             const k = document.getElementById('osk').getBoundingClientRect().top;
                             window.scrollBy(0, b.getBoundingClientRect().bottom - k + 8); }""")
    box = page.locator("main form button[type=submit]").bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    assert page.evaluate("([x, y]) => document.elementFromPoint(x, y).type", [x, y]) == "submit"
    page.mouse.move(x, y)
    page.mouse.down()
    page.wait_for_timeout(hold_ms)  # a finger rests a moment; the page must hold still
    page.mouse.up()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Joan!")
