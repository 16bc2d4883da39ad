"""A management flow in real Chromium: assign a fob by tapping it while the form is open,
then erase the person after the confirmation step."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from appliance.core.clock import ManualClock, iso
from appliance.people import admins, register, taps
from appliance.storage import state
from appliance.storage.db import Database

PASSWORD = "correct horse"


def test_tap_a_fob_while_the_form_is_open_then_erase(live_server, page: Page, db: Database,  # type: ignore[no-untyped-def]
                                                     clock: ManualClock) -> None:
    admins.create(db.conn(), "alice", PASSWORD, clock.now())
    with db.write():
        ada = register.create(db.conn(), clock.now(), name="Ada Lovelace", kind="member")
    base = live_server.url.rstrip("/")
    page.goto(f"{base}/dashboard/manage/people/{ada.id}")
    page.fill("#name", "alice")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Ada Lovelace")

    page.click("#assign-fob")
    prompt = page.locator("#fob-prompt")
    expect(prompt).to_have_text("Tap the fob on the reader now.")
    # The agent sees an unknown card: it writes fob/last_unknown, as taps.toggle_by_card does.
    clock.advance(seconds=2)
    with db.write():
        state.put(db.conn(), taps.LAST_UNKNOWN_KEY, {"card_hash": "c0ffee-hash", "at": iso(clock.now())},
                  iso(clock.now()))
    expect(prompt).to_contain_text("Fob read at", timeout=10_000)
    assert "c0ffee" not in page.content()
    page.click("#fob-assign")
    expect(page.locator("#fob-assigned")).to_be_visible()
    assert register.by_card(db.conn(), "c0ffee-hash") is not None

    page.click("text=Export or erase everything about this person")
    page.fill("#confirm_name", "Ada")
    page.click("#erase-confirm")
    expect(page.locator("#page-error")).to_contain_text("Nothing was erased")
    page.fill("#confirm_name", "Ada Lovelace")
    page.click("#erase-confirm")
    expect(page.locator("#erased-notice")).to_be_visible()
    assert register.get(db.conn(), ada.id) is None
    expect(page.locator("#audit-log")).to_contain_text("person_erased")
    expect(page.locator("#audit-log")).not_to_contain_text("Lovelace")
