"""The bookings JSON API: contract shapes, clear errors, and fifty threads racing for one slot."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

from appliance.booking.rooms import Room, create_room


def _rooms(db, clock):  # type: ignore[no-untyped-def]
    create_room(db.conn(), Room(id="hall", name="Hall", capacity=50, cleanup_minutes=15), clock.now())
    create_room(db.conn(), Room(id="vestry", name="Vestry", needs_approval=True), clock.now())


BODY = {"room": "hall", "start": "2026-03-02T18:00", "end": "2026-03-02T19:00", "title": "Choir",
        "organiser": "Ada Lovelace", "contact": "ada@example.org", "public": False}


def test_rooms_and_availability(client, db, clock):
    _rooms(db, clock)
    rooms = client.get("/api/v1/rooms").get_json()
    assert [(r["id"], r["name"]) for r in rooms] == [("hall", "Hall"), ("vestry", "Vestry")]
    assert client.post("/api/v1/bookings", json=BODY).status_code == 201
    day = client.get("/api/v1/rooms/hall/availability?date=2026-03-02").get_json()
    # A booking before 18:00 needs its own 15-minute clean-up to end by then.
    assert day["free"] == [{"start": "2026-03-02T09:00:00+00:00", "end": "2026-03-02T17:45:00+00:00"},
                           {"start": "2026-03-02T19:15:00+00:00", "end": "2026-03-02T22:00:00+00:00"}]
    assert client.get("/api/v1/rooms/nope/availability?date=2026-03-02").status_code == 404
    bad = client.get("/api/v1/rooms/hall/availability?date=02/03/2026")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.get_json()["detail"]


def test_create_get_cancel_round_trip_shows_nothing_private(client, db, clock):
    _rooms(db, clock)
    made = client.post("/api/v1/bookings", json=BODY)
    assert made.status_code == 201
    body = made.get_json()
    ref, code = body["reference"], body["cancel_code"]
    seen = client.get(f"/api/v1/bookings/{ref}")
    text = seen.get_data(as_text=True)
    assert seen.status_code == 200 and seen.get_json()["title"] == "Booked"
    for secret in ("ada@example.org", "Ada Lovelace", "Choir", code, "scrypt"):
        assert secret not in text
    assert client.post(f"/api/v1/bookings/{ref}/cancel", json={"code": "XXXXXX"}).status_code == 403
    done = client.post(f"/api/v1/bookings/{ref}/cancel", json={"code": code})
    assert done.status_code == 200 and done.get_json()["status"] == "cancelled"
    assert client.get("/api/v1/bookings/NOSUCH").status_code == 404


def test_conflict_is_409_with_clash_and_nearest(client, db, clock):
    _rooms(db, clock)
    client.post("/api/v1/bookings", json=BODY)
    clash = client.post("/api/v1/bookings", json={**BODY, "start": "2026-03-02T19:00", "end": "2026-03-02T20:00"})
    body = clash.get_json()
    assert clash.status_code == 409 and body["error"] == "Conflict"
    assert body["clash"]["start"] == "2026-03-02T18:00:00+00:00"
    assert {"start": "2026-03-02T19:15:00+00:00", "end": "2026-03-02T20:15:00+00:00"} in body["nearest"]


def test_bad_requests_are_clear_400s_never_500(client, db, clock):
    _rooms(db, clock)
    cases = [
        ("not json", "application/json", "JSON object"),
        ("[1, 2]", "application/json", "JSON object"),
        (json.dumps({**BODY, "start": "soon"}), "application/json", "not a date"),
        (json.dumps({**BODY, "end": "2026-03-02T17:00"}), "application/json", "must be after"),
        (json.dumps({**BODY, "start": "2026-03-01T18:00", "end": "2026-03-01T19:00"}), "application/json", "already started"),
        (json.dumps({**BODY, "start": "2026-03-02T23:00", "end": "2026-03-02T23:30"}), "application/json", "open 09:00-22:00"),
        (json.dumps({**BODY, "start": "2027-01-02T18:00", "end": "2027-01-02T19:00"}), "application/json", "days ahead"),
        (json.dumps({**BODY, "headcount": 500}), "application/json", "holds 50"),
        (json.dumps({**BODY, "headcount": "many"}), "application/json", "whole number"),
        (json.dumps({**BODY, "public": "yes"}), "application/json", "true or false"),
        (json.dumps({k: v for k, v in BODY.items() if k != "title"}), "application/json", "title is required"),
    ]
    for data, kind, message in cases:
        answer = client.post("/api/v1/bookings", data=data, content_type=kind)
        assert answer.status_code == 400, (data, answer.get_json())
        assert message in answer.get_json()["detail"]
    unknown = client.post("/api/v1/bookings", json={**BODY, "room": "nope"})
    assert unknown.status_code == 404 and "no room 'nope'" in unknown.get_json()["detail"]
    assert client.post("/api/v1/bookings/ABCDEF/cancel", data="{", content_type="application/json").status_code == 400
    assert db.conn().execute("SELECT COUNT(*) FROM bookings").fetchone()[0] == 0


def test_approval_room_answers_requested(client, db, clock):
    _rooms(db, clock)
    made = client.post("/api/v1/bookings", json={**BODY, "room": "vestry"})
    assert made.status_code == 201 and made.get_json()["status"] == "requested"


def test_writes_from_outside_the_kiosk_networks_are_refused(client, db, clock):
    _rooms(db, clock)
    answer = client.post("/api/v1/bookings", json=BODY, environ_base={"REMOTE_ADDR": "192.168.1.50"})
    assert answer.status_code == 403 and answer.get_json()["error"] == "Forbidden"


def test_openapi_describes_the_booking_routes(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/rooms", "/rooms/{id}/availability", "/bookings", "/bookings/{reference}", "/bookings/{reference}/cancel"):
        assert path in paths
    assert "409" in paths["/bookings"]["post"]["responses"]


def test_fifty_threads_booking_one_slot_over_http_get_one_201(live_server, db, clock):
    _rooms(db, clock)
    url = f"{live_server.url}api/v1/bookings"
    data = json.dumps(BODY).encode()
    codes: list[int] = []
    lock = threading.Lock()
    go = threading.Barrier(50)

    def attempt() -> None:
        req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST")
        go.wait()
        try:
            with urllib.request.urlopen(req, timeout=120) as answer:
                status = answer.status
        except urllib.error.HTTPError as exc:
            status = exc.code
            exc.close()
        with lock:
            codes.append(status)

    threads = [threading.Thread(target=attempt) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201] + [409] * 49
    assert db.conn().execute("SELECT COUNT(*) FROM bookings WHERE status = 'confirmed'").fetchone()[0] == 1
