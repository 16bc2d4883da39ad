"""Issue 14 point 6: a member number is not a secret. Typing one at the kiosk signs its
member in only with their surname too (case and accents aside, Welsh names included),
the answer never names anyone, and misses are paused like a PIN."""

from __future__ import annotations

from typing import Any

import pytest
from csrf_support import csrf_token
from kiosk_helpers import post

from appliance.core.clock import ManualClock
from appliance.people import recognise, register, visits
from appliance.storage.db import Database


@pytest.fixture
def llyr(db: Database, clock: ManualClock) -> register.Person:
    with db.write() as conn:
        register.create(conn, clock.now(), name="Ada Lovelace", kind="member", member_number="M001")
        return register.create(conn, clock.now(), name="Llŷr ap Gwyn", kind="member", member_number="2026")


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


@pytest.mark.parametrize(("name", "surname", "match"), [
    ("Llŷr ap Gwyn", "ap Gwyn", True), ("Llŷr ap Gwyn", "AP GWYN", True), ("Llŷr ap Gwyn", "gwyn", True),
    ("Llŷr ap Gwyn", "ap-Gwyn", True), ("Siân Ní Bhriain", "ni bhriain", True), ("Llŷr ap Gwyn", "Llyr", False),
    ("Llŷr ap Gwyn", "Gwy", False), ("Llŷr ap Gwyn", "", False), ("Ada", "Ada", True), ("Ada Lovelace", "Ada", False),
])
def test_a_surname_matches_the_last_words_of_the_name(name: str, surname: str, match: bool) -> None:
    assert recognise.surname_matches(name, surname) is match


def test_a_number_alone_signs_nobody_in_and_names_nobody(client: Any, db: Database, llyr: register.Person) -> None:
    alone = post(client, "/kiosk/signin/member", {"name": "2026"})
    assert alone.status_code == 400
    assert "Llŷr" not in text(alone) and "Gwyn" not in text(alone)
    assert "surname" in text(alone)
    assert visits.signed_in_now(db.conn()) == []
    wrong = post(client, "/kiosk/signin/member", {"name": "2026", "surname": "Lovelace"})
    assert wrong.status_code == 400 and "Llŷr" not in text(wrong)
    done = post(client, "/kiosk/signin/member", {"name": "2026", "surname": "ap gwyn"}, follow_redirects=True)
    assert done.status_code == 200 and "You are signed in" in text(done)
    assert [v.person_id for v in visits.signed_in_now(db.conn())] == [llyr.id]


def test_the_whole_name_still_signs_a_member_in(client: Any, db: Database, llyr: register.Person) -> None:
    done = post(client, "/kiosk/signin/member", {"name": "llŷr AP gwyn"}, follow_redirects=True)
    assert "Welcome, Llŷr!" in text(done)


def test_misses_are_paused_like_a_pin(client: Any, db: Database, llyr: register.Person) -> None:
    # Guessing Llŷr's surname: five misses pause his number at this kiosk, right surname or not.
    for guess in ("Jones", "Davies", "Evans", "Thomas", "Roberts"):
        assert post(client, "/kiosk/signin/member", {"name": "2026", "surname": guess}).status_code in (400, 429)
    paused = post(client, "/kiosk/signin/member", {"name": "2026", "surname": "ap Gwyn"})
    assert paused.status_code == 429 and "wait" in text(paused).lower()
    assert visits.signed_in_now(db.conn()) == []
    # Another member is not held up by it.
    assert post(client, "/kiosk/signin/member", {"name": "M001", "surname": "Lovelace"}).status_code == 303
    # Trying numbers: twenty misses of any kind pause typed numbers at this kiosk.
    for n in range(20):
        post(client, "/kiosk/signin/member", {"name": f"9{n:03d}", "surname": "Jones"})
    assert post(client, "/kiosk/signout", {"name": "Ada Lovelace"}).status_code == 303  # signing out is not paused
    again = post(client, "/kiosk/signin/member", {"name": "M001", "surname": "Lovelace"})
    assert again.status_code == 429


@pytest.mark.parametrize("surname", ["%ED%A0%80", "x" * 121, "%00Gwyn"])
def test_odd_surnames_get_a_sentence_never_a_5xx(client: Any, db: Database, llyr: register.Person,
                                                 surname: str) -> None:
    # sent as the browser would encode it: a lone surrogate's bytes, a NUL, 121 letters
    token = csrf_token(client, "/kiosk/")
    answer = client.post("/kiosk/signin/member", data=f"csrf_token={token}&name=2026&surname={surname}",
                         content_type="application/x-www-form-urlencoded")
    assert answer.status_code in (400, 429) and "Traceback" not in text(answer)
    assert visits.signed_in_now(db.conn()) == []


def test_a_120_letter_name_signs_in_with_its_last_word(client: Any, db: Database, clock: ManualClock) -> None:
    long_name = "Ffion " + "a" * 100 + " Llewellyn-Jones"
    long_name = long_name[:120 - len(" Llewellyn-Jones")] + " Llewellyn-Jones" if len(long_name) > 120 else long_name
    with db.write() as conn:
        register.create(conn, clock.now(), name=long_name, kind="member", member_number="L120")
    done = post(client, "/kiosk/signin/member", {"name": "L120", "surname": "llewellyn jones"}, follow_redirects=True)
    assert done.status_code == 200 and "You are signed in" in text(done)
