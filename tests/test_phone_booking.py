"""Asking for a room from a phone on the hall's Wi-Fi, through the Flask client from a LAN
address: always a request (approved on the dashboard), rate-limited per address, capped
while many wait, cancelled with the receipt's code, in English and Welsh; bad input
explained; the kiosk's own writes still refused from the LAN."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from csrf_support import token_in

from appliance.booking import bookings, rooms
from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.storage.db import Database

PHONE = {"REMOTE_ADDR": "192.168.1.50"}
START = "2026-03-03T10:00"


@pytest.fixture
def halls(db: Database, clock: ManualClock) -> None:
    with db.write():
        rooms.create_room(db.conn(), rooms.Room(id="hall", name="Main Hall", capacity=120, cleanup_minutes=15), clock.now())
        rooms.create_room(db.conn(), rooms.Room(id="studio", name="Radio Studio", capacity=6, needs_approval=True), clock.now())


class Phone:
    """A phone on the hall's Wi-Fi: its own cookies, its own address."""

    def __init__(self, app: Any, address: str = "192.168.1.50", language: str = "en-GB,en;q=0.9") -> None:
        self.client = app.test_client()
        self.environ = {"REMOTE_ADDR": address}
        self.headers = {"Accept-Language": language}

    def get(self, path: str) -> Any:
        return self.client.get(path, environ_base=self.environ, headers=self.headers)

    def post(self, path: str, data: dict[str, str], form_page: str | None = None) -> Any:
        page = self.get(form_page or path).get_data(as_text=True)
        token = token_in(page)
        assert token, f"no form on {form_page or path}: {page[:500]}"
        return self.client.post(path, data={**data, "csrf_token": token}, environ_base=self.environ, headers=self.headers)

    def ask(self, room: str = "hall", start: str = START, **fields: str) -> Any:
        data = {"minutes": "60", "organiser": "Siân Llŷr ap Gwilym", "title": "Côr practice", "contact": "07700 900123", **fields}
        return self.post(f"/booking/new/{room}/{start}", data)


def _text(reply: Any) -> str:
    return re.sub(r"\s+", " ", reply.get_data(as_text=True))


def test_a_request_from_a_phone_waits_for_an_admin_then_shows_it_is_approved(app, db, config, clock, halls) -> None:  # type: ignore[no-untyped-def]
    phone = Phone(app)
    home = _text(phone.get("/booking/"))
    assert "Main Hall" in home and "Up to 120 people" in home and "Needs approval" in home
    slots = _text(phone.get("/booking/new/hall?day=2026-03-03"))
    assert f'href="/booking/new/hall/{START}"' in slots and "Tue 3/3" in slots
    sent = phone.ask()
    assert sent.status_code == 303
    reference = sent.headers["Location"].rsplit("/", 1)[1]
    page = _text(phone.get(f"/booking/{reference}"))
    code = re.search(r'id="cancel-code">([A-Z0-9]{6})<', page)
    assert code and "Request sent" in page and "Waiting for a volunteer to approve it" in page
    assert "07700" not in page and "Siân" not in page  # the contact and the name are never shown
    # a room that needs no approval: still a request, held for an admin
    booking = bookings.get_by_reference(db.conn(), reference)
    assert (booking.status, booking.source, booking.contact) == ("requested", "phone", "07700 900123")
    # the code is shown once
    again = _text(phone.get(f"/booking/{reference}"))
    assert code[1] not in again and 'id="cancel-code"' not in again
    with db.write():
        bookings.approve(db.conn(), config, booking.id, "alice", clock.now())
    assert 'id="status">Confirmed' in _text(phone.get(f"/booking/{reference}"))


def test_a_room_that_needs_approval_is_never_confirmed_from_a_phone(app, db, halls) -> None:  # type: ignore[no-untyped-def]
    sent = Phone(app).ask(room="studio")
    reference = sent.headers["Location"].rsplit("/", 1)[1]
    assert bookings.get_by_reference(db.conn(), reference).status == "requested"


def test_each_address_may_ask_a_few_times_an_hour(app, db, clock, halls) -> None:  # type: ignore[no-untyped-def]
    phone = Phone(app)
    for hour in ("10:00", "12:00", "14:00"):
        assert phone.ask(start=f"2026-03-03T{hour}").status_code == 303
    refused = phone.ask(start="2026-03-03T16:00")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 3000
    assert "several requests in the last hour" in _text(refused)
    assert Phone(app, "192.168.1.51").ask(start="2026-03-03T16:00").status_code == 303  # another phone
    clock.advance(hours=1, seconds=1)
    assert phone.ask(start="2026-03-03T18:00").status_code == 303
    assert db.conn().execute("SELECT count(*) FROM bookings WHERE source = 'phone'").fetchone()[0] == 5


def test_no_more_wait_than_the_setting_allows(db, config, clock, halls) -> None:  # type: ignore[no-untyped-def]
    from kiosk import create_app

    capped = config.with_changes(bookings=dataclasses.replace(config.bookings, phone_requests_waiting=2))
    app = create_app(capped, clock=clock, overrides={"TESTING": True})
    try:
        assert Phone(app, "10.0.0.1").ask(start="2026-03-03T10:00").status_code == 303
        assert Phone(app, "10.0.0.2").ask(start="2026-03-03T12:00").status_code == 303
        refused = Phone(app, "10.0.0.3").ask(start="2026-03-03T14:00")
        assert refused.status_code == 429 and "already waiting for a volunteer" in _text(refused)
    finally:
        app.extensions["doorstep"].close()


def test_cancel_with_the_code_from_the_receipt(app, db, halls) -> None:  # type: ignore[no-untyped-def]
    phone = Phone(app)
    reference = phone.ask().headers["Location"].rsplit("/", 1)[1]
    code = re.search(r'id="cancel-code">([A-Z0-9]{6})<', _text(phone.get(f"/booking/{reference}")))[1]  # type: ignore[index]
    wrong = phone.post(f"/booking/{reference}/cancel", {"code": "AAAAAA"}, form_page=f"/booking/{reference}")
    assert wrong.status_code == 403 and "does not match" in _text(wrong)
    # typed as people type it: lower case, with a space
    done = phone.post(f"/booking/{reference}/cancel", {"code": f"{code[:3].lower()} {code[3:]}"},
                      form_page=f"/booking/{reference}")
    assert done.status_code == 303
    page = _text(phone.get(f"/booking/{reference}"))
    assert "Cancelled. The time is free again." in page and 'id="status">Cancelled' in page and 'id="code"' not in page
    assert bookings.get_by_reference(db.conn(), reference).status == "cancelled"


def test_guessing_cancel_codes_is_slowed_down(app, db, halls) -> None:  # type: ignore[no-untyped-def]
    phone = Phone(app)
    reference = phone.ask().headers["Location"].rsplit("/", 1)[1]
    answers = [phone.post(f"/booking/{reference}/cancel", {"code": f"WRONG{n}"}, form_page=f"/booking/{reference}").status_code
               for n in range(11)]
    assert answers == [403] * 10 + [429]


def test_a_reference_typed_on_the_home_page(app, halls) -> None:  # type: ignore[no-untyped-def]
    phone = Phone(app)
    reference = phone.ask().headers["Location"].rsplit("/", 1)[1]
    found = phone.get(f"/booking/find?reference= {reference.lower()} ")
    assert found.status_code == 303 and found.headers["Location"].endswith(f"/booking/{reference}")
    missing = phone.get("/booking/find?reference=ZZZZZZ")
    assert "missing=ZZZZZZ" in missing.headers["Location"]
    assert "There is no booking with the reference ZZZZZZ" in _text(phone.get(missing.headers["Location"]))


def test_welsh_for_a_welsh_phone_and_by_the_switch(app, halls) -> None:  # type: ignore[no-untyped-def]
    welsh = Phone(app, language="cy-GB,cy;q=0.9,en;q=0.5")
    home = _text(welsh.get("/booking/"))
    assert '<html lang="cy">' in home and "<h1>Archebu ystafell</h1>" in home
    assert "Hyd at 120 o bobl" in home and "Angen cymeradwyaeth" in home
    assert "Maw 3/3" in _text(welsh.get("/booking/new/hall?day=2026-03-03"))
    english = Phone(app)
    switched = english.post("/booking/language", {"lang": "cy", "next": "/booking/new/hall"}, form_page="/booking/")
    assert switched.status_code == 303 and switched.headers["Location"].endswith("/booking/new/hall")
    assert '<html lang="cy">' in _text(english.get("/booking/new/hall"))
    away = english.post("/booking/language", {"lang": "en", "next": "//evil.example/"}, form_page="/booking/")
    assert away.headers["Location"].endswith("/booking/")


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"organiser": ""}, 400, "Please type your name"),
        ({"organiser": "x" * 121}, 400, "up to 120 letters"),
        ({"organiser": "Siân\x00"}, 400, "Please type your name"),
        ({"minutes": "45"}, 400, "Please choose how long"),
        ({"minutes": "-60"}, 400, "Please choose how long"),
        ({"minutes": "720"}, 400, "Please choose how long"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_stored(app, db, halls, fields, status, message) -> None:  # type: ignore[no-untyped-def]
    reply = Phone(app).ask(**fields)
    assert reply.status_code == status and message in _text(reply)
    assert db.conn().execute("SELECT count(*) FROM bookings").fetchone()[0] == 0


@pytest.mark.parametrize(("path", "message"), [
    ("/booking/new/nope", "There is nothing here"),
    ("/booking/new/hall/yesterday", "There is nothing here"),
    ("/booking/new/hall/2026-13-45T10:00", "There is nothing here"),
    ("/booking/NOSUCH", "There is no booking with the reference NOSUCH"),
    ("/booking/%00", "There is no booking with the reference ?"),
])
def test_wrong_addresses_are_a_friendly_404(app, halls, path: str, message: str) -> None:  # type: ignore[no-untyped-def]
    reply = Phone(app).get(path)
    assert reply.status_code == 404 and message in _text(reply) and "Traceback" not in _text(reply)


def test_a_double_tap_sends_one_request(app, db, halls) -> None:  # type: ignore[no-untyped-def]
    phone = Phone(app)
    first = phone.ask()
    second = phone.ask()  # the same time again: it is held by the first request now
    assert first.status_code == 303 and second.status_code in (400, 409)
    assert db.conn().execute("SELECT count(*) FROM bookings").fetchone()[0] == 1


def test_asking_can_be_turned_off(db, config, clock, halls) -> None:  # type: ignore[no-untyped-def]
    from kiosk import create_app

    off = config.with_changes(bookings=dataclasses.replace(config.bookings, phone_requests=False))
    app = create_app(off, clock=clock, overrides={"TESTING": True})
    try:
        phone = Phone(app)
        assert "Booking from a phone is turned off here" in _text(phone.get("/booking/"))
        assert phone.get("/booking/new/hall").status_code == 404
        assert "QR code to book from your phone" not in _text(app.test_client().get("/kiosk/book"))
    finally:
        app.extensions["doorstep"].close()


def test_the_kiosk_writes_stay_closed_to_phones(app, db, halls) -> None:  # type: ignore[no-untyped-def]
    phone = Phone(app)
    reply = phone.post(f"/kiosk/book/hall/{START}/60", {"organiser": "Sneaky", "title": "", "contact": ""})
    assert reply.status_code == 403
    assert db.conn().execute("SELECT count(*) FROM bookings").fetchone()[0] == 0


def test_the_kiosk_shows_where_phones_go_or_why_they_cannot(db, config: Config, clock, halls) -> None:  # type: ignore[no-untyped-def]
    from kiosk import create_app

    for base, qr, warned in (("http://192.168.1.20:8080", True, False), ("http://127.0.0.1:8080", False, True)):
        app = create_app(config.with_changes(web=dataclasses.replace(config.web, base_url=base)), clock=clock,
                         overrides={"TESTING": True})
        try:
            kiosk = app.test_client()
            book = _text(kiosk.get("/kiosk/book"))
            assert ("QR code to book from your phone" in book) is qr
            assert "Up to 120 people" in book and "Needs approval" in book  # item 4: the room tiles
            home = _text(kiosk.get("/kiosk/"))
            assert ('id="phone-problem"' in home) is warned
            if warned:
                assert "which on a phone is the phone itself" in home and "web.base_url" in home
        finally:
            app.extensions["doorstep"].close()
