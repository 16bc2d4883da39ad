"""derived.refresh: the derived retained topics follow the domain and the clock, are
queued only when they change, and never carry a name; broker_status for the dashboard."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from mqttkit import role_database

from appliance.booking import bookings
from appliance.booking.rooms import Room, create_room
from appliance.core.clock import ManualClock, iso
from appliance.core.config import Config, MqttConfig
from appliance.outbox import delivery, store
from appliance.people import register, visits
from appliance.publishing import derived
from appliance.storage import state
from appliance.storage.db import Database, connect
from appliance.views.public import sentence
from doorstep.agent import JOBS

PREFIX = "doorstep/community-hall/"


@pytest.fixture
def cfg(config: Config) -> Config:
    # MQTT on (nothing connects here: refresh only queues).
    return config.with_changes(mqtt=dataclasses.replace(MqttConfig(), enabled=True))


@pytest.fixture
def hall(db: Database, clock: ManualClock) -> Database:
    """Two rooms in a database without the roles' commit hook: refresh runs only when called."""
    with db.write() as conn:
        create_room(conn, Room(id="main-hall", name="Main Hall"), clock.now())
        create_room(conn, Room(id="green-room", name="Green Room", sort_order=1), clock.now())
    return db


@pytest.fixture
def role_hall(hall: Database, cfg: Config, clock: ManualClock) -> Iterator[Database]:
    """The same rooms, opened as a role opens the database (refresh before each commit)."""
    db = role_database(cfg, clock)
    yield db
    db.close()


def _queued(db: Database) -> dict[str, dict]:  # type: ignore[type-arg]
    """The newest queued payload per derived topic, parsed."""
    found = {}
    for row in store.pending(db.conn(), 0, 10_000):
        if row.retain and row.topic.startswith(PREFIX) and row.payload.startswith("{"):
            found[row.topic.removeprefix(PREFIX)] = json.loads(row.payload)
    return found


def _refresh(db: Database, cfg: Config, now: datetime) -> int:
    with db.write() as conn:
        return derived.refresh(conn, cfg, now)


def _book(db: Database, cfg: Config, clock: ManualClock, title: str, start: str, end: str, public: bool) -> None:
    day = clock.now().date().isoformat()
    request = bookings.BookingRequest(
        room="main-hall", title=title, organiser="Olive Organiser", contact="olive@example.org", public=public,
        start=datetime.fromisoformat(f"{day}T{start}:00+00:00"), end=datetime.fromisoformat(f"{day}T{end}:00+00:00"),
    )
    bookings.book(db.conn(), cfg, request, clock.now())


def test_first_refresh_queues_every_derived_topic_then_nothing_until_a_change(
    hall: Database, cfg: Config, clock: ManualClock
) -> None:
    assert _refresh(hall, cfg, clock.now()) == 6  # two rooms, visits, status, rota/uncovered, discovery
    topics = set(_queued(hall))
    assert topics == {"rooms/main-hall", "rooms/green-room", "visits", "status", "rota/uncovered"}
    assert any(r.topic == "homeassistant/device/doorstep-community-hall/config" for r in store.pending(hall.conn(), 0, 100))
    assert _refresh(hall, cfg, clock.advance(30)) == 0  # only the time moved: nothing to say


def test_a_sign_in_changes_visits_and_status_never_with_a_name(
    role_hall: Database, cfg: Config, clock: ManualClock
) -> None:
    hall = role_hall
    _refresh(hall, cfg, clock.now())
    with hall.write() as conn:
        ada = register.create(conn, clock.now(), name="Ada Lovelace", kind="member", contact="ada@example.org")
        visits.sign_in(conn, cfg, clock.advance(60), kind="member", person_id=ada.id)
        visits.sign_in(conn, cfg, clock.now(), kind="visitor", name="Vera Visitor")
    queued = _queued(hall)
    assert queued["visits"]["by_kind"] == {"member": 1, "visitor": 1}
    assert queued["visits"]["total"] == 2 and queued["visits"]["site"] == "community-hall"
    assert queued["status"]["people_in"] == 2 and queued["status"]["busy"] == "Quiet"
    assert queued["status"]["sentence"] == "Open. About 2 people in."
    everything = " ".join(r.payload for r in store.pending(hall.conn(), 0, 10_000))
    for secret in ("Ada", "Lovelace", "Vera", "ada@example.org"):
        assert secret not in everything


def test_a_booking_starting_is_published_by_time_alone(role_hall: Database, cfg: Config, clock: ManualClock) -> None:
    hall = role_hall
    _book(hall, cfg, clock, "Toddler group", "10:00", "11:30", public=True)
    _book(hall, cfg, clock, "Repair café", "14:00", "16:00", public=True)
    room = _queued(hall)["rooms/main-hall"]
    assert room["busy"] is False and room["now"] is None and room["next"]["title"] == "Toddler group"
    assert _refresh(hall, cfg, clock.advance(minutes=30)) == 0  # 09:30: nothing changed
    clock.set(datetime(2026, 3, 2, 10, 15, tzinfo=UTC))
    assert _refresh(hall, cfg, clock.now()) >= 2  # the room and the status
    queued = _queued(hall)
    assert queued["rooms/main-hall"]["busy"] is True
    assert queued["rooms/main-hall"]["now"]["title"] == "Toddler group"
    assert queued["rooms/main-hall"]["at"] == iso(clock.now())
    assert queued["status"]["sentence"] == (
        "Open. Nobody in. Now: Toddler group in the Main Hall until 11:30. Next: Repair café at 14:00."
    )


def test_a_private_booking_is_only_booked(hall: Database, cfg: Config, clock: ManualClock) -> None:
    _book(hall, cfg, clock, "Secret surprise party", "09:30", "10:30", public=False)
    clock.set(datetime(2026, 3, 2, 9, 45, tzinfo=UTC))
    _refresh(hall, cfg, clock.now())
    queued = _queued(hall)
    assert queued["rooms/main-hall"]["now"]["title"] == "Booked"
    assert "the Main Hall is booked until 10:30" in queued["status"]["sentence"]
    everything = " ".join(r.payload for r in store.pending(hall.conn(), 0, 10_000))
    assert "Secret" not in everything and "Olive" not in everything and "olive@" not in everything


def test_a_room_made_private_has_its_retained_message_cleared(hall: Database, cfg: Config, clock: ManualClock) -> None:
    _refresh(hall, cfg, clock.now())
    with hall.write() as conn:
        conn.execute("UPDATE rooms SET public = 0 WHERE id = 'green-room'")
        derived.refresh(conn, cfg, clock.now())
    cleared = [r for r in store.pending(hall.conn(), 0, 100) if r.topic == PREFIX + "rooms/green-room"]
    assert [(r.payload, r.retain) for r in cleared] == [("", True)]


def test_discovery_can_be_switched_off_and_forced_again(hall: Database, cfg: Config, clock: ManualClock) -> None:
    off = cfg.with_changes(mqtt=dataclasses.replace(cfg.mqtt, discovery=False))
    _refresh(hall, off, clock.now())
    assert not any(r.topic.startswith("homeassistant/") for r in store.pending(hall.conn(), 0, 100))
    _refresh(hall, cfg, clock.now())
    with hall.write() as conn:
        conn.execute("DELETE FROM outbox")  # as if delivered
        assert derived.refresh(conn, cfg, clock.now()) == 0
        derived.announce(conn, cfg, clock.now())
    assert [r.topic for r in store.pending(hall.conn(), 0, 100)] == ["homeassistant/device/doorstep-community-hall/config"]


def test_nothing_is_queued_with_mqtt_switched_off(hall: Database, config: Config, clock: ManualClock) -> None:
    assert _refresh(hall, config, clock.now()) == 0
    assert store.depth(hall.conn()) == 0


def test_the_housekeeping_jobs_refresh_and_bound_the_outbox(hall: Database, cfg: Config, clock: ManualClock) -> None:
    small = cfg.with_changes(mqtt=dataclasses.replace(cfg.mqtt, events_max_rows=3))
    with hall.write() as conn:
        for n in range(5):
            store.enqueue(conn, store.Message(PREFIX + "events", f'{{"n":{n}}}', 1, False), iso(clock.now()))
    registered = {j.name: j for j in JOBS}
    assert {"publish-refresh", "outbox-bound"} <= set(registered)
    registered["outbox-bound"].run(hall, small, clock)
    registered["publish-refresh"].run(hall, small, clock)
    assert store.events_waiting(hall.conn()) == 3
    assert "status" in _queued(hall)
    assert delivery.broker_status(hall.conn())["dropped"] == 2


def test_the_refresh_job_leaves_the_database_alone_when_nothing_changed(
    hall: Database, cfg: Config, clock: ManualClock
) -> None:
    job = {j.name: j for j in JOBS}["publish-refresh"]
    job.run(hall, cfg, clock)
    queued = store.depth(hall.conn())
    assert queued == 6  # two rooms, visits, status, rota/uncovered, discovery
    # Another connection holds the write lock (as the single writer often does): with
    # nothing changed the job must not need it (it would wait, then fail "locked").
    other = connect(hall.path)
    try:
        other.execute("BEGIN IMMEDIATE")
        clock.advance(30)
        job.run(hall, cfg, clock)
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert store.depth(hall.conn()) == queued
    with hall.write() as conn:
        create_room(conn, Room(id="studio", name="Studio", sort_order=2), clock.now())
    clock.advance(5)
    job.run(hall, cfg, clock)
    assert "rooms/studio" in _queued(hall)


def test_broker_status_shape(hall: Database, clock: ManualClock) -> None:
    conn = hall.conn()
    before = delivery.broker_status(conn)
    assert before["status"] == "unknown" and before["connected"] is False and before["last_error"] is None
    with hall.write():
        state.set_health(conn, "broker", "offline", "nothing accepts connections at h:1883", iso(clock.now()))
        state.put(conn, "broker/last_error", {"at": iso(clock.now()), "detail": "refused"}, iso(clock.now()))
        store.enqueue(conn, store.Message(PREFIX + "events", "{}", 1, False), iso(clock.now()))
    after = delivery.broker_status(conn)
    assert after == {
        "connected": False, "status": "offline", "since": iso(clock.now()),
        "detail": "nothing accepts connections at h:1883", "depth": 1, "events_waiting": 1,
        "oldest_waiting_at": iso(clock.now()), "last_ack_at": None, "dropped": 0, "last_dropped_at": None,
        "last_error": "refused", "last_error_at": iso(clock.now()),
    }


def test_sentence_reads_like_the_examples(config: Config) -> None:
    zone = config.site.zone
    day = datetime(2026, 3, 2, tzinfo=UTC)
    now_on = [{"room": "Main Hall", "title": "Toddler group", "start": iso(day + timedelta(hours=10)),
               "end": iso(day + timedelta(hours=11, minutes=30))}]
    next_on = [{"room": "Main Hall", "title": "Repair café", "start": iso(day + timedelta(hours=14)),
                "end": iso(day + timedelta(hours=16))}]
    assert sentence(True, 12, now_on, next_on, zone) == (
        "Open. About 12 people in. Now: Toddler group in the Main Hall until 11:30. Next: Repair café at 14:00."
    )
    assert sentence(False, 0, [], [], zone) == "Closed."
    assert sentence(True, 1, [], [], zone) == "Open. About 1 person in."


def test_a_site_showing_a_band_publishes_no_count_in_status(hall: Database, cfg: Config, clock: ManualClock) -> None:
    banded = cfg.with_changes(display=dataclasses.replace(cfg.display, busy_as="band", busy_at=1, very_busy_at=5))
    with hall.write() as conn:
        visits.sign_in(conn, banded, clock.advance(60), kind="visitor", name="Vera Visitor")
    _refresh(hall, banded, clock.now())
    status = _queued(hall)["status"]
    assert status["people_in"] is None and status["busy"] == "Busy"
    assert status["sentence"] == "Open. Busy."
