"""Volunteer rotas in the domain: shifts and their dates, taking and giving up, who came,
what is needed (no names), and the shift a visit belongs to."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from rota_support import ACTIVITIES, make_shift, with_rota_activities

from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.people import register, visits
from appliance.rota import coverage, shifts, signups, volunteers
from appliance.rota.shifts import RotaError
from appliance.storage.db import Database

FRIDAY = date(2026, 3, 6)


@pytest.fixture
def cfg(config: Config) -> Config:
    return with_rota_activities(config)


def volunteer(db: Database, clock: ManualClock, name: str = "Siân Llŷr ap Gwilym") -> register.Person:
    with db.write() as conn:
        return register.create(conn, clock.now(), name=name, kind="volunteer")


def test_the_three_shifts_of_the_issue_read_as_written(db: Database, clock: ManualClock, cfg: Config) -> None:
    conn = db.conn()
    bar = make_shift(conn, clock.now(), "Bar", days=("FR",), start="18:00", end="23:00", needs=2)
    show = make_shift(conn, clock.now(), "Breakfast show", days=("MO", "TU", "WE", "TH", "FR"), start="07:00", end="09:00")
    opening = make_shift(conn, clock.now(), "Opening up", days=("SA",), start="09:00")
    assert bar.describe() == "Every Friday, 18:00-23:00" and bar.needs == 2
    assert show.describe() == "Every weekday, 07:00-09:00"
    assert opening.describe() == "Every Saturday, 09:00" and opening.end_time is None
    week = shifts.occurrences(conn, cfg, datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC))
    assert [(o.shift.label, o.day.isoformat(), o.start.strftime("%H:%M")) for o in week] == [
        ("Breakfast show", "2026-03-02", "07:00"), ("Breakfast show", "2026-03-03", "07:00"),
        ("Breakfast show", "2026-03-04", "07:00"), ("Breakfast show", "2026-03-05", "07:00"),
        ("Breakfast show", "2026-03-06", "07:00"), ("Bar", "2026-03-06", "18:00"), ("Opening up", "2026-03-07", "09:00"),
    ]
    # A start time only counts as an hour for who came and for hours.
    assert week[-1].end - week[-1].start == timedelta(hours=1) and week[-1].start_only


def test_an_evening_shift_stays_at_six_when_the_clocks_change(db: Database, clock: ManualClock, cfg: Config) -> None:
    conn = db.conn()
    make_shift(conn, clock.now(), "Bar", days=("FR",), start="18:00", end="01:00")
    dates = shifts.occurrences(conn, cfg, datetime(2026, 3, 26, tzinfo=UTC), datetime(2026, 4, 4, tzinfo=UTC))
    zone = cfg.site.zone
    assert [(o.day.isoformat(), o.start.astimezone(zone).strftime("%H:%M"), o.start.strftime("%H:%MZ")) for o in dates] == [
        ("2026-03-27", "18:00", "18:00Z"), ("2026-04-03", "18:00", "17:00Z")]
    assert dates[0].end - dates[0].start == timedelta(hours=7)  # past midnight


def test_other_repeats_a_last_day_and_a_date_left_out(db: Database, clock: ManualClock, cfg: Config) -> None:
    conn = db.conn()
    monthly = make_shift(conn, clock.now(), "Cafe", repeat="monthly", first_day="2026-03-27", start="10:00", end="12:00")
    assert monthly.describe() == "Monthly, the last Friday, 10:00-12:00"
    fortnightly = make_shift(conn, clock.now(), "Reception", repeat="fortnightly", days=("TU",), start="14:00",
                             end="16:00", last_day="2026-04-01")
    once = make_shift(conn, clock.now(), "Bar", repeat="once", first_day="2026-03-14", start="19:00", title="Quiz night")
    assert once.describe() == "Once, Sat 14 Mar 2026, 19:00" and once.label == "Quiz night"
    spring = shifts.occurrences(conn, cfg, datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC))
    assert {(o.shift.id, o.day.isoformat()) for o in spring} == {
        (monthly.id, "2026-03-27"), (monthly.id, "2026-04-24"),
        (fortnightly.id, "2026-03-03"), (fortnightly.id, "2026-03-17"), (fortnightly.id, "2026-03-31"),
        (once.id, "2026-03-14")}
    shifts.leave_out(conn, cfg, fortnightly.id, date(2026, 3, 17), clock.now())
    assert (fortnightly.id, "2026-03-17") not in {
        (o.shift.id, o.day.isoformat()) for o in shifts.occurrences(conn, cfg, datetime(2026, 3, 1, tzinfo=UTC),
                                                                   datetime(2026, 5, 1, tzinfo=UTC))}
    with pytest.raises(RotaError, match="does not happen on Wed 18 Mar 2026"):
        shifts.leave_out(conn, cfg, fortnightly.id, date(2026, 3, 18), clock.now())
    assert shifts.put_back(conn, fortnightly.id, date(2026, 3, 17)) is True
    assert shifts.put_back(conn, fortnightly.id, date(2026, 3, 17)) is False


@pytest.mark.parametrize(("field", "value", "words"), [
    ("start", "6pm", "not a time"),
    ("end", "18:00", "leave it empty"),
    ("needs", "0", "from 1 to 50"),
    ("needs", "two", "not a whole number"),
    ("first_day", "0001-03-02", "outside 2000-2100"),
    ("last_day", "2026-03-01", "before the first"),
    ("title", "Bar\x00", "NUL"),
    ("title", "Bar \ud800", "not valid text"),
    ("title", "x" * 61, "too long"),
    ("activity", "Darts", "Choose one of the activities"),
    ("repeat", "daily", "Choose how it repeats"),
])
def test_a_wrong_field_is_named_in_words(field: str, value: str, words: str) -> None:
    form = {"activity": "Bar", "title": "", "repeat": "weekly", "first_day": "2026-03-02", "start": "18:00",
            "end": "23:00", "last_day": "", "needs": "2", field: value}
    with pytest.raises(RotaError, match=words) as caught:
        shifts.read_plan(form, ("FR",), ACTIVITIES)
    assert caught.value.field == field


def test_changing_a_shift_keeps_the_people_on_its_dates(db: Database, clock: ManualClock, cfg: Config) -> None:
    conn = db.conn()
    bar = make_shift(conn, clock.now(), "Bar", days=("FR",), start="18:00", end="23:00", needs=2)
    siân = volunteer(db, clock)
    signups.take(conn, cfg, clock.now(), person_id=siân.id, shift_id=bar.id, day=FRIDAY, source="kiosk")
    changed = shifts.change(conn, bar.id, {"activity": "Bar", "title": "Late bar", "start": "19:00", "end": "00:30",
                                           "last_day": "", "needs": "3"}, ACTIVITIES, clock.now())
    assert changed.describe() == "Every Friday, 19:00-00:30" and changed.needs == 3 and changed.label == "Late bar"
    cover = coverage.rota(conn, cfg, datetime(2026, 3, 6, tzinfo=UTC), datetime(2026, 3, 7, tzinfo=UTC), clock.now())[0]
    assert [t.name for t in cover.takers] == ["Siân Llŷr ap Gwilym"] and cover.open == 2


def test_taking_a_date_is_once_per_person_and_never_beyond_what_it_needs(
    db: Database, clock: ManualClock, cfg: Config
) -> None:
    conn = db.conn()
    bar = make_shift(conn, clock.now(), "Bar", days=("FR",), start="18:00", end="23:00", needs=2)
    people = [volunteer(db, clock, n) for n in ("Siân Llŷr ap Gwilym", "Dafydd Jones", "Ffion Hughes")]
    for person in people[:2]:
        signups.take(conn, cfg, clock.advance(60), person_id=person.id, shift_id=bar.id, day=FRIDAY, source="kiosk")
    # A double tap is harmless; a third person is told it is full.
    signups.take(conn, cfg, clock.now(), person_id=people[0].id, shift_id=bar.id, day=FRIDAY, source="kiosk")
    with pytest.raises(RotaError, match=r"Bar on Fri 6 Mar is full \(2 of 2\)") as full:
        signups.take(conn, cfg, clock.now(), person_id=people[2].id, shift_id=bar.id, day=FRIDAY, source="kiosk")
    assert full.value.code == "full"
    assert [s.name for s in signups.between(conn, FRIDAY, FRIDAY)[(bar.id, FRIDAY)]] == [
        "Siân Llŷr ap Gwilym", "Dafydd Jones"]
    with pytest.raises(RotaError, match="does not happen") as wrong_day:
        signups.take(conn, cfg, clock.now(), person_id=people[2].id, shift_id=bar.id, day=FRIDAY + timedelta(days=1),
                     source="kiosk")
    assert wrong_day.value.code == "no_such_date"


def test_two_screens_racing_for_the_last_place_cannot_both_win(
    db: Database, clock: ManualClock, cfg: Config
) -> None:
    bar = make_shift(db.conn(), clock.now(), "Bar", days=("FR",), needs=1)
    first, second = volunteer(db, clock, "Dafydd Jones"), volunteer(db, clock, "Ffion Hughes")
    other = Database(cfg.database.path, clock)  # a second connection, as the other role would have
    try:
        signups.take(other.conn(), cfg, clock.now(), person_id=first.id, shift_id=bar.id, day=FRIDAY, source="kiosk")
        with pytest.raises(RotaError, match="full"):
            signups.take(db.conn(), cfg, clock.now(), person_id=second.id, shift_id=bar.id, day=FRIDAY,
                         source="dashboard")
    finally:
        other.close()


def test_clashes_dates_left_out_and_past_dates_are_refused(db: Database, clock: ManualClock, cfg: Config) -> None:
    conn = db.conn()
    bar = make_shift(conn, clock.now(), "Bar", days=("FR",), start="18:00", end="23:00", needs=2)
    quiz = make_shift(conn, clock.now(), "Cafe", days=("FR",), start="20:00", end="21:00")
    siân = volunteer(db, clock)
    signups.take(conn, cfg, clock.now(), person_id=siân.id, shift_id=bar.id, day=FRIDAY, source="kiosk")
    with pytest.raises(RotaError, match="already has Bar at that time") as clash:
        signups.take(conn, cfg, clock.now(), person_id=siân.id, shift_id=quiz.id, day=FRIDAY, source="kiosk")
    assert clash.value.code == "clash"
    shifts.leave_out(conn, cfg, bar.id, FRIDAY + timedelta(days=7), clock.now())
    with pytest.raises(RotaError, match="not happening") as left_out:
        signups.take(conn, cfg, clock.now(), person_id=siân.id, shift_id=bar.id, day=FRIDAY + timedelta(days=7),
                     source="kiosk")
    assert left_out.value.code == "left_out"
    clock.set(datetime(2026, 3, 7, 9, 0, tzinfo=UTC))
    with pytest.raises(RotaError, match="is over"):
        signups.take(conn, cfg, clock.now(), person_id=siân.id, shift_id=quiz.id, day=FRIDAY, source="kiosk")
    # An admin may record who did a past date.
    dafydd = volunteer(db, clock, "Dafydd Jones")
    signups.take(conn, cfg, clock.now(), person_id=dafydd.id, shift_id=quiz.id, day=FRIDAY, source="dashboard")


def test_giving_up_at_the_door_stops_at_the_cut_off(db: Database, clock: ManualClock, cfg: Config) -> None:
    conn = db.conn()
    bar = make_shift(conn, clock.now(), "Bar", days=("FR",), start="18:00", end="23:00")
    siân = volunteer(db, clock)
    signups.take(conn, cfg, clock.now(), person_id=siân.id, shift_id=bar.id, day=FRIDAY, source="kiosk")
    cutoff = timedelta(hours=24)
    clock.set(datetime(2026, 3, 5, 19, 0, tzinfo=UTC))  # 23 hours before
    with pytest.raises(RotaError, match="starts in less than 24 hours: ask a coordinator") as late:
        signups.give_up(conn, cfg, clock.now(), person_id=siân.id, shift_id=bar.id, day=FRIDAY, cutoff=cutoff)
    assert late.value.code == "too_late"
    # An admin has no cut-off; giving up twice is harmless.
    assert signups.give_up(conn, cfg, clock.now(), person_id=siân.id, shift_id=bar.id, day=FRIDAY) is True
    assert signups.give_up(conn, cfg, clock.now(), person_id=siân.id, shift_id=bar.id, day=FRIDAY) is False


def test_who_actually_came_makes_a_date_covered(db: Database, clock: ManualClock, cfg: Config) -> None:
    conn = db.conn()
    bar = make_shift(conn, clock.now(), "Bar", days=("FR",), start="18:00", end="23:00", needs=2)
    opening = make_shift(conn, clock.now(), "Opening up", days=("SA",), start="09:00")
    dafydd, ffion = volunteer(db, clock, "Dafydd Jones"), volunteer(db, clock, "Ffion Hughes")
    for person in (dafydd, ffion):
        signups.take(conn, cfg, clock.now(), person_id=person.id, shift_id=bar.id, day=FRIDAY, source="kiosk")
    week = (datetime(2026, 3, 6, tzinfo=UTC), datetime(2026, 3, 8, tzinfo=UTC))

    def states(now: datetime) -> dict[str, str]:
        return {c.occurrence.shift.label: c.state for c in coverage.rota(conn, cfg, *week, now)}

    assert states(clock.now()) == {"Bar": coverage.WAITING, "Opening up": coverage.UNCOVERED}
    clock.set(datetime(2026, 3, 6, 17, 50, tzinfo=UTC))  # Dafydd comes early, Ffion late
    with db.write() as tx:
        visits.sign_in(tx, cfg, clock.now(), kind="volunteer", person_id=dafydd.id, activity="Bar")
    assert states(clock.now())["Bar"] == coverage.WAITING
    clock.set(datetime(2026, 3, 6, 19, 30, tzinfo=UTC))
    with db.write() as tx:
        visits.sign_in(tx, cfg, clock.now(), kind="volunteer", person_id=ffion.id)
    cover = coverage.rota(conn, cfg, *week, clock.now())[0]
    assert (cover.state, cover.came, cover.open) == (coverage.COVERED, 2, 0)
    # Saturday's opening-up passed with nobody: uncovered, never "waiting".
    assert states(datetime(2026, 3, 7, 11, 0, tzinfo=UTC))["Opening up"] == coverage.UNCOVERED
    assert coverage.counts(coverage.rota(conn, cfg, *week, clock.now()))[coverage.COVERED] == 1
    assert opening.needs == 1


def test_what_is_needed_has_times_and_counts_and_never_a_name(db: Database, clock: ManualClock, cfg: Config) -> None:
    conn = db.conn()
    bar = make_shift(conn, clock.now(), "Bar", days=("FR",), start="18:00", end="23:00", needs=2)
    make_shift(conn, clock.now(), "Opening up", days=("SA",), start="09:00")
    siân = volunteer(db, clock)
    signups.take(conn, cfg, clock.now(), person_id=siân.id, shift_id=bar.id, day=FRIDAY, source="kiosk")
    needed = coverage.needed(conn, cfg, clock.now())
    assert needed == [
        {"activity": "Bar", "title": "", "start": "2026-03-06T18:00:00.000Z", "end": "2026-03-06T23:00:00.000Z",
         "needs": 2, "taken": 1, "open": 1},
        {"activity": "Opening up", "title": "", "start": "2026-03-07T09:00:00.000Z", "end": None,
         "needs": 1, "taken": 0, "open": 1},
    ]
    assert "Siân" not in repr(needed)
    signups.take(conn, cfg, clock.now(), person_id=volunteer(db, clock, "Dafydd Jones").id, shift_id=bar.id,
                 day=FRIDAY, source="kiosk")
    assert [n["activity"] for n in coverage.needed(conn, cfg, clock.now())] == ["Opening up"]


def test_a_visit_is_matched_to_the_shift_it_overlaps_most(db: Database, clock: ManualClock, cfg: Config) -> None:
    conn = db.conn()
    bar = make_shift(conn, clock.now(), "Bar", days=("FR",), start="18:00", end="23:00")
    show = make_shift(conn, clock.now(), "Breakfast show", days=("FR",), start="07:00", end="09:00")
    siân = volunteer(db, clock)
    for shift in (bar, show):
        signups.take(conn, cfg, clock.now(), person_id=siân.id, shift_id=shift.id, day=FRIDAY, source="dashboard")
    evening = (siân.id, datetime(2026, 3, 6, 17, 0, tzinfo=UTC), datetime(2026, 3, 6, 23, 30, tzinfo=UTC))
    morning = (siân.id, datetime(2026, 3, 6, 6, 45, tzinfo=UTC), datetime(2026, 3, 6, 9, 5, tzinfo=UTC))
    other_day = (siân.id, datetime(2026, 3, 5, 18, 0, tzinfo=UTC), datetime(2026, 3, 5, 22, 0, tzinfo=UTC))
    anonymised = (None, datetime(2026, 3, 6, 18, 0, tzinfo=UTC), datetime(2026, 3, 6, 22, 0, tzinfo=UTC))
    matches = coverage.shift_matches(conn, cfg, [evening, morning, other_day, anonymised])
    assert [m.activity for m in matches] == ["Bar", "Breakfast show", "", ""]
    assert [m.on_shift for m in matches] == [timedelta(hours=5), timedelta(hours=2), timedelta(0), timedelta(0)]


def test_after_a_tap_the_shift_comes_first_then_the_usual_activities(
    db: Database, clock: ManualClock, cfg: Config
) -> None:
    conn = db.conn()
    bar = make_shift(conn, clock.now(), "Bar", days=("FR",), start="18:00", end="23:00")
    siân = volunteer(db, clock)
    volunteers.set_activities(conn, cfg, siân.id, ["Reception", "Cafe"])
    assert volunteers.usual(conn, cfg, siân.id) == ["Cafe", "Reception"]  # in the configured order
    assert volunteers.choices(conn, cfg, siân.id, clock.now()).activities[:2] == ["Cafe", "Reception"]
    signups.take(conn, cfg, clock.now(), person_id=siân.id, shift_id=bar.id, day=FRIDAY, source="kiosk")
    at_five = datetime(2026, 3, 6, 17, 5, tzinfo=UTC)
    choices = volunteers.choices(conn, cfg, siân.id, at_five)
    assert choices.shift is not None and choices.shift.shift.id == bar.id
    assert choices.activities == ["Bar", "Cafe", "Reception", "Breakfast show", "Opening up"]
    # Too early for the shift: it is not offered first.
    assert volunteers.choices(conn, cfg, siân.id, datetime(2026, 3, 6, 16, 0, tzinfo=UTC)).shift is None
    with pytest.raises(RotaError, match="Not an activity here: Darts"):
        volunteers.set_activities(conn, cfg, siân.id, ["Darts"])
