"""Corrections by hand (appliance/people/corrections.py): the rules behind Manage → Visits."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from dashboard_support import record, sign_in_person, sign_in_visitor

from appliance.core.clock import ManualClock, iso
from appliance.core.config import Config
from appliance.core.events import Passed
from appliance.people import corrections, register, visits
from appliance.sensing import occupancy
from appliance.storage.db import Database


def test_sign_in_by_hand_at_the_time_they_came(db: Database, config: Config, clock: ManualClock) -> None:
    came = clock.now() - timedelta(hours=2)
    with db.write() as conn:
        visit = corrections.sign_in_by_hand(conn, config, clock.now(), kind="visitor", name="Siân Llŷr",
                                            reason="Forgot at the door", at=came)
    assert (visit.name, visit.source, visit.signed_in_at) == ("Siân Llŷr", "dashboard", iso(came))


@pytest.mark.parametrize(("kw", "message"), [
    ({"reason": ""}, "reason"),
    ({"reason": "   "}, "reason"),
    ({"reason": "x" * 201}, "too long"),
    ({"reason": "ok", "at_hours": 1}, "future"),
    ({"reason": "ok", "at_hours": -24 * 800}, "kept for"),
    ({"reason": "ok\x00"}, "NUL"),
    ({"reason": "ok", "at_hours": 24 * 365 * 100}, "outside 2000-2100"),
])
def test_a_correction_needs_a_reason_and_a_time_that_can_be(db: Database, config: Config, clock: ManualClock,
                                                            kw: dict, message: str) -> None:
    at = clock.now() + timedelta(hours=kw.pop("at_hours")) if "at_hours" in kw else None
    with pytest.raises(corrections.CorrectionError, match=message), db.write() as conn:
        corrections.sign_in_by_hand(conn, config, clock.now(), kind="visitor", name="Joan", at=at, **kw)
    assert visits.signed_in_now(db.conn()) == []


def test_someone_already_in_is_not_signed_in_twice(db: Database, config: Config, clock: ManualClock) -> None:
    grace = sign_in_person(db, config, clock.now(), "Grace Hopper")
    assert grace.person_id is not None
    with pytest.raises(corrections.CorrectionError, match="already signed in"), db.write() as conn:
        corrections.sign_in_by_hand(conn, config, clock.now(), kind="volunteer", person_id=grace.person_id,
                                    reason="double")
    with pytest.raises(corrections.CorrectionError, match="no current member"), db.write() as conn:
        corrections.sign_in_by_hand(conn, config, clock.now(), kind="member", person_id=999, reason="x")


def test_sign_out_by_hand_never_before_they_came(db: Database, config: Config, clock: ManualClock) -> None:
    visit = sign_in_visitor(db, config, clock.now(), "Joan Clarke")
    clock.advance(hours=3)
    with pytest.raises(corrections.CorrectionError, match="cannot be before"), db.write() as conn:
        corrections.sign_out_by_hand(conn, config, clock.now(), visit.id, reason="left",
                                     at=clock.now() - timedelta(hours=4))
    left = clock.now() - timedelta(hours=1)
    with db.write() as conn:
        ended = corrections.sign_out_by_hand(conn, config, clock.now(), visit.id, reason="left", at=left)
    assert ended.signed_out_at == iso(left)
    with pytest.raises(corrections.CorrectionError, match="already ended"), db.write() as conn:
        corrections.sign_out_by_hand(conn, config, clock.now(), visit.id, reason="again")
    with pytest.raises(corrections.CorrectionError, match="no visit #42"), db.write() as conn:
        corrections.sign_out_by_hand(conn, config, clock.now(), 42, reason="x")


def test_reset_the_count_says_what_it_was(db: Database, config: Config, clock: ManualClock) -> None:
    record(db, config, clock, *(Passed(at=clock.now(), beam="front", direction="in") for _ in range(4)))
    with pytest.raises(corrections.CorrectionError, match="reason"), db.write() as conn:
        corrections.reset_count(conn, config, clock.now(), reason="")
    with db.write() as conn:
        assert corrections.reset_count(conn, config, clock.now(), reason="Everyone left") == 4
    assert occupancy.current(db.conn())["value"] == 0


def test_history_finds_by_name_number_reason_kind_and_dates(db: Database, config: Config, clock: ManualClock) -> None:
    with db.write() as conn:
        register.create(conn, clock.now(), name="Ada Lovelace", kind="member", member_number="M001")
        ada = register.by_member_number(conn, "M001")
        assert ada is not None
        visits.sign_in(conn, config, clock.now() - timedelta(days=3), kind="member", person_id=ada.id)
    sign_in_visitor(db, config, clock.now(), "Rhiannon Evans", visiting="100% choir_practice")
    sign_in_visitor(db, config, clock.now(), "Tom Kilburn")
    conn = db.conn()
    everything = corrections.history(conn, config, clock.now())
    assert everything.total == 3 and [v.name for v in everything.visits][-1] == "Ada Lovelace"  # newest first
    assert [v.name for v in corrections.history(conn, config, clock.now(), text="rhiann").visits] == ["Rhiannon Evans"]
    assert [v.name for v in corrections.history(conn, config, clock.now(), text="m001").visits] == ["Ada Lovelace"]
    # % and _ are letters people type, not wildcards
    assert [v.name for v in corrections.history(conn, config, clock.now(), text="100%").visits] == ["Rhiannon Evans"]
    assert corrections.history(conn, config, clock.now(), text="_").total == 1
    assert corrections.history(conn, config, clock.now(), kind="member").total == 1
    today = clock.now().date()
    assert corrections.history(conn, config, clock.now(), start=today, end=today).total == 2
    page = corrections.history(conn, config, clock.now(), limit=2, offset=2)
    assert (page.total, len(page.visits)) == (3, 1)
    with pytest.raises(corrections.CorrectionError, match="before it starts"):
        corrections.history(conn, config, clock.now(), start=today, end=today - timedelta(days=1))
    with pytest.raises(ValueError, match="outside"):
        corrections.history(conn, config, clock.now(), start=date(1999, 1, 1))
    with pytest.raises(corrections.CorrectionError, match="not one of"):
        corrections.history(conn, config, clock.now(), kind="alien")
