"""Recurrence rules and series: the RRULE subset, wall-clock times across clock changes,
exceptions that survive edits of one occurrence and of this-and-following."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.booking import bookings, recurrence, series
from appliance.booking.bookings import BookingRequest
from appliance.booking.recurrence import RecurrenceError
from appliance.booking.rooms import Room, create_room

LONDON = ZoneInfo("Europe/London")
YEAR = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


def test_monthly_by_weekday_second_tuesday_and_last_friday():
    second_tue = recurrence.parse(recurrence.monthly_by_weekday(2, "TU", count=3))
    starts = second_tue.between(datetime(2026, 3, 1, 19, 0), LONDON, *YEAR)
    assert [s.astimezone(LONDON).strftime("%a %d %b %H:%M") for s in starts] == [
        "Tue 10 Mar 19:00", "Tue 14 Apr 19:00", "Tue 12 May 19:00"]
    last_fri = recurrence.parse("RRULE:FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20260630")
    days = [s.astimezone(LONDON).day for s in last_fri.between(datetime(2026, 3, 1, 20, 0), LONDON, *YEAR)]
    assert days == [27, 24, 29, 26]


def test_fortnightly_keeps_wall_time_across_the_clock_change():
    rule = recurrence.parse(recurrence.weekly(interval=2, count=4))
    starts = rule.between(datetime(2026, 3, 16, 19, 0), LONDON, *YEAR)
    assert [s.strftime("%d %H:%M") for s in starts] == ["16 19:00", "30 18:00", "13 18:00", "27 18:00"]  # UTC
    assert {s.astimezone(LONDON).strftime("%H:%M") for s in starts} == {"19:00"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FREQ=DAILY", "WEEKLY or MONTHLY"),
        ("FREQ=WEEKLY;INTERVAL=3", "INTERVAL=3"),
        ("FREQ=WEEKLY;COUNT=2;UNTIL=20261231", "not both"),
        ("FREQ=MONTHLY", "exactly one BYDAY"),
        ("FREQ=WEEKLY;BYDAY=2TU", "plain days"),
        ("FREQ=WEEKLY;BYSETPOS=1", "not supported"),
        ("FREQ=WEEKLY;UNTIL=tomorrow", "UNTIL"),
        ("FREQ=WEEKLY;COUNT=x", "whole numbers"),
        ("nonsense", "NAME=VALUE"),
    ],
)
def test_rules_outside_the_subset_are_refused(text, message):
    with pytest.raises(RecurrenceError, match=message):
        recurrence.parse(text)


def _series(db, config, clock, **extra):  # type: ignore[no-untyped-def]
    create_room(db.conn(), Room(id="hall", name="Hall", cleanup_minutes=15), clock.now())
    request = BookingRequest(room="hall", start=bookings.parse_time("2026-03-03T19:00", config),
                             end=bookings.parse_time("2026-03-03T20:00", config), title="Choir", organiser="Grace", public=True)
    return series.create(db.conn(), config, request, "FREQ=WEEKLY;COUNT=8", clock.now(), **extra)


def test_conflicts_are_listed_per_occurrence_before_anything_is_saved(db, config, clock):
    create_room(db.conn(), Room(id="hall", name="Hall", cleanup_minutes=15), clock.now())
    blocker = BookingRequest(room="hall", start=bookings.parse_time("2026-03-17T19:30", config),
                             end=bookings.parse_time("2026-03-17T21:00", config), title="Quiz", organiser="Al")
    bookings.book(db.conn(), config, blocker, clock.now())
    request = BookingRequest(room="hall", start=bookings.parse_time("2026-03-03T19:00", config),
                             end=bookings.parse_time("2026-03-03T20:00", config), title="Choir", organiser="Grace")
    with pytest.raises(series.SeriesConflict) as caught:
        series.create(db.conn(), config, request, "FREQ=WEEKLY;COUNT=8", clock.now())
    assert [c["occurrence"] for c in caught.value.conflicts] == ["2026-03-17T19:00:00+00:00"]
    assert db.conn().execute("SELECT COUNT(*) FROM bookings").fetchone()[0] == 1
    _, _, ids = series.create(db.conn(), config, request, "FREQ=WEEKLY;COUNT=8", clock.now(), skip_conflicts=True)
    assert len(ids) == 7


def test_exceptions_survive_single_and_following_edits(db, config, clock):
    series_id, code, ids = _series(db, config, clock)
    conn = db.conn()
    occ = series.occurrences(conn, series_id)
    assert len(occ) == 8
    # Cancel the 2nd, move the 4th to 18:00, then edit from the 3rd onwards: later by 30 min.
    bookings.cancel(conn, config, occ[1].reference, code, clock.now())
    series.edit_occurrence(conn, config, occ[3].id, clock.now(), scope="this",
                           start=occ[3].start - timedelta(hours=1), end=occ[3].end - timedelta(hours=1))
    series.edit_occurrence(conn, config, occ[2].id, clock.now(), scope="following",
                           start=occ[2].start + timedelta(minutes=30), end=occ[2].end + timedelta(minutes=30), title="Choir (new time)")
    after = series.occurrences(conn, series_id)
    assert after[0].start == occ[0].start and after[0].title == "Choir"
    assert after[1].status == "cancelled"  # still cancelled
    assert after[3].start == occ[3].start - timedelta(hours=1) and after[3].title == "Choir"  # own edit kept
    for changed in (after[2], *after[4:]):
        assert changed.start.astimezone(LONDON).strftime("%H:%M") == "19:30" and changed.title == "Choir (new time)"
    assert series.exceptions(conn, series_id) == {
        bookings.iso(occ[1].start): "cancelled", bookings.iso(occ[3].start): "edited"}
    # Extending the series never resurrects the cancelled one nor duplicates any.
    assert series.extend(conn, config, clock.now() + timedelta(days=30)) == 0
    assert len(series.occurrences(conn, series_id)) == 8


def test_a_following_edit_that_clashes_changes_nothing(db, config, clock):
    series_id, _, _ = _series(db, config, clock)
    conn = db.conn()
    occ = series.occurrences(conn, series_id)
    bookings.book(conn, config, BookingRequest(room="hall", start=occ[5].end + timedelta(minutes=15),
                                               end=occ[5].end + timedelta(hours=2), title="x", organiser="y"), clock.now())
    with pytest.raises(series.SeriesConflict) as caught:
        series.edit_occurrence(conn, config, occ[2].id, clock.now(), scope="following", end=occ[2].end + timedelta(hours=1))
    assert len(caught.value.conflicts) == 1
    assert [b.end for b in series.occurrences(conn, series_id)] == [b.end for b in occ]


def test_housekeeping_extends_open_ended_series_within_the_horizon(db, config, clock):
    create_room(db.conn(), Room(id="hall", name="Hall"), clock.now())
    request = BookingRequest(room="hall", start=bookings.parse_time("2026-03-03T19:00", config),
                             end=bookings.parse_time("2026-03-03T20:00", config), title="Choir", organiser="Grace")
    series_id, _, ids = series.create(db.conn(), config, request, "FREQ=WEEKLY", clock.now())
    assert 52 <= len(ids) <= 53  # horizon 365 days
    assert series.extend(db.conn(), config, clock.now() + timedelta(days=14)) == 2
    assert len(series.occurrences(db.conn(), series_id)) == len(ids) + 2


@given(
    text=st.sampled_from(["FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2", "FREQ=WEEKLY;BYDAY=MO,WE,FR",
                          "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SA", "FREQ=MONTHLY;BYDAY=2TU", "FREQ=MONTHLY;BYDAY=-1FR",
                          "FREQ=MONTHLY;INTERVAL=3;BYDAY=1SU", "FREQ=WEEKLY;UNTIL=20291231", "FREQ=WEEKLY;COUNT=30"]),
    first=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2027, 12, 31)),
    offset=st.integers(min_value=-30, max_value=2000),
    span=st.integers(min_value=1, max_value=40),
)
@settings(max_examples=300, deadline=None)
def test_a_late_window_gives_what_walking_from_the_first_start_gives(
    text: str, first: datetime, offset: int, span: int
) -> None:
    """between() starts dateutil's walk near the window (shifts run for years); it must
    find exactly what walking from the very first start finds."""
    from dateutil import rrule as du

    zone = ZoneInfo("Europe/London")
    first = first.replace(second=0, microsecond=0)
    rule = recurrence.parse(text)
    start = recurrence.to_utc(first, zone) + timedelta(days=offset)
    end = start + timedelta(days=span)
    days = {"MO": du.MO, "TU": du.TU, "WE": du.WE, "TH": du.TH, "FR": du.FR, "SA": du.SA, "SU": du.SU}
    walked = du.rrule(rule.freq, dtstart=first, interval=rule.interval, count=rule.count, until=rule.until,
                      byweekday=[days[d](n) if n else days[d] for d, n in rule.byday] or None)
    expected = [m for m in (recurrence.to_utc(w, zone) for w in walked.between(
        start.astimezone(zone).replace(tzinfo=None) - timedelta(days=1),
        end.astimezone(zone).replace(tzinfo=None) + timedelta(days=1), inc=True)) if start <= m < end]
    assert rule.between(first, zone, start, end) == expected
