"""Settings in words (issue 16.12), in real Chromium: a hall manager finds each setting under
the heading they would look for, labelled in words with its help text, changes what
volunteers sign in for, the kiosk's roll-call PIN and the opening hours, and sees the
kiosk follow; a value out of range is refused next to its field, naming the key."""

from __future__ import annotations

from dashboard_support import log_in_page
from playwright.sync_api import Browser, Page, expect

from appliance.core.clock import ManualClock
from appliance.storage import settings
from appliance.storage.db import Database

PIN = "246810"


def test_a_manager_changes_activities_pin_and_hours_in_words(live_server, page: Page, browser: Browser,  # type: ignore[no-untyped-def]
                                                             db: Database, clock: ManualClock) -> None:
    base = live_server.url.rstrip("/")
    log_in_page(page, db, clock.now(), f"{base}/dashboard/manage/settings")
    for heading in ("This place", "Opening hours", "The entrance screen", "Fire roll-call", "How long records are kept"):
        expect(page.locator("legend", has_text=heading)).to_be_visible()
    # labels in words, help from the declarations, the file's value beside each
    expect(page.get_by_label("What volunteers can sign in for")).to_have_value("Reception\nCafe\nEvents\nMaintenance\nOther")
    expect(page.locator("#privacy__visitor_days-hint")).to_contain_text("From the file: 30")
    expect(page.locator("#privacy__visitor_days")).to_have_attribute("max", "3650")

    # a value that would break the roll-call: refused next to its field, nothing saved
    page.get_by_label("Mark as 'may have left' after (hours signed in)").fill("99999999")
    page.click("#settings-save")
    expect(page.locator("#privacy__uncertain_hours-error")).to_contain_text("privacy.uncertain_hours")
    expect(page.locator("#privacy__uncertain_hours-error")).to_contain_text("1 to 168 hours")
    assert settings.overrides(db.conn()) == {}

    page.get_by_label("Mark as 'may have left' after (hours signed in)").fill("10")
    page.get_by_label("What volunteers can sign in for").fill("Reception\nCafe\nChoir rehearsal\n")
    page.get_by_label("Kiosk roll-call PIN").fill(PIN)
    page.get_by_label("Monday").fill("closed")
    page.click("#settings-save")
    expect(page.locator("#settings-saved")).to_contain_text("4 changed")
    expect(page.locator("#kiosk__activities-hint")).to_contain_text("changed here")

    kiosk = browser.new_context(viewport={"width": 800, "height": 480}, has_touch=True).new_page()
    try:
        kiosk.goto(f"{base}/kiosk/signin/volunteer")
        expect(kiosk.locator("body")).to_contain_text("Choir rehearsal")
        expect(kiosk.locator("body")).not_to_contain_text("Maintenance")
        kiosk.goto(f"{base}/kiosk/")
        kiosk.get_by_role("link", name="Fire roll-call").click()
        kiosk.fill("#pin", PIN)
        kiosk.click("button[type=submit]")
        expect(kiosk.locator("h1")).to_contain_text("roll-call", ignore_case=True)
    finally:
        kiosk.context.close()
    assert settings.effective(live_server.config, db.conn()).site.opening_hours.mon == "closed"
