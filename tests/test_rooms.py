"""Rooms: creation, validation, opening hours on the wall clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from appliance.booking import rooms
from appliance.booking.rooms import Room, RoomError


def test_create_list_update(db, clock):
    conn = db.conn()
    rooms.create_room(conn, Room(id="hall", name="Hall", capacity=80, setup_minutes=15, cleanup_minutes=15), clock.now())
    rooms.create_room(conn, Room(id="attic", name="Attic", sort_order=-1), clock.now())
    assert [r.id for r in rooms.list_rooms(conn)] == ["attic", "hall"]
    updated = rooms.update_room(conn, "hall", cleanup_minutes=30, opening_hours={"sun": "closed"})
    assert rooms.get_room(conn, "hall") == updated
    assert updated.cleanup == timedelta(minutes=30)


@pytest.mark.parametrize(
    ("room", "message"),
    [
        (Room(id="Bad Id", name="x"), "lowercase"),
        (Room(id="ok", name="  "), "needs a name"),
        (Room(id="ok", name="x", capacity=0), "capacity"),
        (Room(id="ok", name="x", setup_minutes=-5), "set-up"),
        (Room(id="ok", name="x", cleanup_minutes=999), "clean-up"),
        (Room(id="ok", name="x", opening_hours={"mon": "22:00-09:00"}), "opening hours for mon"),
        (Room(id="ok", name="x", opening_hours={"funday": "closed"}), "funday"),
    ],
)
def test_bad_rooms_are_refused(db, clock, room, message):
    with pytest.raises(RoomError, match=message):
        rooms.create_room(db.conn(), room, clock.now())


def test_duplicate_and_unknown(db, clock):
    conn = db.conn()
    rooms.create_room(conn, Room(id="hall", name="Hall"), clock.now())
    with pytest.raises(RoomError, match="already exists"):
        rooms.create_room(conn, Room(id="hall", name="Hall"), clock.now())
    with pytest.raises(rooms.UnknownRoom, match="nope"):
        rooms.get_room(conn, "nope")
    with pytest.raises(RoomError, match="cannot change"):
        rooms.update_room(conn, "hall", colour="red")


def test_opening_window_follows_the_wall_clock_across_the_clock_change(config):
    room = Room(id="hall", name="Hall", opening_hours={"sun": "08:00-24:00"})
    # Sunday 29 March 2026: clocks go forward; 08:00 BST is 07:00 UTC.
    opens, closes = rooms.opening_window(room, config, date(2026, 3, 29))
    assert opens.astimezone(UTC) == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    assert closes.astimezone(UTC) == datetime(2026, 3, 29, 23, 0, tzinfo=UTC)
    # The site's hours for the other days; room override wins on Sunday only.
    opens, _ = rooms.opening_window(room, config, date(2026, 3, 2))
    assert opens.strftime("%H:%M") == config.site.opening_hours.mon[:5]
    assert rooms.opening_window(Room(id="x", name="x", opening_hours={"mon": "closed"}), config, date(2026, 3, 2)) is None
