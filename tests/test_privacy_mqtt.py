"""The privacy promise on the wire: a subscriber on '#' through a whole simulated day of
sign-ins, fob taps, door events, bookings and a volunteer rota (shifts taken and given up
at the door) never sees a name, a contact detail, a card number (or its hash) or a
private booking's title, in any topic or payload."""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, date, datetime, timedelta

from decisions_support import make_ballot
from mqttkit import Listener
from test_mqtt import start, wait_until

from appliance.booking import bookings
from appliance.booking.rooms import Room, create_room
from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.core.events import DoorClosed, DoorOpened, FobRead
from appliance.decisions import ballots, comments, voting
from appliance.outbox import store
from appliance.people import fobs, register, visits
from appliance.publishing import derived
from appliance.rota import shifts, signups
from appliance.storage.db import Database

MEMBERS = [
    ("Ada Lovelace", "ada.lovelace@example.org", "0004817265"),
    ("Grace Hopper", "+44 7700 900123", "0001234567"),
    ("Mary Somerville", "12 Orchard Lane, Kelso", "00A1B2C3D4"),
]
VOLUNTEERS = [
    ("Siân Llŷr ap Gwilym", "sian@example.cymru", "0007654321"),
    ("Dafydd Rhys-Pritchard", "01970 623111", "0007654322"),
]
VISITORS = ["Vera Oddname", "Quentin Zephyrfield", "Bartholomew Xylo"]
ORGANISERS = [("Olive Organiser", "olive@example.org"), ("Percy Planner", "07700 900456")]
PRIVATE_TITLES = ["Zorblatt family wake", "Confidential tenancy meeting"]
PUBLIC_TITLES = ["Toddler group", "Repair café"]
COMMENT = "Zebedee thinks green would be lovely"


def test_a_whole_day_on_the_wire_carries_nobody(
    db: Database, broker_config: Config, clock: ManualClock, mqtt_listener: Listener
) -> None:
    rng = random.Random(4)
    secret = b"test-fob-secret"
    cfg = broker_config
    clock.set(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    with db.write() as conn:
        create_room(conn, Room(id="main-hall", name="Main Hall"), clock.now())
        create_room(conn, Room(id="green-room", name="Green Room"), clock.now())
        members = []
        for name, contact, card in MEMBERS:
            person = register.create(conn, clock.now(), name=name, kind="member", contact=contact)
            register.assign_card(conn, person.id, fobs.card_hash(secret, card))
            members.append(person)
        helpers = []
        for name, contact, card in VOLUNTEERS:
            person = register.create(conn, clock.now(), name=name, kind="volunteer", contact=contact)
            register.assign_card(conn, person.id, fobs.card_hash(secret, card))
            helpers.append(person)
    # The rota: a morning shift today they both take, and the week's evenings, some taken.
    reception = shifts.create(db.conn(), shifts.read_plan(
        {"activity": "Reception", "title": "Front desk", "repeat": "weekly", "first_day": "2026-03-02",
         "start": "09:00", "end": "13:00", "needs": "2"}, ("MO",), cfg.kiosk.activities), clock.now())
    evenings = shifts.create(db.conn(), shifts.read_plan(
        {"activity": "Cafe", "title": "", "repeat": "weekly", "first_day": "2026-03-02", "start": "18:00",
         "end": "21:00", "needs": "2"}, ("MO", "TU", "WE", "TH", "FR"), cfg.kiosk.activities), clock.now())
    for person in helpers:
        signups.take(db.conn(), cfg, clock.now(), person_id=person.id, shift_id=reception.id, day=date(2026, 3, 2),
                     source="kiosk")
    signups.take(db.conn(), cfg, clock.now(), person_id=helpers[0].id, shift_id=evenings.id, day=date(2026, 3, 4),
                 source="dashboard")
    # A members' proposal open 08:00-18:00, with signed comments shown on the display.
    ballot = make_ballot(db.conn(), clock.now(), hours=10, comments="signed", comments_public=True,
                         title="Paint the hall")
    running = start(db, cfg, clock)
    try:
        day = clock.now().date().isoformat()
        for n, (title, public) in enumerate(
            [(PUBLIC_TITLES[0], True), (PRIVATE_TITLES[0], False), (PUBLIC_TITLES[1], True), (PRIVATE_TITLES[1], False)]
        ):
            organiser, contact = ORGANISERS[n % 2]
            start_at = datetime.fromisoformat(f"{day}T{10 + 2 * n:02d}:00:00+00:00")
            bookings.book(db.conn(), cfg, bookings.BookingRequest(
                room="main-hall" if n % 2 == 0 else "green-room", title=title, organiser=organiser,
                contact=contact, public=public, start=start_at, end=start_at + timedelta(hours=1, minutes=30),
            ), clock.now())
        # 08:00 to 22:00 in 10-minute steps: people come and go, fobs are tapped, doors move.
        for step in range(84):
            now = clock.advance(minutes=10)
            if step % 3 == 0:
                with db.write() as conn:
                    visits.sign_in(conn, cfg, now, kind="visitor", name=rng.choice(VISITORS), source="kiosk")
            _, _, card = rng.choice(MEMBERS + VOLUNTEERS)
            running.recorder.write([
                FobRead(reader="desk", card_hash=fobs.card_hash(secret, card), ballot_key=fobs.ballot_key(secret, card),
                        at=now),
                DoorOpened(door="front", at=now + timedelta(seconds=1)),
                DoorClosed(door="front", at=now + timedelta(seconds=5)),
            ])
            if step % 5 == 4:
                with db.write() as conn:
                    for visit in visits.signed_in_now(conn)[:1]:
                        visits.sign_out(conn, now, visit.id)
            if step == 10:  # the members vote and one comments, signed
                for n, person in enumerate(members):
                    voting.cast(db.conn(), ballot.id, person.id, [n % 2], now)
                with db.write() as conn:
                    comments.add(conn, ballot.id, members[0].id, COMMENT, now)
            if step == 40:  # one gives an evening up at the door, another takes one
                signups.give_up(db.conn(), cfg, now, person_id=helpers[0].id, shift_id=evenings.id,
                                day=date(2026, 3, 4))
                signups.take(db.conn(), cfg, now, person_id=helpers[1].id, shift_id=evenings.id,
                             day=date(2026, 3, 5), source="kiosk")
            ballots.close_job(db, cfg, clock)  # the agent's housekeeping closes the ballot at 18:00
            derived.refresh_job(db, cfg, clock)  # what the agent's housekeeping does every 5 s
        wait_until(mqtt_listener, lambda: store.depth(db.conn()) == 0, timeout=60)
    finally:
        running.publisher.stop()

    messages = mqtt_listener.snapshot()
    topics = {m.topic for m in messages}
    # The day really happened on the wire.
    assert {"doorstep/community-hall/visits", "doorstep/community-hall/rooms/main-hall",
            "doorstep/community-hall/status", "doorstep/community-hall/events"} <= topics
    assert any(b"Toddler group" in m.payload for m in messages)  # public titles do go out
    assert any(b'"Booked"' in m.payload for m in messages)  # private ones as "Booked"
    assert any(b'"member":' in m.payload for m in messages if m.topic.endswith("/visits"))
    assert any(b'"volunteer":' in m.payload for m in messages if m.topic.endswith("/visits"))
    rota = [m for m in messages if m.topic == "doorstep/community-hall/rota/uncovered"]
    assert len(rota) >= 2  # the rota really changed on the wire
    assert b'"activity":"Cafe"' in rota[-1].payload
    [result] = [m for m in messages if m.topic == f"doorstep/community-hall/decisions/{ballot.id}"]
    outcome = json.loads(result.payload)
    assert outcome["turnout"] == 3 and outcome["passed"] is True
    assert outcome["options"] == [{"option": "Yes", "count": 2}, {"option": "No", "count": 1},
                                  {"option": "Abstain", "count": 0}]
    wire = "\n".join(f"{m.topic} {m.text}" for m in messages).lower()
    forbidden = []
    for name, contact, card in MEMBERS + VOLUNTEERS:
        words = [w for part in name.split() for w in part.split("-") if len(w) > 2]
        forbidden += [*words, contact, card, fobs.normalise(card), fobs.card_hash(secret, card),
                      fobs.ballot_key(secret, card)]
    for name in VISITORS:
        forbidden += name.split()
    for organiser, contact in ORGANISERS:
        forbidden += [*organiser.split(), contact]
    forbidden += [COMMENT, "Zebedee"]  # comments never leave the device
    forbidden += PRIVATE_TITLES + [word for title in PRIVATE_TITLES for word in title.split() if len(word) > 6]
    # Whole words only: a short name like "Ada" is also three letters of hex in a UUID.
    leaked = [text for text in forbidden if re.search(rf"(?<![\w-]){re.escape(text.lower())}(?![\w-])", wire)]
    assert leaked == [], f"personal data on the wire: {leaked}"
