"""/api/v1 as an integrator meets it: the OpenAPI document says how to authenticate, what
each field looks like (date-time, enums, minimum lengths, the days-ahead limit); a wrong
method answers 405 with Allow; every time is written one way (RFC 3339, seconds, the
site's offset); and schemathesis, run as the command-line tool against the live web
role, finds nothing wrong (tests/test_api_schemathesis.py)."""

from __future__ import annotations

import re
from typing import Any

from appliance.booking.rooms import Room, create_room

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")
LOOKS_LIKE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T")
BODY = {"room": "hall", "start": "2026-03-02T18:00", "end": "2026-03-02T19:00", "title": "Côr Meibion",
        "organiser": "Siân Llŷr ap Gwilym"}


def _rooms(db, clock) -> None:  # type: ignore[no-untyped-def]
    create_room(db.conn(), Room(id="hall", name="Hall", capacity=50, cleanup_minutes=15), clock.now())
    create_room(db.conn(), Room(id="vestry", name="Vestry", needs_approval=True), clock.now())


def _times(value: Any, path: str = "") -> list[tuple[str, str]]:
    """Every string in a JSON document that starts like a date and time, with where it is."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _times(item, f"{path}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            found += _times(item, f"{path}[{n}]")
    elif isinstance(value, str) and LOOKS_LIKE_TIME.match(value):
        found.append((path, value))
    return found


def test_the_document_declares_the_token_formats_enums_and_limits(client) -> None:  # type: ignore[no-untyped-def]
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": doc["components"]["securitySchemes"]["bearerAuth"]["description"]}
    writes = [("/bookings", "post"), ("/bookings/{reference}/cancel", "post"), ("/visits", "post"), ("/visits/{id}/end", "post")]
    for path, method in writes:
        # a token, or (the empty requirement) a request from the kiosk networks
        assert doc["paths"][path][method]["security"] == [{"bearerAuth": []}, {}], path
    booking = doc["components"]["schemas"]["Booking"]["properties"]
    assert booking["start"]["format"] == booking["end"]["format"] == "date-time"
    assert booking["status"]["enum"] == ["requested", "confirmed", "cancelled", "declined", "released"]
    create = doc["paths"]["/bookings"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    for name in ("room", "title", "organiser"):
        assert create["properties"][name]["minLength"] == 1, name
    assert create["properties"]["start"]["format"] == "date-time"
    assert create["properties"]["headcount"]["minimum"] == 1
    assert "180 days" in create["properties"]["start"]["description"]
    availability = doc["paths"]["/rooms/{id}/availability"]["get"]
    day = next(p for p in availability["parameters"] if p["name"] == "date")
    assert day["schema"]["format"] == "date" and day["schema"]["x-max-days-ahead"] == 180
    assert "180 days" in day["description"]
    visit = doc["paths"]["/visits"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert visit["properties"]["kind"]["enum"] == ["visitor", "member", "volunteer"]
    assert visit["properties"]["name"]["minLength"] == 1
    assert doc["components"]["schemas"]["Visit"]["properties"]["signed_in_at"]["format"] == "date-time"
    cancel = doc["paths"]["/bookings/{reference}/cancel"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert cancel["properties"]["code"]["minLength"] == 1
    status = doc["paths"]["/status"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert status == {"$ref": "#/components/schemas/Status"}
    assert doc["components"]["schemas"]["Status"]["properties"]["at"]["format"] == "date-time"


def test_a_wrong_method_answers_405_with_allow(client) -> None:  # type: ignore[no-untyped-def]
    for method, path, allowed in [
        ("DELETE", "/api/v1/bookings", {"POST"}),
        ("GET", "/api/v1/bookings/ABCDEF/cancel", {"POST"}),
        ("PUT", "/api/v1/rooms", {"GET", "HEAD", "OPTIONS"}),
        ("TRACE", "/api/v1/visits", {"POST"}),
        ("DELETE", "/kiosk/", {"GET", "HEAD", "OPTIONS"}),
    ]:
        reply = client.open(path, method=method)
        assert reply.status_code == 405, (method, path)
        assert allowed <= {m.strip() for m in reply.headers.get("Allow", "").split(",")}, (method, path, reply.headers)


def test_every_time_in_the_api_is_one_rfc3339_form(client, db, clock) -> None:  # type: ignore[no-untyped-def]
    _rooms(db, clock)
    made = client.post("/api/v1/bookings", json=BODY)
    assert made.status_code == 201
    body = made.get_json()
    assert body["start"] == "2026-03-02T18:00:00+00:00" and body["end"] == "2026-03-02T19:00:00+00:00"
    clash = client.post("/api/v1/bookings", json={**BODY, "start": "2026-03-02T18:30", "end": "2026-03-02T19:30"}).get_json()
    visit = client.post("/api/v1/visits", json={"name": "Siân Llŷr ap Gwilym", "kind": "visitor"}).get_json()
    ended = client.post(f"/api/v1/visits/{visit['id']}/end").get_json()
    documents = {
        "booking": body, "booking_get": client.get(f"/api/v1/bookings/{body['reference']}").get_json(),
        "clash": clash, "visit": visit, "visit_end": ended,
        "availability": client.get("/api/v1/rooms/hall/availability?date=2026-03-02").get_json(),
        "status": client.get("/api/v1/status").get_json(), "status_json": client.get("/status.json").get_json(),
    }
    seen = []
    for name, document in documents.items():
        for where, value in _times(document):
            seen.append(name)
            assert RFC3339.match(value), f"{name}{where} = {value!r}"
    assert {"booking", "clash", "visit", "visit_end", "availability", "status"} <= set(seen)
    assert clash["nearest"] and clash["clash"]["start"] == "2026-03-02T18:00:00+00:00"
    assert visit["signed_in_at"] == "2026-03-02T09:00:00+00:00"

