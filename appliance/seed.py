"""Demo data: a few rooms and members, so `doorstep demo` has something to show."""

from __future__ import annotations

from datetime import timedelta

from appliance.clock import iso
from appliance.config import Config
from appliance.db import Database

DEMO_ROOMS = [
    {"id": "main-hall", "name": "Main Hall", "capacity": 120, "setup_minutes": 15, "cleanup_minutes": 15,
     "accessibility": "Step-free access, hearing loop"},
    {"id": "green-room", "name": "Green Room", "capacity": 20, "cleanup_minutes": 10,
     "accessibility": "Step-free access"},
    {"id": "studio", "name": "Radio Studio", "capacity": 6, "public": 0, "needs_approval": 1,
     "accessibility": "First floor, lift available"},
]

DEMO_MEMBERS = [
    {"name": "Ada Lovelace", "kind": "member", "member_number": "M001"},
    {"name": "Grace Hopper", "kind": "volunteer", "member_number": "M002"},
    {"name": "Alan Turing", "kind": "member", "member_number": "M003"},
    {"name": "Mary Somerville", "kind": "volunteer", "member_number": "M004"},
]


def seed_demo(db: Database) -> None:
    """Insert the demo rooms and members unless they exist."""
    now = iso(db.clock.now())
    conn = db.conn()
    with db.write():
        for order, room in enumerate(DEMO_ROOMS):
            row = {"bookable": 1, "public": 1, "setup_minutes": 0, "cleanup_minutes": 0,
                   "needs_approval": 0, "release_no_shows": 1, "capacity": None, **room,
                   "sort_order": order, "created_at": now}
            conn.execute(
                f"INSERT OR IGNORE INTO rooms ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                tuple(row.values()),
            )
        for member in DEMO_MEMBERS:
            conn.execute(
                "INSERT OR IGNORE INTO people (name, kind, member_number, created_at) VALUES (?, ?, ?, ?)",
                (member["name"], member["kind"], member["member_number"], now),
            )


DEMO_BOOKINGS = [
    # (room, minutes from the first free quarter-hour, length in minutes, title, public)
    ("main-hall", 30, 90, "Toddler group", True),
    ("green-room", 60, 60, "Tenants' association", False),
    ("main-hall", 180, 120, "Repair café", True),
    ("green-room", 240, 90, "Conversation club", True),
]


def seed_bookings(db: Database, config: Config) -> int:
    """Book a demo day (today if the site is still open long enough, else tomorrow) and a
    weekly series, so the kiosk, display and MQTT have a "what's on". Returns how many
    bookings were made; a slot that does not fit (opening hours, a clash) is skipped."""
    from appliance import bookings, series
    from appliance.bookings import BookingError, BookingRequest

    now = db.clock.now()
    zone = config.site.zone
    local = now.astimezone(zone)
    base = local.replace(minute=(local.minute // 15) * 15, second=0, microsecond=0) + timedelta(minutes=15)
    made = 0
    conn = db.conn()
    for day_offset in (0, 1):
        start_of_day = base + timedelta(days=day_offset)
        if day_offset:
            start_of_day = start_of_day.replace(hour=10, minute=0)
        for room, offset, length, title, public in DEMO_BOOKINGS:
            start = start_of_day + timedelta(minutes=offset)
            request = BookingRequest(
                room=room, start=start, end=start + timedelta(minutes=length), title=title,
                organiser="Demo organiser", public=public,
            )
            try:
                bookings.book(conn, config, request, now)
                made += 1
            except BookingError:
                continue
        if made:
            break
    weekly_start = (base + timedelta(days=1)).replace(hour=18, minute=0)
    request = BookingRequest(
        room="main-hall", start=weekly_start, end=weekly_start + timedelta(minutes=90),
        title="Community choir", organiser="Demo organiser", public=True,
    )
    try:
        _, _, ids = series.create(conn, config, request, "FREQ=WEEKLY;COUNT=8", now, skip_conflicts=True)
        made += len(ids)
    except BookingError:
        pass
    return made
