"""`make docs`: the pictures in docs/ (docs/screenshots/*.png), taken with Playwright in
real Chromium from a running `doorstep demo`, so they show what a person really sees.

The pictures are data: one row of :data:`SHOTS` each (a name, a path, a screen size, the
steps a person takes before the picture, and whether the dashboard login is needed). To
add a picture, add a row and embed ``screenshots/<name>.png`` in a page of docs/;
tests/test_docs_screenshots.py takes every row against a test server, so a row whose
steps no longer work fails there, and checks every row is embedded somewhere.

Run: ``make docs`` (or ``.venv/bin/python tools/screenshots.py [NAME ...]``).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

KIOSK = (800, 480)  # the official 7" touchscreen
DESK = (1280, 800)
HALL = (1280, 720)  # a television in the hall, at a size that keeps the file small
PHONE = (390, 844)  # a phone on the hall's Wi-Fi

# A step: a verb and its arguments. Verbs are the small set in ACTIONS below.
Step = tuple[Any, ...]


@dataclass(frozen=True)
class Shot:
    """One picture for the docs."""

    name: str                       # docs/screenshots/<name>.png
    path: str                       # where the browser goes first, e.g. "kiosk/"
    viewport: tuple[int, int]
    steps: tuple[Step, ...] = ()    # what a person does before the picture
    login: bool = False             # log in to the dashboard first
    full_page: bool = False         # the whole page, not only the screen
    caption: str = ""               # what it shows (alt text in the docs)


SHOTS: list[Shot] = [
    # -- the kiosk, on the 7" screen
    Shot("kiosk-home", "kiosk/", KIOSK, caption="The kiosk's home screen"),
    Shot("kiosk-home-welsh", "kiosk/", KIOSK, (("tap", "button[lang=cy]"), ("wait", "html[lang=cy]")),
         caption="The home screen in Welsh"),
    Shot("kiosk-signin-keyboard", "kiosk/signin/visitor", KIOSK, (("tap", "#name"), ("keys", "sian llyr")),
         caption="Signing in: the name stays above the on-screen keyboard"),
    Shot("kiosk-volunteer", "kiosk/signin/volunteer", KIOSK, caption="A volunteer chooses what they are here for"),
    Shot("kiosk-signed-in", "kiosk/signin/visitor", KIOSK,
         (("fill", "#name", "Siân Llŷr"), ("tap", "main button[type=submit]"), ("wait", "#back")),
         caption="Signed in; the screen goes back to the start by itself"),
    Shot("kiosk-book-slots", "kiosk/book/main-hall", KIOSK, caption="Booking: free start times"),
    Shot("kiosk-booked", "kiosk/book/green-room?day={tomorrow}", KIOSK,
         (("tap", "a.slot >> nth=-1"), ("tap", "a.slot >> nth=0"), ("fill", "#organiser", "Siân Llŷr"),
          ("fill", "#title", "Choir practice"), ("tap", "main button[type=submit]"), ("wait", "#reference")),
         caption="The booking receipt: reference, cancel code and QR code"),
    Shot("kiosk-whatson", "kiosk/whatson", KIOSK, caption="What's on today"),
    Shot("kiosk-vote", "kiosk/vote", KIOSK, (("tap", "main a[href*='/kiosk/vote/']"), ("wait", "#vote-fob")),
         caption="A members' vote at the kiosk: the question, then who is voting"),
    # -- the dashboard
    Shot("dashboard-home", "dashboard/", DESK, login=True, caption="The dashboard"),
    Shot("dashboard-rollcall", "dashboard/rollcall", DESK, login=True, caption="The fire roll-call"),
    Shot("dashboard-decisions", "dashboard/manage/decisions", DESK, login=True, full_page=True,
         caption="Member decisions: turnout while open, results after"),
    Shot("dashboard-report-footfall", "dashboard/reports/?report=footfall&period=week&from={weeks_ago_8}&to={today}",
         DESK, login=True, full_page=True, caption="Footfall per week, with its chart"),
    Shot("dashboard-report-hours", "dashboard/reports/?report=hours&from={weeks_ago_8}&to={today}", DESK,
         login=True, caption="When the place is busy: footfall by hour of the day"),
    Shot("dashboard-report-activities", "dashboard/reports/?report=activities&from={weeks_ago_8}&to={today}",
         DESK, login=True, caption="Volunteer hours per activity"),
    Shot("dashboard-visits", "dashboard/manage/visits", DESK, login=True, full_page=True,
         caption="Signing someone in or out by hand, and resetting the door count"),
    Shot("dashboard-visit-history", "dashboard/manage/visits/history", DESK, login=True,
         caption="Past visits, searched"),
    Shot("dashboard-cancel", "dashboard/manage/bookings?day={tomorrow}", DESK,
         (("click", "a.button.danger >> nth=0"), ("wait", "#confirm-cancel")), login=True,
         caption="Cancelling a booking asks first"),
    # -- bookings (docs/BOOKINGS.md)
    Shot("dashboard-new-booking",
         "dashboard/manage/bookings/new?room=main-hall&start={tomorrow}T10:00&end={tomorrow}T11:30", DESK,
         (("fill", "#title", "Côr y Pentref"), ("select", "#repeat", "weekly"), ("wait", "#preview-summary")),
         login=True, full_page=True, caption="New booking: every date checked before anything is saved"),
    Shot("dashboard-bookings-week", "dashboard/manage/bookings/week?day={tomorrow}", DESK, login=True,
         caption="A room's week as a grid"),
    Shot("dashboard-calendars", "dashboard/manage/calendars", DESK, login=True, full_page=True,
         caption="Calendar feeds and import"),
    Shot("phone-booking", "booking/", PHONE, caption="Booking from a phone: the rooms"),
    # -- the hall display
    Shot("display", "display/", HALL, caption="The hall display"),
]


def _tap(page: Any, selector: str) -> None:
    page.locator(selector).first.tap()


def _keys(page: Any, text: str) -> None:
    for char in text:
        page.locator(f'#osk [data-key="{char}"]').tap()


ACTIONS: dict[str, Callable[..., None]] = {
    "tap": _tap,                                                         # ("tap", selector)
    "click": lambda page, selector: page.locator(selector).first.click(),  # ("click", selector)
    "fill": lambda page, selector, text: page.locator(selector).fill(text),  # ("fill", selector, text)
    "keys": _keys,                                                       # ("keys", "text on the keyboard")
    "wait": lambda page, selector: page.locator(selector).first.wait_for(),  # ("wait", selector)
    "select": lambda page, selector, value: page.select_option(selector, value),  # ("select", selector, value)
}

# The demo's simulated fob taps pop up "Welcome, Ada!" at any moment: not in the pictures.
QUIET = "#fob { display: none !important; } * { caret-color: transparent !important; }"


def dates(today: Any) -> dict[str, str]:
    """The placeholders a row's path may use ({today}, {tomorrow}, {weeks_ago_8})."""
    from datetime import timedelta

    return {"today": today.isoformat(), "tomorrow": (today + timedelta(days=1)).isoformat(),
            "weeks_ago_8": (today - timedelta(weeks=8)).isoformat()}


def take(browser: Any, base: str, shot: Shot, login: tuple[str, str] | None, today: Any, out: Path | None) -> bytes:
    """Take one picture: a fresh touch screen of the row's size, the login when asked,
    the row's steps, then the PNG (written to ``out/<name>.png`` when ``out`` is given)."""
    context = browser.new_context(viewport={"width": shot.viewport[0], "height": shot.viewport[1]},
                                  has_touch=True, device_scale_factor=1, locale="en-GB")  # as on a UK Pi
    page = context.new_page()
    try:
        if shot.login:
            if login is None:
                raise ValueError(f"{shot.name}: needs the dashboard login")
            page.goto(base + "dashboard/login")
            page.fill("#name", login[0])
            page.fill("#password", login[1])
            page.click("button[type=submit]")
            page.wait_for_url("**/dashboard/**")
        page.goto(base + shot.path.format(**dates(today)))
        page.add_style_tag(content=QUIET)
        for verb, *args in shot.steps:
            ACTIONS[verb](page, *args)
        page.wait_for_load_state("load")
        page.add_style_tag(content=QUIET)
        picture: bytes = page.screenshot(full_page=shot.full_page, animations="disabled")
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{shot.name}.png").write_bytes(picture)
        return picture
    finally:
        page.goto("about:blank")  # ends the page's live stream before the context goes
        context.close()


@dataclass
class Demo:
    """A running `doorstep demo`: its address and the dashboard login it printed."""

    url: str
    login: tuple[str, str]
    process: subprocess.Popen[str] = field(repr=False)


@contextmanager
def demo() -> Iterator[Demo]:
    """`doorstep demo` on a free port with a fresh database, until the block ends."""
    with tempfile.TemporaryDirectory(prefix="doorstep-docs-") as tmp:
        command = [str(Path(sys.executable).parent / "doorstep"), "demo", "--web-port", "0",
                   "--db", str(Path(tmp) / "demo.db"), "--speed", "1"]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            url = password = None
            assert process.stdout is not None
            for line in process.stdout:
                if found := re.match(r"web: (http://\S+)", line):
                    url = found[1]
                if found := re.search(r"dashboard login: (\S+) / (\S+)", line):
                    password = (found[1], found[2])
                if url and password:
                    break
            if not (url and password):
                raise RuntimeError(f"doorstep demo did not start (exit {process.poll()})")
            yield Demo(url, password, process)
        finally:
            process.terminate()
            process.wait(timeout=30)


def main(names: list[str]) -> int:
    """Take the rows named (all when none) from a fresh demo into docs/screenshots/."""
    from playwright.sync_api import sync_playwright

    from appliance.core.clock import SystemClock
    from appliance.core.config import Config

    today = SystemClock().now().astimezone(Config().site.zone).date()  # the demo's site day

    wanted = [s for s in SHOTS if not names or s.name in names]
    if names and len(wanted) != len(names):
        print(f"unknown: {sorted(set(names) - {s.name for s in SHOTS})}", file=sys.stderr)
        return 2
    with demo() as running, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for shot in wanted:
                take(browser, running.url, shot, running.login, today, OUT)
                print(f"docs/screenshots/{shot.name}.png")
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
