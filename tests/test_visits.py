"""Visits: sign in and out, the fob toggle through the real Recorder, privacy of sign-out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from mqttkit import role_database

from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.core.events import FobRead
from appliance.people import register, taps, visits
from appliance.sensing.recorder import Recorder
from appliance.storage import state
from appliance.storage.db import Database
from doorstep.agent import RULES


@pytest.fixture
def ada(db: Database, clock: ManualClock) -> register.Person:
    with db.write() as conn:
        person = register.create(conn, clock.now(), name="Ada Lovelace", kind="member", member_number="M001")
        register.assign_card(conn, person.id, "card-ada")
    return person


def recorder(db: Database, config: Config, clock: ManualClock) -> Recorder:
    return Recorder(db, config, clock, RULES)


def test_visitor_signs_in_and_out_by_whole_name(db: Database, config: Config, clock: ManualClock) -> None:
    with db.write() as conn:
        visit = visits.sign_in(conn, config, clock.now(), kind="visitor", name="Joan  Clarke", visiting="Ada")
    assert [v.name for v in visits.signed_in_now(db.conn())] == ["Joan Clarke"]
    clock.advance(3600)
    with db.write() as conn:
        assert visits.sign_out_by_name(conn, config, clock.now(), "joan") is None
        ended = visits.sign_out_by_name(conn, config, clock.now(), "JOAN CLARKE")
    assert ended is not None and ended.id == visit.id and ended.signed_out_at == "2026-03-02T10:00:00.000Z"
    assert visits.signed_in_now(db.conn()) == []
    assert db.conn().execute("SELECT value FROM daily_counts WHERE metric='visitor'").fetchone()[0] == 1


def test_sign_out_by_name_ignores_people_not_signed_in(
    db: Database, config: Config, clock: ManualClock, ada: register.Person
) -> None:
    with db.write() as conn:
        assert visits.sign_out_by_name(conn, config, clock.now(), "Ada Lovelace") is None
        visits.sign_in_named(conn, config, clock.now(), kind="member", name="m001")
        assert visits.sign_out_by_name(conn, config, clock.now(), "Ada Lovelace") is not None


def test_member_sign_in_needs_whole_name_or_number(
    db: Database, config: Config, clock: ManualClock, ada: register.Person
) -> None:
    with db.write() as conn:
        for text in ("Ada", "Lovelace", "M00", "Nobody"):
            with pytest.raises(visits.VisitError, match="could not find") as caught:
                visits.sign_in_named(conn, config, clock.now(), kind="member", name=text)
            assert "Ada" not in str(caught.value)
        first = visits.sign_in_named(conn, config, clock.now(), kind="member", name="ada lovelace")
        again = visits.sign_in_named(conn, config, clock.now(), kind="member", name="M001")
    assert first.id == again.id and first.name == "Ada Lovelace"


def test_bad_kinds_activities_and_lengths_are_refused(db: Database, config: Config, clock: ManualClock) -> None:
    with db.write() as conn:
        with pytest.raises(visits.VisitError, match="not offered"):
            visits.sign_in(conn, config, clock.now(), kind="ghost", name="X")
        with pytest.raises(visits.VisitError, match="Activity"):
            visits.sign_in(conn, config, clock.now(), kind="visitor", name="X", activity="Juggling")
        with pytest.raises(visits.VisitError, match="too long"):
            visits.sign_in(conn, config, clock.now(), kind="visitor", name="x" * 200)
        with pytest.raises(visits.VisitError, match="name"):
            visits.sign_in(conn, config, clock.now(), kind="visitor", name="  ")
        visit = visits.sign_in(conn, config, clock.now(), kind="visitor", name="X")
        visits.sign_out(conn, clock.now(), visit.id)
        with pytest.raises(visits.VisitError, match="already ended"):
            visits.sign_out(conn, clock.now(), visit.id)
        with pytest.raises(visits.VisitError, match="No visit"):
            visits.sign_out(conn, clock.now(), 999)


def test_volunteer_activity_is_kept(db: Database, config: Config, clock: ManualClock) -> None:
    with db.write() as conn:
        grace = register.create(conn, clock.now(), name="Grace Hopper", kind="volunteer")
        visit = visits.sign_in(conn, config, clock.now(), kind="volunteer", person_id=grace.id, activity="Cafe")
    assert visit.activity == "Cafe" and visit.kind == "volunteer"


def test_fob_tap_toggles_through_the_recorder(
    db: Database, config: Config, clock: ManualClock, ada: register.Person
) -> None:
    rec = recorder(db, config, clock)
    rec.write([FobRead(at=clock.now(), reader="entrance", card_hash="card-ada")])
    conn = db.conn()
    assert [v.person_id for v in visits.signed_in_now(conn)] == [ada.id]
    last = state.get(conn, taps.LAST_FOB_KEY)
    assert {k: last[k] for k in ("at", "outcome", "first_name", "person_id", "kind")} == {
        "at": "2026-03-02T09:00:00.000Z", "outcome": "signed_in", "first_name": "Ada", "person_id": ada.id,
        "kind": "member"}
    clock.advance(timedelta(hours=2).total_seconds())
    rec.write([FobRead(at=clock.now(), reader="entrance", card_hash="card-ada")])
    assert visits.signed_in_now(conn) == []
    assert state.get(conn, taps.LAST_FOB_KEY)["outcome"] == "signed_out"
    # The card hash never reaches the raw event row.
    assert all("card" not in row[0] for row in conn.execute("SELECT data FROM sensor_events"))


def test_unknown_card_is_remembered_for_the_dashboard(db: Database, config: Config, clock: ManualClock) -> None:
    recorder(db, config, clock).write([FobRead(at=clock.now(), reader="entrance", card_hash="stranger")])
    conn = db.conn()
    assert state.get(conn, taps.LAST_UNKNOWN_KEY) == {"card_hash": "stranger", "at": "2026-03-02T09:00:00.000Z"}
    assert state.get(conn, taps.LAST_FOB_KEY)["outcome"] == "unknown"
    assert visits.signed_in_now(conn) == []


def test_an_organisers_tap_checks_their_booking_in(
    db: Database, config: Config, clock: ManualClock, ada: register.Person
) -> None:
    from appliance.booking import bookings
    from doorstep.seed import seed_demo

    seed_demo(db)
    start = clock.now() + timedelta(minutes=15)
    wanted = bookings.BookingRequest(
        room="green-room", start=start, end=start + timedelta(hours=1), title="Knitting",
        organiser="Ada Lovelace", person_id=ada.id,
    )
    booked = bookings.book(db.conn(), config, wanted, clock.now())
    assert booked.booking.checked_in_at is None
    recorder(db, config, clock).write([FobRead(at=clock.now(), reader="entrance", card_hash="card-ada")])
    assert bookings.get_booking(db.conn(), booked.booking.id).checked_in_at == clock.now()


def test_signing_in_queues_public_counts_never_names(db: Database, config: Config, clock: ManualClock) -> None:
    import dataclasses

    published = config.with_changes(mqtt=dataclasses.replace(config.mqtt, enabled=True))
    role = role_database(published, clock)  # as the web role opens it: publishing before each commit
    with role.write() as conn:
        visits.sign_in(conn, published, clock.now(), kind="visitor", name="Joan Clarke", visiting="Dr Who")
    rows = db.conn().execute("SELECT topic, payload FROM outbox").fetchall()
    assert any(row["topic"].endswith("/visits") for row in rows)
    assert all("Joan" not in row["payload"] and "Who" not in row["payload"] for row in rows)


def test_an_extra_configured_kind_signs_in_by_name_like_a_visitor(
    db: Database, config: Config, clock: ManualClock
) -> None:
    import dataclasses

    extra = config.with_changes(kiosk=dataclasses.replace(config.kiosk, visit_kinds=("visitor", "contractor")))
    with db.write() as conn:
        visit = visits.sign_in_named(conn, extra, clock.now(), kind="contractor", name="Bob Builder")
        with pytest.raises(visits.VisitError, match="not offered"):
            visits.sign_in_named(conn, extra, clock.now(), kind="member", name="Bob Builder")
    assert (visit.kind, visit.person_id, visit.name) == ("contractor", None, "Bob Builder")
    assert visits.retention_days(extra, "contractor") == config.privacy.visitor_days


def test_a_fob_sign_in_is_published_in_the_same_transaction(db, config, clock) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from appliance.core.events import FobRead
    from appliance.people import register
    from appliance.sensing.recorder import Recorder

    cfg = config.with_changes(mqtt=dataclasses.replace(config.mqtt, enabled=True))
    conn = db.conn()
    with db.write():
        person = register.create(conn, clock.now(), name="Grace Hopper", kind="volunteer")
        register.assign_card(conn, person.id, "c" * 64)
    recorder = Recorder(role_database(cfg, clock), cfg, clock, RULES)  # the agent's database
    recorder.write([FobRead(reader="cardreader", card_hash="c" * 64, at=clock.now())])
    topics = [row[0] for row in conn.execute("SELECT topic FROM outbox")]
    assert "doorstep/community-hall/visits" in topics  # not left for the 5-second refresh job
    payloads = " ".join(row[0] for row in conn.execute("SELECT payload FROM outbox"))
    assert "Grace" not in payloads and "c" * 64 not in payloads
