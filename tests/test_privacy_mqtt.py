"""The privacy promise on the wire: a subscriber on '#' through a whole simulated day of
sign-ins, fob taps, door events and bookings never sees a name, a contact detail, a card
number (or its hash) or a private booking's title, in any topic or payload."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

from mqttkit import Listener
from test_mqtt import start, wait_until

from appliance import bookings, fobs, outbox, people, publishing, visits
from appliance.clock import ManualClock
from appliance.config import Config
from appliance.db import Database
from appliance.events import DoorClosed, DoorOpened, FobRead
from appliance.rooms import Room, create_room

MEMBERS = [
    ("Ada Lovelace", "ada.lovelace@example.org", "0004817265"),
    ("Grace Hopper", "+44 7700 900123", "0001234567"),
    ("Mary Somerville", "12 Orchard Lane, Kelso", "00A1B2C3D4"),
]
VISITORS = ["Vera Oddname", "Quentin Zephyrfield", "Bartholomew Xylo"]
ORGANISERS = [("Olive Organiser", "olive@example.org"), ("Percy Planner", "07700 900456")]
PRIVATE_TITLES = ["Zorblatt family wake", "Confidential tenancy meeting"]
PUBLIC_TITLES = ["Toddler group", "Repair café"]


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
            person = people.create(conn, clock.now(), name=name, kind="member", contact=contact)
            people.assign_card(conn, person.id, fobs.card_hash(secret, card))
            members.append(person)
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
            _, _, card = rng.choice(MEMBERS)
            running.recorder.write([
                FobRead(reader="desk", card_hash=fobs.card_hash(secret, card), at=now),
                DoorOpened(door="front", at=now + timedelta(seconds=1)),
                DoorClosed(door="front", at=now + timedelta(seconds=5)),
            ])
            if step % 5 == 4:
                with db.write() as conn:
                    for visit in visits.signed_in_now(conn)[:1]:
                        visits.sign_out(conn, cfg, now, visit.id)
            publishing.refresh_job(db, cfg, clock)  # what the agent's housekeeping does every 5 s
        wait_until(mqtt_listener, lambda: outbox.depth(db.conn()) == 0, timeout=60)
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
    wire = "\n".join(f"{m.topic} {m.text}" for m in messages).lower()
    forbidden = []
    for name, contact, card in MEMBERS:
        forbidden += [*name.split(), contact, card, fobs.normalise(card), fobs.card_hash(secret, card)]
    for name in VISITORS:
        forbidden += name.split()
    for organiser, contact in ORGANISERS:
        forbidden += [*organiser.split(), contact]
    forbidden += PRIVATE_TITLES + [word for title in PRIVATE_TITLES for word in title.split() if len(word) > 6]
    # Whole words only: a short name like "Ada" is also three letters of hex in a UUID.
    leaked = [text for text in forbidden if re.search(rf"(?<![\w-]){re.escape(text.lower())}(?![\w-])", wire)]
    assert leaked == [], f"personal data on the wire: {leaked}"
