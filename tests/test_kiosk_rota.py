"""The kiosk after a fob tap, through Flask's client: a volunteer's activity and shifts,
undoing a sign-out, and the token's limits (its holder, a few minutes, the kiosk only)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from kiosk_helpers import post
from rota_support import make_shift, with_rota_activities

from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.core.events import FobRead
from appliance.people import register, taps, visits
from appliance.rota import signups
from appliance.sensing.recorder import Recorder
from appliance.storage.db import Database
from doorstep.agent import RULES

FRIDAY = date(2026, 3, 6)
LIMIT = 30 * 1024


@pytest.fixture
def config(config: Config) -> Config:  # the app and the database use the rota activities
    return with_rota_activities(config)


@pytest.fixture
def siân(db: Database, clock: ManualClock) -> register.Person:
    with db.write() as conn:
        person = register.create(conn, clock.now(), name="Siân Llŷr ap Gwilym", kind="volunteer")
        register.assign_card(conn, person.id, "card-sian")
        ada = register.create(conn, clock.now(), name="Ada Lovelace", kind="member")
        register.assign_card(conn, ada.id, "card-ada")
    return person


def tap(db: Database, config: Config, clock: ManualClock, card: str = "card-sian") -> taps.Tap:
    Recorder(db, config, clock, RULES).write([FobRead(at=clock.now(), reader="entrance", card_hash=card)])
    found = taps.last_tap(db.conn())
    assert found is not None
    return found


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def test_after_a_volunteers_tap_the_kiosk_asks_what_for_with_their_shift_first(
    client: Any, db: Database, config: Config, clock: ManualClock, siân: register.Person
) -> None:
    bar = make_shift(db.conn(), clock.now(), "Bar", days=("FR",), start="18:00", end="23:00")
    signups.take(db.conn(), config, clock.now(), person_id=siân.id, shift_id=bar.id, day=FRIDAY, source="kiosk")
    # She signs in at 09:00 on Monday: no shift now, so nothing is chosen for her.
    token = tap(db, config, clock).token
    page = text(client.get(f"/kiosk/tap?tap={token}"))
    assert "Welcome, Siân!" in page and "What are you here for?" in page
    assert re.findall(r'name="activity" value="([^"]+)"', page)[:2] == ["Bar", "Cafe"]  # her usual ones: none yet
    done = post(client, "/kiosk/tap/activity", {"tap": token, "activity": "Cafe"})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/kiosk/tap?tap={token}&done=activity")
    assert visits.signed_in_now(db.conn())[0].activity == "Cafe"
    after = text(client.get(done.headers["Location"]))
    assert "You are signed in for Cafe." in after and "What are you here for?" not in after


def test_a_volunteer_takes_and_gives_up_a_shift_with_one_tap_each(
    client: Any, db: Database, config: Config, clock: ManualClock, siân: register.Person
) -> None:
    bar = make_shift(db.conn(), clock.now(), "Bar", days=("FR",), start="18:00", end="23:00", needs=2)
    key = f"{bar.id}/2026-03-06"
    token = tap(db, config, clock).token
    page = text(client.get(f"/kiosk/tap?tap={token}"))
    assert f'name="take" value="{key}"' in page and "Places left: 2" in page
    taken = post(client, "/kiosk/tap/shifts", {"tap": token, "take": key})
    assert taken.status_code == 303
    assert [s.person_id for s in signups.between(db.conn(), FRIDAY, FRIDAY)[(bar.id, FRIDAY)]] == [siân.id]
    page = text(client.get(taken.headers["Location"]))
    assert "The shift is yours" in page and f'name="give_up" value="{key}"' in page
    # A double tap on Take is harmless.
    assert post(client, "/kiosk/tap/shifts", {"tap": token, "take": key}).status_code == 303
    gave = post(client, "/kiosk/tap/shifts", {"tap": token, "give_up": key})
    assert gave.status_code == 303 and "You gave the shift up" in text(client.get(gave.headers["Location"]))
    assert signups.between(db.conn(), FRIDAY, FRIDAY) == {}


def test_close_to_the_start_the_volunteer_is_sent_to_a_coordinator(
    client: Any, db: Database, config: Config, clock: ManualClock, siân: register.Person
) -> None:
    bar = make_shift(db.conn(), clock.now(), "Bar", days=("FR",), start="18:00", end="23:00")
    signups.take(db.conn(), config, clock.now(), person_id=siân.id, shift_id=bar.id, day=FRIDAY, source="kiosk")
    clock.set(datetime(2026, 3, 6, 8, 0, tzinfo=UTC))
    token = tap(db, config, clock).token
    page = text(client.get(f"/kiosk/tap?tap={token}"))
    assert 'name="give_up"' not in page and "tell a coordinator" in page
    refused = post(client, "/kiosk/tap/shifts", {"tap": token, "give_up": f"{bar.id}/2026-03-06"})
    assert refused.status_code == 409 and "Please tell a coordinator" in text(refused)
    assert len(signups.between(db.conn(), FRIDAY, FRIDAY)[(bar.id, FRIDAY)]) == 1


def test_the_screen_is_in_welsh_too(
    client: Any, db: Database, config: Config, clock: ManualClock, siân: register.Person
) -> None:
    make_shift(db.conn(), clock.now(), "Bar", days=("FR",), start="18:00", end="23:00")
    token = tap(db, config, clock).token
    post(client, "/kiosk/language", {"lang": "cy"})
    page = text(client.get(f"/kiosk/tap?tap={token}"))
    assert "Croeso, Siân!" in page and "Shifftiau y gallwch eu cymryd" in page and "Cymryd" in page
    assert "Gwen 6 Maw, 18:00–23:00" in page  # babel's Welsh day and month


def test_the_token_is_for_the_kiosk_its_holder_and_a_few_minutes(
    client: Any, db: Database, config: Config, clock: ManualClock, siân: register.Person
) -> None:
    token = tap(db, config, clock).token
    assert client.get(f"/kiosk/tap?tap={token}", environ_base={"REMOTE_ADDR": "192.168.1.50"}).status_code == 403
    assert client.get("/kiosk/tap?tap=guessed").status_code == 410
    assert "Please tap your fob again" in text(client.get("/kiosk/tap?tap=guessed"))
    clock.advance(6 * 60)
    assert client.get(f"/kiosk/tap?tap={token}").status_code == 410
    away = post(client, "/kiosk/tap/activity", {"tap": token, "activity": "Cafe"},
                environ_base={"REMOTE_ADDR": "192.168.1.50"})
    assert away.status_code == 403 and visits.signed_in_now(db.conn())[0].activity == ""
    # A member's tap has no rota screen.
    clock.advance(60)
    member = tap(db, config, clock, "card-ada")
    assert client.get(f"/kiosk/tap?tap={member.token}").status_code == 410


@pytest.mark.parametrize("field", ["take", "give_up"])
@pytest.mark.parametrize("value", ["", "x", "1/2026-02-30", "99999999999999999999999/2026-03-06", "1/0001-01-01",
                                   "1/2026-03-06\x00", "1/2026-03-06\ufffd"])
def test_odd_shift_values_are_refused_in_words(
    client: Any, db: Database, config: Config, clock: ManualClock, siân: register.Person, field: str, value: str
) -> None:
    make_shift(db.conn(), clock.now(), "Bar", days=("FR",), start="18:00", end="23:00")
    token = tap(db, config, clock).token
    response = post(client, "/kiosk/tap/shifts", {"tap": token, field: value})
    assert response.status_code in (303, 409), text(response)[:300]
    if response.status_code == 409:
        assert "not on the rota any more" in text(response)


def test_bytes_that_are_not_text_are_refused_in_words(
    client: Any, db: Database, config: Config, clock: ManualClock, siân: register.Person
) -> None:
    from csrf_support import csrf_token

    token = tap(db, config, clock).token
    body = f"csrf_token={csrf_token(client, '/kiosk/')}&tap={token}&take=%ED%A0%80%00".encode()
    response = client.post("/kiosk/tap/shifts", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 409 and "not on the rota any more" in text(response)


def test_an_unmeant_sign_out_is_undone_from_the_overlay(
    client: Any, db: Database, config: Config, clock: ManualClock, siân: register.Person
) -> None:
    tap(db, config, clock, "card-ada")
    clock.advance(3600)
    out = tap(db, config, clock, "card-ada")
    assert out.outcome == "signed_out" and visits.signed_in_now(db.conn()) == []
    kept = post(client, "/kiosk/tap/keep", {"tap": out.token})
    assert kept.status_code == 303 and "Ada, you are still signed in." in text(client.get(kept.headers["Location"]))
    assert [v.name for v in visits.signed_in_now(db.conn())] == ["Ada Lovelace"]
    again = post(client, "/kiosk/tap/keep", {"tap": out.token})
    assert again.status_code == 409 and "already changed" in text(again)


def test_the_rota_screen_stays_light_and_on_the_kiosk(
    client: Any, db: Database, config: Config, clock: ManualClock, siân: register.Person
) -> None:
    week = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
    for activity, start in (("Bar", "18:00"), ("Cafe", "10:00"), ("Breakfast show", "07:00")):
        make_shift(db.conn(), clock.now(), activity, days=week, start=start, end="", needs=3,
                   title="A long shift name that goes on and on for sixty characters!!")
    token = tap(db, config, clock).token
    page = client.get(f"/kiosk/tap?tap={token}")
    body = text(page)
    assert "And 22 more on the rota" in body
    total = len(page.data)
    for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', body):
        served = client.get(asset)
        total += len(served.data)
        served.close()
    assert total <= LIMIT, total
    for href in re.findall(r'(?:href|src|action)="([^"]*)"', body):
        assert href.startswith(("/kiosk/", "/static/")), href


def test_the_cut_off_is_the_one_set_on_the_dashboard(
    client: Any, db: Database, config: Config, clock: ManualClock, siân: register.Person
) -> None:
    from appliance.storage import settings

    bar = make_shift(db.conn(), clock.now(), "Bar", days=("FR",), start="18:00", end="23:00")
    signups.take(db.conn(), config, clock.now(), person_id=siân.id, shift_id=bar.id, day=FRIDAY, source="kiosk")
    clock.set(datetime(2026, 3, 4, 18, 0, tzinfo=UTC))  # 48 hours before
    token = tap(db, config, clock).token
    assert 'name="give_up"' in text(client.get(f"/kiosk/tap?tap={token}"))
    with db.write() as conn:
        settings.save(conn, config, {"rota.giveup_hours": "72"}, "2026-03-04T18:00:00.000Z")
    assert 'name="give_up"' not in text(client.get(f"/kiosk/tap?tap={token}"))
    assert post(client, "/kiosk/tap/shifts", {"tap": token, "give_up": f"{bar.id}/2026-03-06"}).status_code == 409
