"""Demo data: a few rooms and members, today's bookings, and eight weeks of history, so
`doorstep demo` has something to show (and the reports real charts)."""

from __future__ import annotations

from datetime import datetime, timedelta

from appliance.core.clock import iso
from appliance.core.config import Config
from appliance.storage.db import Database

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
    from appliance.booking import bookings, series
    from appliance.booking.bookings import BookingError, BookingRequest

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
                organiser="Demo organiser", public=public, made_by="admin",
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
        title="Community choir", organiser="Demo organiser", public=True, made_by="admin",
    )
    try:
        _, _, ids = series.create(conn, config, request, "FREQ=WEEKLY;COUNT=8", now, skip_conflicts=True)
        made += len(ids)
    except BookingError:
        pass
    return made


# -- eight weeks of history, so a newcomer's reports and charts show something real ------

HISTORY_KEY = "demo/history_seeded"
DEMO_VISITORS = ["Siân Llŷr", "Joan Clarke", "Dafydd ap Rhys", "Katherine Johnson", "Gwen Morgan",
                 "Tom Kilburn", "Megan Lloyd", "Rosalind Franklin", "Iolo Williams", "Hedy Lamarr"]
VOLUNTEER_ACTIVITIES = ("Reception", "Cafe", "Events", "Maintenance")
# People coming in per open hour, by local hour: a morning, an afternoon and an evening peak.
_HOURLY = {9: 2, 10: 5, 11: 6, 12: 4, 13: 3, 14: 5, 15: 6, 16: 4, 17: 3, 18: 5, 19: 6, 20: 4, 21: 2, 22: 1}


def seed_history(db: Database, config: Config, weeks: int = 8, seed: int = 2026) -> int:
    """Record ``weeks`` of plausible past days before today: door-counter passes (raw
    events and daily counts, so footfall per day and by hour draw), visitors, members and
    volunteers signed in and out (visits by kind, volunteer hours per activity). Done once
    per database; returns how many passes were recorded (0 when already there).

    The same ``seed`` gives the same history, so the docs' screenshots stay comparable.
    """
    import json
    import random
    import uuid
    from datetime import datetime, time

    from appliance.people import register, visits
    from appliance.storage import state

    conn = db.conn()
    if state.get(conn, HISTORY_KEY):
        return 0
    rng = random.Random(seed)
    zone = config.site.zone
    today = db.clock.now().astimezone(zone).date()
    beam = config.beams[0].id if config.beams else "entrance"
    people = {p.member_number: p for p in register.list_people(conn)}
    volunteers = [p for p in people.values() if p.kind == "volunteer"]
    members = [p for p in people.values() if p.kind == "member"]
    passes = 0
    with db.write():
        for back in range(weeks * 7, 0, -1):
            day = today - timedelta(days=back)
            hours = config.site.opening_hours.for_weekday(day.weekday())
            if hours is None:
                continue
            opens, closes = (int(h.split(":")[0]) for h in hours)
            busy = 1.4 if day.weekday() >= 5 else 1.0
            count_in = 0
            for hour in range(opens, closes):
                for _ in range(max(0, round(_HOURLY.get(hour, 1) * busy * rng.uniform(0.5, 1.5)))):
                    came = datetime.combine(day, time(hour, rng.randrange(60)), zone)
                    left = min(came + timedelta(minutes=rng.randrange(15, 150)),
                               datetime.combine(day, time(closes - 1, 59), zone))
                    for at, direction in ((came, "in"), (left, "out")):
                        conn.execute(
                            "INSERT INTO sensor_events (id, at, kind, sensor, data) VALUES (?, ?, 'passed', ?, ?)",
                            (str(uuid.UUID(int=rng.getrandbits(128), version=4)), iso(at), beam,
                             json.dumps({"beam": beam, "direction": direction}, sort_keys=True)),
                        )
                    count_in += 1
                    if rng.random() < 0.35:  # some of them sign in as visitors
                        name = rng.choice(DEMO_VISITORS)
                        visit = visits.sign_in(conn, config, came, kind="visitor", name=name,
                                               visiting=rng.choice(["", "Choir", "Repair café", "Advice"]))
                        if visit.signed_out_at is None and visit.signed_in_at == iso(came):
                            visits.sign_out(conn, left, visit.id)
            state.add_count(conn, day.isoformat(), beam, "in", count_in)
            state.add_count(conn, day.isoformat(), beam, "out", count_in)
            passes += 2 * count_in
            # a volunteer shift or two, and a member or two
            for person in rng.sample(volunteers, k=min(len(volunteers), rng.randint(1, 2))):
                start = datetime.combine(day, time(rng.randrange(opens, max(opens + 1, closes - 3))), zone)
                visit = visits.sign_in(conn, config, start, kind="volunteer", person_id=person.id,
                                       activity=rng.choice(VOLUNTEER_ACTIVITIES), source="fob")
                visits.sign_out(conn, start + timedelta(minutes=rng.randrange(90, 240)), visit.id)
            for person in rng.sample(members, k=min(len(members), rng.randint(0, 2))):
                start = datetime.combine(day, time(rng.randrange(opens, max(opens + 1, closes - 2))), zone)
                visit = visits.sign_in(conn, config, start, kind="member", person_id=person.id, source="fob")
                visits.sign_out(conn, start + timedelta(minutes=rng.randrange(30, 120)), visit.id)
        state.put(conn, HISTORY_KEY, {"weeks": weeks, "passes": passes}, iso(db.clock.now()))
    return passes


DEMO_SHIFTS = [
    # (activity, title, weekdays, start, end, needs)
    ("Cafe", "", ("MO", "TU", "WE", "TH", "FR"), "10:00", "14:00", 2),
    ("Reception", "Opening up", ("SA",), "09:30", "", 1),
    ("Events", "Friday social", ("FR",), "18:00", "22:00", 3),
]
# Which demo volunteers do what (member number -> activities), and a date each takes.
DEMO_VOLUNTEERS = {"M002": ("Cafe", "Reception"), "M004": ("Events",)}


def seed_rota(db: Database, config: Config) -> int:
    """A demo rota: a weekday cafe, Saturday's opening up and a Friday social, the demo
    volunteers' activities, and the first cafe date from tomorrow taken by Grace. Does
    nothing when there are shifts already; returns how many shifts were made."""
    from appliance.people import register
    from appliance.rota import coverage, shifts, signups, volunteers

    conn = db.conn()
    if conn.execute("SELECT count(*) FROM shifts").fetchone()[0]:
        return 0
    now = db.clock.now()
    today = now.astimezone(config.site.zone).date()
    made = []
    for activity, title, days, start, end, needs in DEMO_SHIFTS:
        if activity not in config.kiosk.activities:
            continue
        form = {"activity": activity, "title": title, "repeat": "weekly", "first_day": today.isoformat(),
                "start": start, "end": end, "needs": str(needs)}
        made.append(shifts.create(conn, shifts.read_plan(form, days, config.kiosk.activities), now))
    for number, activities in DEMO_VOLUNTEERS.items():
        person = register.by_member_number(conn, number)
        if person is not None:
            volunteers.set_activities(conn, config, person.id, [a for a in activities if a in config.kiosk.activities])
    grace = register.by_member_number(conn, "M002")
    cafe = next((c for c in coverage.needed(conn, config, now + timedelta(days=1)) if c["activity"] == "Cafe"), None)
    if grace is not None and cafe is not None and made:
        day = datetime.fromisoformat(cafe["start"]).astimezone(config.site.zone).date()
        signups.take(conn, config, now, person_id=grace.id, shift_id=made[0].id, day=day, source="dashboard")
    return len(made)


def seed_decisions(db: Database, config: Config) -> int:
    """A demo members' vote open for a week ("Open on Sunday afternoons", anonymous comments
    shown on the display) and last week's poll, closed, with the demo members' votes.
    Does nothing when there are ballots already; returns how many were made."""
    from appliance.decisions import ballots, voting
    from appliance.people import register
    from appliance.storage.db import transaction

    conn = db.conn()
    if conn.execute("SELECT count(*) FROM decisions").fetchone()[0]:
        return 0
    now = db.clock.now()

    def local(moment: datetime) -> str:
        return moment.astimezone(config.site.zone).strftime("%Y-%m-%dT%H:%M")

    with transaction(conn):
        sunday = ballots.create(conn, ballots.read_plan({
            "title": "Open on Sunday afternoons",
            "body": "Volunteers have offered to open 13:00-17:00 on Sundays for a trial of three months.\n"
                    "It would cost about £40 a month in heating.",
            "kind": "proposal", "electorate": "members", "opens_at": local(now - timedelta(hours=1)),
            "closes_at": local(now + timedelta(days=7)), "threshold": "majority", "quorum": "2",
            "comments": "anonymous", "comments_public": "1"}, config.site.zone), now - timedelta(hours=1))
        social = ballots.create(conn, ballots.read_plan({
            "title": "Next month's social", "body": "Which should we hold next month?", "kind": "single",
            "options": "Quiz night\nCeilidh\nFilm night", "electorate": "members_volunteers",
            "opens_at": local(now - timedelta(days=8)), "closes_at": local(now - timedelta(days=1)),
            "comments": "off"}, config.site.zone), now - timedelta(days=8))
    for number, choice in (("M001", 1), ("M002", 1), ("M003", 0)):
        person = register.by_member_number(conn, number)
        if person is not None:
            voting.cast(conn, social.id, person.id, [choice], now - timedelta(days=2))
    with transaction(conn):
        ballots.close_due(conn, now)
    assert sunday.id
    return 2
