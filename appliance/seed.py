"""Demo data: a few rooms and members, so `doorstep demo` has something to show."""

from __future__ import annotations

from appliance.clock import iso
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
