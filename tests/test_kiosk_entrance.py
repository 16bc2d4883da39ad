"""The entrance kiosk through Flask's client: flows, privacy, manners, language, weight."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from csrf_support import csrf_token
from kiosk_helpers import post, seed
from live_support import Browser, sse

from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.people import taps, visits
from appliance.storage.db import Database

PAGES = [
    "/kiosk/", "/kiosk/signin", "/kiosk/signin/visitor", "/kiosk/signin/member", "/kiosk/signin/volunteer",
    "/kiosk/signout", "/kiosk/book", "/kiosk/book/main-hall", "/kiosk/book/main-hall/2026-03-02T10:00",
    "/kiosk/book/main-hall/2026-03-02T10:00/60", "/kiosk/whatson",
]
LIMIT = 30 * 1024


@pytest.fixture(autouse=True)
def _seeded(db: Database, clock: ManualClock) -> None:
    seed(db, clock)


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def test_home_has_the_big_buttons_clock_and_open_state(client: Any) -> None:
    page = text(client.get("/kiosk/"))
    for label in ("Sign in", "Sign out", "Book a room", "What's on", "Our Community Hall", "Larger text", "Cymraeg"):
        assert label in page, label
    assert 'datetime="2026-03-02T09:00:00.000Z">09:00<' in page  # Europe/London in March is UTC
    # both words are always in the page (data-text-true/false, for live updates): check the one shown,
    # open at 09:00 on a Monday under the default opening hours
    assert re.search(r'id="open-state"[^>]*>Open now</span>', page), "the hall does not show as open"
    assert "rollcall" not in page


def test_rollcall_link_only_when_a_pin_is_set(config: Config, clock: ManualClock) -> None:
    from kiosk import create_app

    cfg = config.with_changes(kiosk=dataclasses.replace(config.kiosk, rollcall_pin="482916"))
    app = create_app(cfg, clock=clock, overrides={"TESTING": True})
    try:
        assert 'href="/kiosk/rollcall"' in text(app.test_client().get("/kiosk/"))
    finally:
        app.extensions["doorstep"].close()


@pytest.mark.parametrize("url", PAGES)
def test_no_way_off_the_kiosk(client: Any, url: str) -> None:
    page = text(client.get(url))
    assert client.get(url).status_code == 200
    for href in re.findall(r'(?:href|src|action)="([^"]*)"', page):
        assert href.startswith(("/kiosk/", "/static/")), f"{url} links to {href}"
    assert "<datalist" not in page and "list=" not in page


@pytest.mark.parametrize("url", PAGES)
def test_every_page_with_its_css_and_js_is_at_most_30_kb(client: Any, url: str) -> None:
    page = client.get(url)
    total = len(page.data)
    for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', text(page)):
        body = client.get(asset)
        assert body.status_code == 200, asset
        total += len(body.data)
        body.close()
    assert total <= LIMIT, f"{url}: {total} bytes"


def test_visitor_signs_in_with_the_retention_line_then_out(client: Any, db: Database, config: Config) -> None:
    form = text(client.get("/kiosk/signin/visitor"))
    assert f"for {config.privacy.visitor_days} days" in form
    sent = post(client, "/kiosk/signin/visitor", {"name": "Joan Clarke", "visiting": "Choir"})
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/kiosk/done")  # post/redirect/get
    done = client.get("/kiosk/done")
    assert done.status_code == 200 and "Welcome, Joan!" in text(done)
    visit = visits.signed_in_now(db.conn())[0]
    assert (visit.name, visit.kind, visit.visiting, visit.source) == ("Joan Clarke", "visitor", "Choir", "kiosk")
    out = post(client, "/kiosk/signout", {"name": " joan   CLARKE "}, follow_redirects=True)
    assert "Goodbye, Joan!" in text(out)
    assert visits.signed_in_now(db.conn()) == []


def test_member_by_number_and_volunteer_with_activity(client: Any, db: Database) -> None:
    assert "Welcome, Ada!" in text(post(client, "/kiosk/signin/member", {"name": "m001", "surname": "lovelace"},
                                        follow_redirects=True))
    missing = post(client, "/kiosk/signin/volunteer", {"name": "Grace Hopper"})
    assert missing.status_code == 400 and "what you are here for" in text(missing)
    assert "Welcome, Grace!" in text(post(client, "/kiosk/signin/volunteer", {"name": "Grace Hopper", "activity": "Cafe"},
                                          follow_redirects=True))
    kinds = {(v.name, v.kind, v.activity) for v in visits.signed_in_now(db.conn())}
    assert kinds == {("Ada Lovelace", "member", ""), ("Grace Hopper", "volunteer", "Cafe")}


def test_typing_part_of_a_name_reveals_nobody(client: Any, db: Database) -> None:
    post(client, "/kiosk/signin/member", {"name": "M001", "surname": "Lovelace"})
    for attempt in ("Ada", "Love", "A", "Lovelace"):
        out = post(client, "/kiosk/signout", {"name": attempt})
        assert out.status_code == 400
        assert "Lovelace" not in text(out).replace(f'value="{attempt}"', "")
        assert "Nobody with that name is signed in" in text(out)
    members = post(client, "/kiosk/signin/member", {"name": "Alan"})
    assert "Turing" not in text(members) and "could not find" in text(members)
    # Someone not signed in cannot be signed out by their whole name either.
    assert post(client, "/kiosk/signout", {"name": "Alan Turing"}).status_code == 400
    assert len(visits.signed_in_now(db.conn())) == 1


def test_writes_only_from_the_kiosk_networks(client: Any, db: Database) -> None:
    token = csrf_token(client, "/kiosk/")
    away = client.post("/kiosk/signin/visitor", data={"csrf_token": token, "name": "Eve"},
                       environ_base={"REMOTE_ADDR": "192.168.1.50"})
    assert away.status_code == 403 and "entrance screen" in text(away) and "Traceback" not in text(away)
    assert visits.signed_in_now(db.conn()) == []


def test_csrf_is_required_and_explained(client: Any, db: Database) -> None:
    bad = client.post("/kiosk/signin/visitor", data={"name": "Eve"})
    assert bad.status_code == 400 and "start again" in text(bad)
    assert visits.signed_in_now(db.conn()) == []


def test_language_switch_and_idle_reset(client: Any) -> None:
    switched = post(client, "/kiosk/language", {"lang": "cy", "next": "/kiosk/signin"})
    assert switched.status_code == 303 and switched.headers["Location"].endswith("/kiosk/signin")
    page = text(client.get("/kiosk/signin"))
    assert 'lang="cy"' in page and "Ymwelydd" in page and "Mewngofnodi" in page
    assert "Croeso" in text(client.get("/kiosk/"))
    assert 'lang="en"' in text(client.get("/kiosk/?idle=1"))
    assert "Welcome" in text(client.get("/kiosk/"))


@pytest.mark.parametrize("target", ["https://example.org/", "//evil/", "/dashboard/", "/kiosk/\\x"])
def test_language_switch_never_leads_off_the_kiosk(client: Any, target: str) -> None:
    switched = post(client, "/kiosk/language", {"lang": "en", "next": target})
    assert switched.headers["Location"].endswith("/kiosk/")
    assert post(client, "/kiosk/language", {"lang": "xx"}).status_code == 400


def test_welsh_retention_line_carries_the_days(client: Any, config: Config) -> None:
    post(client, "/kiosk/language", {"lang": "cy"})
    assert f"am {config.privacy.visitor_days} diwrnod" in text(client.get("/kiosk/signin/visitor"))


def test_unknown_kind_is_a_friendly_404(client: Any) -> None:
    missing = client.get("/kiosk/signin/ghost")
    assert missing.status_code == 404 and "does not exist" in text(missing) and "Back to the start" in text(missing)


def test_live_stream_is_for_the_kiosk_only(live_server: Any, db: Database, config: Config) -> None:
    lan = Browser(live_server.url, source="127.0.0.9")
    assert lan.request("/kiosk/live")[0] == 403
    assert 'data-live="' not in lan.request("/kiosk/")[2]
    with db.write() as conn:
        taps.toggle_by_card(conn, config, db.clock.now(), "card-ada")
    frames = sse(live_server.port, "/kiosk/live")
    event, data = next(frames)
    frames.close()
    assert event == "kiosk" and data["fob"]["outcome"] == "signed_in" and data["fob"]["first_name"] == "Ada"


def test_booking_gives_a_reference_and_a_qr_code(client: Any, db: Database) -> None:
    slots = text(client.get("/kiosk/book/main-hall"))
    assert "/kiosk/book/main-hall/2026-03-02T10:00" in slots
    durations = text(client.get("/kiosk/book/main-hall/2026-03-02T10:00"))
    assert "/kiosk/book/main-hall/2026-03-02T10:00/60" in durations
    done = post(client, "/kiosk/book/main-hall/2026-03-02T10:00/60",
                {"organiser": "Joan Clarke", "title": "Choir practice", "contact": "07700 900000", "public": "1"},
                follow_redirects=True)
    page = text(done)
    assert done.status_code == 200
    reference = re.search(r'id="reference">(\w+)<', page)
    assert reference and "<svg" in page and 'id="cancel-code"' in page
    assert "Choir practice" in text(client.get("/kiosk/whatson"))
    assert "07700" not in text(client.get("/kiosk/whatson"))
    # The same slot again: explained, with the nearest free times as buttons.
    again = post(client, "/kiosk/book/main-hall/2026-03-02T10:00/60", {"organiser": "Bob"})
    assert again.status_code == 409 and "just booked" in text(again)
    assert re.search(r'class="slot" href="/kiosk/book/main-hall/2026-03-02T\d\d:\d\d/60"', text(again))


def test_private_bookings_show_as_booked(client: Any) -> None:
    post(client, "/kiosk/book/green-room/2026-03-02T10:00/30", {"organiser": "Joan", "title": "Secret meeting"})
    page = text(client.get("/kiosk/whatson"))
    assert "Secret meeting" not in page and "Booked" in page


def test_bad_booking_urls_are_friendly(client: Any) -> None:
    for url in ("/kiosk/book/nowhere", "/kiosk/book/main-hall/yesterday", "/kiosk/book/main-hall/2026-03-02T10:00/7"):
        response = client.get(url)
        assert response.status_code == 404 and "Back to the start" in text(response), url


def test_unknown_kiosk_addresses_get_the_kiosk_error_page(client: Any) -> None:
    missing = client.get("/kiosk/no/such/page")
    assert missing.status_code == 404 and "Back to the start" in text(missing) and "kiosk.css" in text(missing)
    assert "history.back" not in text(missing)


def test_a_first_boot_error_is_shown_on_the_kiosk_in_words(client, config) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    assert b'role="alert"' not in client.get("/kiosk/").data
    problem = Path(config.database.path).parent / "firstboot-error.txt"
    problem.write_text("doorstep.toml was not applied: doorstep.toml: site.colour is not a known key.\n")
    page = client.get("/kiosk/").get_data(as_text=True)
    assert 'role="alert"' in page
    assert "site.colour is not a known key" in page


def test_every_screen_with_a_field_brings_the_on_screen_keyboard() -> None:
    """keyboard.js loads only on screens that set ``typing`` (the page-weight budget); a
    screen with a typed field that forgot would leave a touchscreen with no way to type."""
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "kiosk" / "templates"
    for template in folder.rglob("*.html"):
        source = template.read_text(encoding="utf-8")
        if template.name.startswith("_") or '"entrance/layout.html"' not in source:
            continue
        if "data-osk" in source or "field(" in source:
            assert "{% set typing = true %}" in source, f"{template.name} has a field but no keyboard"
