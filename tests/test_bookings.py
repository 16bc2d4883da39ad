"""Bookings: overlap with buffers and across clock changes, codes, approval, check-in,
no-shows, what's on, and a Hypothesis run that rooms never hold overlapping blocks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appliance.booking import attendance, bookings, codes, whatson
from appliance.booking.bookings import BookingError, BookingRequest, Conflict
from appliance.booking.rooms import Room, create_room
from appliance.core.clock import ManualClock
from appliance.sensing import housekeeping
from doorstep.agent import JOBS


def add_room(db, clock, **fields):  # type: ignore[no-untyped-def]
    return create_room(db.conn(), Room(**{"id": "hall", "name": "Hall", **fields}), clock.now())


def req(config, start, end, room="hall", **extra):  # type: ignore[no-untyped-def]
    values = {"title": "Yoga", "organiser": "Ada", **extra}
    return BookingRequest(room=room, start=bookings.parse_time(start, config), end=bookings.parse_time(end, config), **values)


def test_book_stores_utc_and_buffers(db, config, clock):
    add_room(db, clock, setup_minutes=15, cleanup_minutes=30)
    booked = bookings.book(db.conn(), config, req(config, "2026-03-02T18:00", "2026-03-02T19:00"), clock.now())
    row = db.conn().execute("SELECT * FROM bookings").fetchone()
    assert (row["start_at"], row["block_start_at"], row["block_end_at"]) == (
        "2026-03-02T18:00:00.000Z", "2026-03-02T17:45:00.000Z", "2026-03-02T19:30:00.000Z")
    assert booked.booking.status == "confirmed"
    assert len(booked.booking.reference) == 6 and set(booked.booking.reference) <= set(codes.ALPHABET)
    assert booked.cancel_code not in row["cancel_code_hash"] and row["cancel_code_hash"].startswith("scrypt$")


def test_buffers_make_a_clash_and_suggest_the_nearest_slots(db, config, clock):
    add_room(db, clock, setup_minutes=15, cleanup_minutes=30)
    conn = db.conn()
    bookings.book(conn, config, req(config, "2026-03-02T18:00", "2026-03-02T19:00"), clock.now())
    # 19:00-20:00 does not overlap the booking itself, but its set-up overlaps the clean-up.
    with pytest.raises(Conflict) as caught:
        bookings.book(conn, config, req(config, "2026-03-02T19:00", "2026-03-02T20:00"), clock.now())
    assert caught.value.clash["start"] == "2026-03-02T18:00:00+00:00"
    nearest = [(s.start, s.end) for s in caught.value.nearest]
    assert nearest[-1] == (datetime(2026, 3, 2, 19, 45, tzinfo=UTC), datetime(2026, 3, 2, 20, 45, tzinfo=UTC))
    later = bookings.book(conn, config, req(config, "2026-03-02T19:45", "2026-03-02T20:45"), clock.now())
    assert later.booking.block_start == datetime(2026, 3, 2, 19, 30, tzinfo=UTC)
    # The earlier suggestion really is free.
    earlier = caught.value.nearest[0]
    assert earlier.end + timedelta(minutes=30) <= datetime(2026, 3, 2, 17, 45, tzinfo=UTC)
    bookings.book(conn, config, BookingRequest(room="hall", start=earlier.start, end=earlier.end, title="x", organiser="y"), clock.now())


def test_overlap_across_the_spring_clock_change(db, config):
    """Sunday 29 March 2026, 01:00 UTC: London jumps to BST. Wall times stay honest."""
    clock = ManualClock(datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    add_room(db, clock, opening_hours={"sun": "00:00-24:00"}, cleanup_minutes=15)
    conn = db.conn()
    # 00:00-03:00 local is only two real hours (01:00-02:00 does not exist).
    first = bookings.book(conn, config, req(config, "2026-03-29T00:00", "2026-03-29T03:00"), clock.now()).booking
    assert first.end - first.start == timedelta(hours=2)
    with pytest.raises(Conflict):  # 03:00 local starts inside the 15-minute clean-up
        bookings.book(conn, config, req(config, "2026-03-29T03:00", "2026-03-29T04:00"), clock.now())
    ok = bookings.book(conn, config, req(config, "2026-03-29T03:15", "2026-03-29T04:00"), clock.now()).booking
    assert ok.start == datetime(2026, 3, 29, 2, 15, tzinfo=UTC)


def test_overlap_across_the_autumn_clock_change(db, config):
    """Sunday 25 October 2026: 01:00-02:00 local happens twice; offsets decide the clash."""
    clock = ManualClock(datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    add_room(db, clock, opening_hours={"sun": "00:00-24:00"})
    conn = db.conn()
    first = bookings.book(conn, config, req(config, "2026-10-25T00:00:00+01:00", "2026-10-25T01:30:00+01:00"), clock.now()).booking
    # 01:00+00:00 (the second 01:00) is 01:00 UTC: after the first ends at 00:30 UTC.
    second = bookings.book(conn, config, req(config, "2026-10-25T01:00:00+00:00", "2026-10-25T02:00:00+00:00"), clock.now()).booking
    assert first.end < second.start
    with pytest.raises(Conflict):  # 01:15 BST = 00:15 UTC, inside the first booking
        bookings.book(conn, config, req(config, "2026-10-25T01:15:00+01:00", "2026-10-25T01:45:00+01:00"), clock.now())


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-03-02T19:00", "2026-03-02T18:00", "must be after the start"),
        ("2026-03-02T07:00", "2026-03-02T08:00", "already started"),
        ("2026-03-02T07:00", "2026-03-02T10:00", "already started"),
        ("2026-03-02T21:00", "2026-03-02T23:00", "open 09:00-22:00"),
        ("2027-03-02T18:00", "2027-03-02T19:00", "180 days ahead"),
        ("2026-03-02T18:05", "2026-03-02T19:00", "15-minute marks"),
        ("tomorrow", "2026-03-02T19:00", "not a date and time"),
        ("2026-03-02T10:00", "2026-03-04T10:00", "longer than 24 hours"),
    ],
)
def test_bad_times_are_refused_with_a_reason(db, config, clock, start, end, message):
    add_room(db, clock)
    with pytest.raises(BookingError, match=message):
        bookings.book(db.conn(), config, req(config, start, end), clock.now())
    assert db.conn().execute("SELECT COUNT(*) FROM bookings").fetchone()[0] == 0


def test_unknown_room_and_not_bookable(db, config, clock):
    add_room(db, clock, bookable=False)
    with pytest.raises(bookings.UnknownBooking, match="no room 'nope'"):
        bookings.book(db.conn(), config, req(config, "2026-03-02T18:00", "2026-03-02T19:00", room="nope"), clock.now())
    with pytest.raises(BookingError, match="cannot be booked"):
        bookings.book(db.conn(), config, req(config, "2026-03-02T18:00", "2026-03-02T19:00"), clock.now())


def test_cancel_needs_the_code_and_frees_the_slot(db, config, clock):
    add_room(db, clock)
    conn = db.conn()
    booked = bookings.book(conn, config, req(config, "2026-03-02T18:00", "2026-03-02T19:00"), clock.now())
    with pytest.raises(bookings.WrongCode):
        bookings.cancel(conn, config, booked.booking.reference, "WRONG1", clock.now())
    code = "-".join([booked.cancel_code[:3].lower(), booked.cancel_code[3:]])  # typed loosely
    assert bookings.cancel(conn, config, booked.booking.reference.lower(), code, clock.now()).status == "cancelled"
    with pytest.raises(BookingError, match="already cancelled"):
        bookings.cancel(conn, config, booked.booking.reference, booked.cancel_code, clock.now())
    bookings.book(conn, config, req(config, "2026-03-02T18:00", "2026-03-02T19:00"), clock.now())


def test_approval_holds_the_slot_until_decided(db, config, clock):
    add_room(db, clock, needs_approval=True)
    conn = db.conn()
    first = bookings.book(conn, config, req(config, "2026-03-02T18:00", "2026-03-02T19:00"), clock.now()).booking
    assert first.status == "requested" and bookings.pending_approval(conn) == [first]
    with pytest.raises(Conflict):
        bookings.book(conn, config, req(config, "2026-03-02T18:30", "2026-03-02T19:30"), clock.now())
    assert bookings.approve(conn, config, first.id, "admin", clock.now()).status == "confirmed"
    with pytest.raises(BookingError, match="not waiting"):
        bookings.decline(conn, config, first.id, "admin", clock.now())
    second = bookings.book(conn, config, req(config, "2026-03-02T20:00", "2026-03-02T21:00"), clock.now()).booking
    assert bookings.decline(conn, config, second.id, "admin", clock.now()).status == "declined"
    bookings.book(conn, config, req(config, "2026-03-02T20:00", "2026-03-02T21:00"), clock.now())


def test_check_in_window_and_fob_check_in(db, config, clock):
    add_room(db, clock)
    conn = db.conn()
    conn.execute("INSERT INTO people (id, name, kind, created_at) VALUES (7, 'Ada', 'member', 'x')")
    booking = bookings.book(conn, config, req(config, "2026-03-02T12:00", "2026-03-02T13:00", person_id=7), clock.now()).booking
    with pytest.raises(BookingError, match="opens 30 minutes before"):
        attendance.check_in(conn, config, booking.id, clock.now())
    window = timedelta(minutes=config.bookings.checkin_window_minutes)
    assert attendance.check_in_by_person(conn, 7, clock.now(), window) == []  # 3 hours early
    clock.set(datetime(2026, 3, 2, 11, 40, tzinfo=UTC))
    assert attendance.check_in_by_person(conn, 8, clock.now(), window) == []
    with db.write():  # inside a caller's transaction, as the recorder's fob rule is
        found = attendance.check_in_by_person(conn, 7, clock.now(), window)
    assert [b.id for b in found] == [booking.id] and found[0].checked_in_at == clock.now()
    assert attendance.check_in_by_person(conn, 7, clock.now(), window) == []  # once only


def test_no_shows_are_released_by_housekeeping_in_rooms_that_opt_in(db, config, clock):
    add_room(db, clock, release_no_shows=True)
    add_room(db, clock, id="attic", name="Attic")
    conn = db.conn()
    late = bookings.book(conn, config, req(config, "2026-03-02T10:00", "2026-03-02T11:00"), clock.now()).booking
    kept = bookings.book(conn, config, req(config, "2026-03-02T10:00", "2026-03-02T11:00", room="attic"), clock.now()).booking
    came = bookings.book(conn, config, req(config, "2026-03-02T12:00", "2026-03-02T13:00"), clock.now()).booking
    clock.set(datetime(2026, 3, 2, 11, 50, tzinfo=UTC))
    attendance.check_in(conn, config, came.id, clock.now())
    last_run: dict[str, float] = {}
    clock.set(datetime(2026, 3, 2, 10, 14, tzinfo=UTC))
    housekeeping.run_due(JOBS, db, config, clock, last_run)
    assert bookings.get_booking(conn, late.id).status == "confirmed"  # not yet 15 minutes
    clock.set(datetime(2026, 3, 2, 12, 20, tzinfo=UTC))
    clock.advance(120)
    assert "bookings.release_no_shows" in housekeeping.run_due(JOBS, db, config, clock, last_run)
    assert bookings.get_booking(conn, late.id).status == "released"
    assert bookings.get_booking(conn, kept.id).status == "confirmed"  # room did not opt in
    assert bookings.get_booking(conn, came.id).status == "confirmed"  # checked in


def test_whats_on_never_shows_private_titles(db, config, clock):
    add_room(db, clock)
    conn = db.conn()
    bookings.book(conn, config, req(config, "2026-03-02T09:00", "2026-03-02T10:00", title="Tai chi", public=True), clock.now())
    bookings.book(conn, config, req(config, "2026-03-02T12:00", "2026-03-02T13:00", title="Secret AA meeting",
                                    contact="ada@example.org"), clock.now())
    bookings.book(conn, config, req(config, "2026-03-03T12:00", "2026-03-03T13:00", title="Tomorrow"), clock.now())
    today = whatson.todays_public(conn, config, clock.now())
    assert [b["title"] for b in today] == ["Tai chi", "Booked"]
    assert "Secret" not in repr(today) and "ada@" not in repr(today)
    hall = whatson.now_and_next(conn, config, clock.now())["hall"]
    assert hall["busy"] and hall["now"]["title"] == "Tai chi" and hall["next"]["title"] == "Booked"


def test_edit_checks_overlap_excluding_itself(db, config, clock):
    add_room(db, clock, cleanup_minutes=15)
    conn = db.conn()
    a = bookings.book(conn, config, req(config, "2026-03-02T12:00", "2026-03-02T13:00"), clock.now()).booking
    bookings.book(conn, config, req(config, "2026-03-02T14:00", "2026-03-02T15:00"), clock.now())
    moved = bookings.edit(conn, config, a.id, clock.now(), end=bookings.parse_time("2026-03-02T13:45", config), title="Longer")
    assert moved.title == "Longer" and moved.block_end == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    with pytest.raises(Conflict):
        bookings.edit(conn, config, a.id, clock.now(), end=bookings.parse_time("2026-03-02T14:00", config))
    with pytest.raises(BookingError, match="cannot change"):
        bookings.edit(conn, config, a.id, clock.now(), room_id="x")


_SLOT = st.tuples(st.integers(0, 50), st.integers(1, 12))  # quarter-hour start after 09:00, length


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["create", "cancel", "edit"]), _SLOT, st.integers(0, 30)), max_size=25))
def test_random_sequences_never_leave_overlapping_blocks(db, config, clock, steps):
    conn = db.conn()
    with db.write():
        conn.execute("DELETE FROM bookings")
        conn.execute("DELETE FROM rooms")
    add_room(db, clock, setup_minutes=15, cleanup_minutes=30)
    base = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    made: list[tuple[int, str, str]] = []
    for action, (offset, length), pick in steps:
        start = base + timedelta(minutes=15 * offset)
        end = start + timedelta(minutes=15 * length)
        try:
            if action == "create" or not made:
                b = bookings.book(conn, config, BookingRequest(room="hall", start=start, end=end, title="t", organiser="o"), clock.now())
                made.append((b.booking.id, b.booking.reference, b.cancel_code))
            elif action == "cancel":
                _, ref, code = made[pick % len(made)]
                bookings.cancel(conn, config, ref, code, clock.now())
            else:
                bookings.edit(conn, config, made[pick % len(made)][0], clock.now(), start=start, end=end)
        except BookingError:
            pass
    live = conn.execute(
        "SELECT block_start_at, block_end_at FROM bookings WHERE status IN ('requested', 'confirmed') ORDER BY block_start_at"
    ).fetchall()
    for before, after in zip(live, live[1:], strict=False):
        assert before["block_end_at"] <= after["block_start_at"], (before, after)


def test_day_bookings_lists_every_status_of_the_site_day(db, config, clock):
    add_room(db, clock)
    add_room(db, clock, id="attic", name="Attic")
    conn = db.conn()
    kept = bookings.book(conn, config, req(config, "2026-03-02T12:00", "2026-03-02T13:00"), clock.now()).booking
    gone = bookings.book(conn, config, req(config, "2026-03-02T10:00", "2026-03-02T11:00"), clock.now()).booking
    bookings.cancel_by_admin(conn, config, gone.id, "Ada", clock.now())
    attic = bookings.book(conn, config, req(config, "2026-03-02T15:00", "2026-03-02T16:00", room="attic"), clock.now())
    bookings.book(conn, config, req(config, "2026-03-03T10:00", "2026-03-03T11:00"), clock.now())  # tomorrow
    day = date(2026, 3, 2)
    assert [(b.id, b.status) for b in whatson.day_bookings(conn, day, config)] == [
        (gone.id, "cancelled"), (kept.id, "confirmed"), (attic.booking.id, "confirmed")]
    assert [b.id for b in whatson.day_bookings(conn, day, config, room="attic")] == [attic.booking.id]
    assert [b.id for b in whatson.day_bookings(conn, day, config, statuses=("confirmed",))] == [kept.id, attic.booking.id]
    with pytest.raises(whatson.WhatsOnError, match="unknown booking status lost"):
        whatson.day_bookings(conn, day, config, statuses=("lost",))
