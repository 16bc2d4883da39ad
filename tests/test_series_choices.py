"""What the dashboard's "New booking" form asks of the domain: a repeat chosen in words
(weekly, fortnightly, monthly by date, the 2nd Tuesday, the last Friday; until a date or
a number of times), each clashing date skipped or moved before anything is saved, who
approves, and where a booking came from."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from appliance.booking import bookings, recurrence, series
from appliance.booking.bookings import BookingRequest
from appliance.booking.recurrence import RecurrenceError
from appliance.booking.rooms import Room, create_room
from appliance.core.clock import iso

LONDON = ZoneInfo("Europe/London")


def _at(config, text):  # type: ignore[no-untyped-def]
    return bookings.parse_time(text, config)


def _rooms(db, clock) -> None:  # type: ignore[no-untyped-def]
    create_room(db.conn(), Room(id="hall", name="Hall", cleanup_minutes=15), clock.now())
    create_room(db.conn(), Room(id="studio", name="Studio", needs_approval=True), clock.now())


def _local_days(conn, series_id):  # type: ignore[no-untyped-def]
    return [b.start.astimezone(LONDON).strftime("%a %d %b %H:%M") for b in series.occurrences(conn, series_id)]


@pytest.mark.parametrize(
    ("repeat", "first", "rule", "words"),
    [
        ("weekly", date(2026, 3, 3), "FREQ=WEEKLY;COUNT=4", "Every week, 4 times"),
        ("fortnightly", date(2026, 3, 3), "FREQ=WEEKLY;INTERVAL=2;COUNT=4", "Every 2 weeks, 4 times"),
        ("monthly_date", date(2026, 3, 14), "FREQ=MONTHLY;BYMONTHDAY=14;COUNT=4", "Monthly on day 14, 4 times"),
        ("monthly_weekday", date(2026, 3, 10), "FREQ=MONTHLY;BYDAY=2TU;COUNT=4", "Monthly on the 2nd Tuesday, 4 times"),
        ("monthly_last", date(2026, 3, 27), "FREQ=MONTHLY;BYDAY=-1FR;COUNT=4", "Monthly on the last Friday, 4 times"),
    ],
)
def test_each_choice_of_the_form_is_a_rule_said_in_words(repeat, first, rule, words) -> None:  # type: ignore[no-untyped-def]
    text = recurrence.rule_for(repeat, first, count=4)
    assert text == rule
    assert recurrence.describe(text) == words


def test_until_a_date_includes_that_day_and_reads_as_a_date() -> None:
    text = recurrence.rule_for("weekly", date(2026, 3, 3), until=date(2026, 3, 24))
    assert text == "FREQ=WEEKLY;UNTIL=20260324"
    assert recurrence.describe(text) == "Every week, until Tue 24 Mar 2026"
    starts = recurrence.parse(text).between(datetime(2026, 3, 3, 19, 0), LONDON,
                                            _utc(2026, 1, 1), _utc(2027, 1, 1))
    assert [s.astimezone(LONDON).day for s in starts] == [3, 10, 17, 24]


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo("UTC"))  # type: ignore[misc]


def test_monthly_by_date_passes_over_months_without_that_date() -> None:
    rule = recurrence.parse(recurrence.rule_for("monthly_date", date(2026, 1, 31), count=3))
    starts = rule.between(datetime(2026, 1, 31, 10, 0), LONDON, _utc(2026, 1, 1), _utc(2027, 1, 1))
    assert [s.astimezone(LONDON).strftime("%d %b") for s in starts] == ["31 Jan", "31 Mar", "31 May"]


@pytest.mark.parametrize(
    ("repeat", "first", "extra", "message"),
    [
        ("monthly_last", date(2026, 3, 20), {"count": 3}, "not the last Friday"),
        ("weekly", date(2026, 3, 3), {}, "on a date or after a number"),
        ("weekly", date(2026, 3, 3), {"count": 3, "until": date(2026, 4, 1)}, "on a date or after a number"),
        ("weekly", date(2026, 3, 3), {"until": date(2026, 3, 1)}, "before the first"),
        ("daily", date(2026, 3, 3), {"count": 3}, "must be one of"),
        ("weekly", date(2026, 3, 3), {"count": 9999}, "COUNT=9999"),
    ],
)
def test_choices_that_make_no_rule_say_why(repeat, first, extra, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RecurrenceError, match=message):
        recurrence.rule_for(repeat, first, **extra)


def test_a_clashing_date_moved_to_a_free_time_is_booked_there_and_stays_in_the_series(db, config, clock) -> None:  # type: ignore[no-untyped-def]
    _rooms(db, clock)
    conn = db.conn()
    quiz = BookingRequest(room="hall", start=_at(config, "2026-03-17T19:30"), end=_at(config, "2026-03-17T21:00"),
                          title="Quiz", organiser="Al")
    bookings.book(conn, config, quiz, clock.now())
    choir = BookingRequest(room="hall", start=_at(config, "2026-03-03T19:00"), end=_at(config, "2026-03-03T20:00"),
                           title="Côr", organiser="Siân Llŷr ap Gwilym", group="Côr y Pentref", source="dashboard", approved=True)
    rule = recurrence.rule_for("weekly", date(2026, 3, 3), count=4)
    with pytest.raises(series.SeriesConflict) as caught:
        series.create(conn, config, choir, rule, clock.now())
    clashing = caught.value.conflicts
    assert [c["occurrence"] for c in clashing] == ["2026-03-17T19:00:00+00:00"]
    assert conn.execute("SELECT count(*) FROM booking_series").fetchone()[0] == 0
    occurrence = _at(config, "2026-03-17T19:00")
    moves = {occurrence: (_at(config, "2026-03-17T17:00"), _at(config, "2026-03-17T18:00"))}
    series_id, code, ids = series.create(conn, config, choir, rule, clock.now(), moves=moves)
    assert len(ids) == 4 and code
    assert _local_days(conn, series_id) == ["Tue 03 Mar 19:00", "Tue 10 Mar 19:00", "Tue 17 Mar 17:00", "Tue 24 Mar 19:00"]
    assert series.exceptions(conn, series_id) == {iso(occurrence): "edited"}
    moved = [b for b in series.occurrences(conn, series_id) if b.occurrence_start == occurrence][0]
    assert moved.source == "dashboard" and moved.group == "Côr y Pentref" and moved.status == "confirmed"


def test_a_move_onto_another_booking_is_listed_and_nothing_is_saved(db, config, clock) -> None:  # type: ignore[no-untyped-def]
    _rooms(db, clock)
    conn = db.conn()
    for start, end in (("2026-03-17T19:30", "2026-03-17T21:00"), ("2026-03-17T16:00", "2026-03-17T18:00")):
        bookings.book(conn, config, BookingRequest(room="hall", start=_at(config, start), end=_at(config, end),
                                                   title="Other", organiser="Al"), clock.now())
    choir = BookingRequest(room="hall", start=_at(config, "2026-03-03T19:00"), end=_at(config, "2026-03-03T20:00"),
                           title="Choir", organiser="Grace")
    occurrence = _at(config, "2026-03-17T19:00")
    with pytest.raises(series.SeriesConflict) as caught:
        series.create(conn, config, choir, "FREQ=WEEKLY;COUNT=4", clock.now(),
                      moves={occurrence: (_at(config, "2026-03-17T17:00"), _at(config, "2026-03-17T18:00"))})
    assert "do not fit either" in str(caught.value)
    assert caught.value.conflicts[0]["moved_to"] == "2026-03-17T17:00:00+00:00"
    assert conn.execute("SELECT count(*) FROM booking_series").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM bookings WHERE title = 'Choir'").fetchone()[0] == 0


def test_skip_and_move_together(db, config, clock) -> None:  # type: ignore[no-untyped-def]
    _rooms(db, clock)
    conn = db.conn()
    for day in ("10", "17"):
        bookings.book(conn, config, BookingRequest(room="hall", start=_at(config, f"2026-03-{day}T19:30"),
                                                   end=_at(config, f"2026-03-{day}T21:00"), title="Quiz", organiser="Al"),
                      clock.now())
    choir = BookingRequest(room="hall", start=_at(config, "2026-03-03T19:00"), end=_at(config, "2026-03-03T20:00"),
                           title="Choir", organiser="Grace")
    moves = {_at(config, "2026-03-10T19:00"): (_at(config, "2026-03-10T10:00"), _at(config, "2026-03-10T11:00"))}
    series_id, _, ids = series.create(conn, config, choir, "FREQ=WEEKLY;COUNT=4", clock.now(), skip_conflicts=True, moves=moves)
    assert _local_days(conn, series_id) == ["Tue 03 Mar 19:00", "Tue 10 Mar 10:00", "Tue 24 Mar 19:00"]
    assert set(series.exceptions(conn, series_id).values()) == {"edited", "clashed"}


def test_who_approves(db, config, clock) -> None:  # type: ignore[no-untyped-def]
    """A phone's request always waits; an admin's booking is confirmed even in a room that
    needs approval, and so are the later dates of an admin's series as they are generated."""
    _rooms(db, clock)
    conn = db.conn()

    def one(room: str, start: str, **extra) -> str:  # type: ignore[no-untyped-def]
        request = BookingRequest(room=room, start=_at(config, start), end=_at(config, start) + timedelta(hours=1),
                                 title="Meeting", organiser="Ada", **extra)
        return bookings.book(conn, config, request, clock.now()).booking.status

    assert one("hall", "2026-03-04T10:00") == "confirmed"
    assert one("hall", "2026-03-04T12:00", ask_first=True, source="phone") == "requested"
    assert one("studio", "2026-03-04T10:00") == "requested"
    assert one("studio", "2026-03-04T12:00", ask_first=True) == "requested"
    assert one("studio", "2026-03-04T14:00", approved=True, source="dashboard") == "confirmed"
    weekly = BookingRequest(room="studio", start=_at(config, "2026-03-05T10:00"), end=_at(config, "2026-03-05T11:00"),
                            title="Show", organiser="Ada", approved=True, source="dashboard")
    series_id, _, _ = series.create(conn, config, weekly, "FREQ=WEEKLY", clock.now())
    clock.advance(days=30)
    assert series.extend(conn, config, clock.now()) > 0
    assert {b.status for b in series.occurrences(conn, series_id)} == {"confirmed"}
    assert {b.source for b in series.occurrences(conn, series_id)} == {"dashboard"}
