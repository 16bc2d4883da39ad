"""Fob taps through the agent's real Recorder and RULES: a second tap within a minute does
nothing, the tap's token, undoing a sign-out, and a volunteer's shift activity."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rota_support import make_shift, with_rota_activities

from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.core.events import FobRead
from appliance.people import register, taps, visits
from appliance.rota import signups
from appliance.sensing.recorder import Recorder
from appliance.storage import state
from appliance.storage.db import Database
from doorstep.agent import RULES


@pytest.fixture
def cfg(config: Config) -> Config:
    return with_rota_activities(config)


@pytest.fixture
def people(db: Database, clock: ManualClock) -> dict[str, register.Person]:
    with db.write() as conn:
        siân = register.create(conn, clock.now(), name="Siân Llŷr ap Gwilym", kind="volunteer")
        ada = register.create(conn, clock.now(), name="Ada Lovelace", kind="member")
        register.assign_card(conn, siân.id, "card-sian")
        register.assign_card(conn, ada.id, "card-ada")
    return {"siân": siân, "ada": ada}


def tap(db: Database, cfg: Config, clock: ManualClock, card: str) -> str:
    Recorder(db, cfg, clock, RULES).write([FobRead(at=clock.now(), reader="entrance", card_hash=card)])
    return str(state.get(db.conn(), taps.LAST_FOB_KEY)["outcome"])


def test_a_second_tap_within_a_minute_changes_nothing(
    db: Database, cfg: Config, clock: ManualClock, people: dict[str, register.Person]
) -> None:
    assert tap(db, cfg, clock, "card-ada") == "signed_in"
    clock.advance(20)
    assert tap(db, cfg, clock, "card-ada") == "still_in"  # no flip back out
    assert len(visits.signed_in_now(db.conn())) == 1
    clock.advance(3600)
    assert tap(db, cfg, clock, "card-ada") == "signed_out"
    clock.advance(59)
    assert tap(db, cfg, clock, "card-ada") == "still_out"  # nor straight back in
    assert visits.signed_in_now(db.conn()) == []
    clock.advance(2)
    assert tap(db, cfg, clock, "card-ada") == "signed_in"
    # Only one visit for the first hour, one for the second: nothing doubled.
    assert db.conn().execute("SELECT count(*) FROM visits").fetchone()[0] == 2


def test_a_clock_moved_back_does_not_hold_someone_in(
    db: Database, cfg: Config, clock: ManualClock, people: dict[str, register.Person]
) -> None:
    assert tap(db, cfg, clock, "card-ada") == "signed_in"
    clock.set(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))  # NTP put the clock an hour back
    assert tap(db, cfg, clock, "card-ada") == "signed_out"


def test_the_tap_token_is_for_its_holder_for_a_few_minutes(
    db: Database, cfg: Config, clock: ManualClock, people: dict[str, register.Person]
) -> None:
    conn = db.conn()
    tap(db, cfg, clock, "card-sian")
    first = taps.last_tap(conn)
    assert first is not None and first.volunteer and first.person_id == people["siân"].id
    assert taps.tap_of(conn, first.token, clock.now()) == first
    assert taps.tap_of(conn, "guessed", clock.now()) is None
    clock.advance(10)
    tap(db, cfg, clock, "card-sian")  # the same person again keeps the same token
    again = taps.last_tap(conn)
    assert again is not None and again.token == first.token and again.outcome == "still_in"
    assert taps.tap_of(conn, first.token, clock.advance(4 * 60)) is not None
    assert taps.tap_of(conn, first.token, clock.advance(2 * 60)) is None  # too old
    tap(db, cfg, clock, "card-ada")  # someone else taps: Siân's token is gone
    assert taps.tap_of(conn, first.token, clock.now()) is None
    # What the page hears: never an id, the token and name only while fresh.
    value = state.get(conn, taps.LAST_FOB_KEY)
    assert set(taps.last_fob_public(value, fresh=True)) == {"at", "outcome", "first_name", "tap", "volunteer", "activity"}
    assert taps.last_fob_public(value, fresh=False) == {"at": value["at"], "outcome": "signed_in", "first_name": ""}


def test_a_sign_out_by_tap_can_be_undone(
    db: Database, cfg: Config, clock: ManualClock, people: dict[str, register.Person]
) -> None:
    conn = db.conn()
    tap(db, cfg, clock, "card-ada")
    clock.advance(7200)
    assert tap(db, cfg, clock, "card-ada") == "signed_out"
    out = taps.last_tap(conn)
    assert out is not None
    clock.advance(5)
    with db.write() as tx:
        kept = taps.keep_signed_in(tx, out, clock.now())
    assert kept.signed_out_at is None and [v.id for v in visits.signed_in_now(conn)] == [kept.id]
    assert state.get(conn, taps.LAST_FOB_KEY)["outcome"] == "still_in"
    with db.write() as tx, pytest.raises(visits.VisitError, match="already changed"):
        taps.keep_signed_in(tx, out, clock.now())


def test_a_volunteers_tap_before_their_shift_is_for_its_activity(
    db: Database, cfg: Config, clock: ManualClock, people: dict[str, register.Person]
) -> None:
    conn = db.conn()
    bar = make_shift(conn, clock.now(), "Bar", days=("FR",), start="18:00", end="23:00")
    signups.take(conn, cfg, clock.now(), person_id=people["siân"].id, shift_id=bar.id,
                 day=datetime(2026, 3, 6).date(), source="kiosk")
    clock.set(datetime(2026, 3, 6, 17, 40, tzinfo=UTC))
    assert tap(db, cfg, clock, "card-sian") == "signed_in"
    assert visits.signed_in_now(conn)[0].activity == "Bar"
    assert state.get(conn, taps.LAST_FOB_KEY)["activity"] == "Bar"
    # A member's tap, and a volunteer's with no shift, get no activity from the rota.
    tap(db, cfg, clock, "card-ada")
    clock.set(datetime(2026, 3, 7, 10, 0, tzinfo=UTC))
    tap(db, cfg, clock, "card-sian")  # out
    clock.advance(120)
    tap(db, cfg, clock, "card-sian")  # in on Saturday: no shift
    assert {v.name: v.activity for v in visits.signed_in_now(conn)} == {"Ada Lovelace": "", "Siân Llŷr ap Gwilym": ""}
