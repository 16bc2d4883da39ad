"""/api/v1 rooms, availability and bookings: parse, call appliance.bookings, answer JSON.

Imported at the bottom of kiosk/api.py so the routes land on its blueprint.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Response, jsonify, request

from appliance import availability, bookings, rooms, whatson
from appliance.bookings import BookingError, BookingRequest, Conflict
from kiosk.access import kiosk_write
from kiosk.api import OPENAPI_SCHEMAS, bp, document
from kiosk.context import web


def _error(status: int, error: str, detail: Any, **extra: Any) -> tuple[Response, int]:
    return jsonify(error=error, detail=detail, **extra), status


def _booking_error(exc: BookingError) -> tuple[Response, int]:
    zone = web().config.site.zone
    if isinstance(exc, Conflict):
        return _error(409, "Conflict", str(exc), clash=exc.clash, nearest=[s.as_dict(zone) for s in exc.nearest])
    names = {400: "Bad request", 403: "Forbidden", 404: "Not found"}
    return _error(exc.status, names.get(exc.status, "Error"), str(exc))


def _body() -> dict[str, Any] | tuple[Response, int]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _error(400, "Bad request", "send a JSON object with Content-Type: application/json")
    return data


@bp.get("/rooms")
def rooms_list() -> Response:
    """Every room with its capacity, buffers and accessibility notes."""
    return jsonify([r.as_dict() for r in rooms.list_rooms(web().db.conn())])


@bp.get("/rooms/<room_id>/availability")
def room_availability(room_id: str) -> Response | tuple[Response, int]:
    """Free periods of a room on a day (site time)."""
    w = web()
    text = request.args.get("date", "")
    try:
        day = date.fromisoformat(text) if text else w.clock.now().astimezone(w.config.site.zone).date()
    except ValueError:
        return _error(400, "Bad request", f"date {text!r} must be YYYY-MM-DD")
    conn = w.db.conn()
    try:
        room = rooms.get_room(conn, room_id)
    except rooms.UnknownRoom as exc:
        return _error(404, "Not found", str(exc))
    now = w.clock.now()
    if day > (now + timedelta(days=w.config.bookings.max_days_ahead)).date():
        return _error(400, "Bad request", f"bookings open {w.config.bookings.max_days_ahead} days ahead; {day} is further")
    window = rooms.opening_window(room, w.config, day)
    free = availability.free_periods(conn, room, day, w.config, now)
    return jsonify({
        "room": room.id,
        "date": day.isoformat(),
        "timezone": w.config.site.timezone,
        "granularity_minutes": w.config.bookings.granularity_minutes,
        "open": None if window is None else {"start": window[0].isoformat(timespec="minutes"), "end": window[1].isoformat(timespec="minutes")},
        "free": [s.as_dict(w.config.site.zone) for s in free],
    })


def _request(data: dict[str, Any]) -> BookingRequest:
    config = web().config
    for name in ("room", "start", "end", "title", "organiser"):
        if not isinstance(data.get(name), str) or not data[name].strip():
            raise BookingError(f"{name} is required (text)")
    headcount = data.get("headcount")
    if headcount is not None and (not isinstance(headcount, int) or isinstance(headcount, bool)):
        raise BookingError("headcount must be a whole number")
    for name in ("contact", "group"):
        if not isinstance(data.get(name, ""), str):
            raise BookingError(f"{name} must be text")
    if not isinstance(data.get("public", False), bool):
        raise BookingError("public must be true or false")
    return BookingRequest(
        room=data["room"], start=bookings.parse_time(data["start"], config), end=bookings.parse_time(data["end"], config),
        title=data["title"], organiser=data["organiser"], contact=data.get("contact", ""),
        public=data.get("public", False), group=data.get("group", ""), headcount=headcount,
    )


@bp.post("/bookings")
@kiosk_write
def booking_create() -> Response | tuple[Response, int]:
    """Book a room: 201 with reference and cancel code, or 409 with the clash and nearest free slots."""
    data = _body()
    if isinstance(data, tuple):
        return data
    w = web()
    try:
        booked = bookings.book(w.db.conn(), w.config, _request(data), w.clock.now())
    except BookingError as exc:
        return _booking_error(exc)
    room = rooms.get_room(w.db.conn(), booked.booking.room_id)
    body = {**whatson.public_view(booked.booking, room, w.config), "cancel_code": booked.cancel_code}
    body["title"] = booked.booking.title
    return jsonify(body), 201


@bp.get("/bookings/<reference>")
def booking_get(reference: str) -> Response | tuple[Response, int]:
    """A booking by reference: times, room, status; a private title shows as "Booked"."""
    w = web()
    try:
        booking = bookings.get_by_reference(w.db.conn(), reference)
    except BookingError as exc:
        return _booking_error(exc)
    return jsonify(whatson.public_view(booking, rooms.get_room(w.db.conn(), booking.room_id), w.config))


@bp.post("/bookings/<reference>/cancel")
@kiosk_write
def booking_cancel(reference: str) -> Response | tuple[Response, int]:
    """Cancel with the code from the receipt."""
    data = _body()
    if isinstance(data, tuple):
        return data
    code = data.get("code")
    if not isinstance(code, str) or not code.strip():
        return _error(400, "Bad request", "code is required: the cancel code from the booking receipt")
    w = web()
    try:
        booking = bookings.cancel(w.db.conn(), w.config, reference, code, w.clock.now())
    except BookingError as exc:
        return _booking_error(exc)
    return jsonify(whatson.public_view(booking, rooms.get_room(w.db.conn(), booking.room_id), w.config))


# -- the OpenAPI description ---------------------------------------------------------------

_JSON = "application/json"
_ERR = {"content": {_JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}
OPENAPI_SCHEMAS["Slot"] = {"type": "object", "properties": {"start": {"type": "string"}, "end": {"type": "string"}}}
OPENAPI_SCHEMAS["Booking"] = {
    "type": "object",
    "description": "What anyone holding the reference may see: never the contact, the organiser or the cancel code.",
    "properties": {
        "reference": {"type": "string"}, "room": {"type": "object"}, "start": {"type": "string"},
        "end": {"type": "string"}, "title": {"type": "string", "description": "\"Booked\" for a private booking"},
        "public": {"type": "boolean"}, "checked_in": {"type": "boolean"}, "recurring": {"type": "boolean"},
        "status": {"type": "string", "enum": ["requested", "confirmed", "cancelled", "declined", "released"]},
    },
}
_BOOKING = {"content": {_JSON: {"schema": {"$ref": "#/components/schemas/Booking"}}}}
_REF = [{"name": "reference", "in": "path", "required": True, "schema": {"type": "string"}}]

document("/rooms", "get", {
    "summary": "Every room: id, name, capacity, buffers, opening hours, accessibility notes.",
    "responses": {"200": {"description": "Rooms", "content": {_JSON: {"schema": {"type": "array", "items": {"type": "object", "required": ["id", "name"]}}}}}},
})
document("/rooms/{id}/availability", "get", {
    "summary": "Free periods of a room on a day, in site time, buffers allowed for.",
    "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                   {"name": "date", "in": "query", "schema": {"type": "string", "format": "date"}}],
    "responses": {"200": {"description": "Free periods", "content": {_JSON: {"schema": {"type": "object", "properties": {"free": {"type": "array", "items": {"$ref": "#/components/schemas/Slot"}}}}}}},
                  "400": {"description": "Bad date", **_ERR}, "404": {"description": "Unknown room", **_ERR}},
})
document("/bookings", "post", {
    "summary": "Book a room (kiosk networks or an admin API token).",
    "requestBody": {"required": True, "content": {_JSON: {"schema": {"type": "object", "required": ["room", "start", "end", "title", "organiser"], "properties": {
        "room": {"type": "string"}, "start": {"type": "string", "description": "ISO-8601; site time when no offset"},
        "end": {"type": "string"}, "title": {"type": "string"}, "organiser": {"type": "string"},
        "contact": {"type": "string"}, "public": {"type": "boolean"}, "group": {"type": "string"}, "headcount": {"type": "integer"}}}}}},
    "responses": {"201": {"description": "Booked: the Booking plus cancel_code (shown once)", **_BOOKING},
                  "400": {"description": "Bad request (dates, past, opening hours, too far ahead)", **_ERR},
                  "403": {"description": "Not from a kiosk network and no token", **_ERR},
                  "404": {"description": "Unknown room", **_ERR},
                  "409": {"description": "The slot clashes: clash and nearest free slots", **_ERR}},
})
document("/bookings/{reference}", "get", {
    "summary": "A booking by its reference.", "parameters": _REF,
    "responses": {"200": {"description": "The booking", **_BOOKING}, "404": {"description": "Unknown reference", **_ERR}},
})
document("/bookings/{reference}/cancel", "post", {
    "summary": "Cancel a booking with its cancel code.", "parameters": _REF,
    "requestBody": {"required": True, "content": {_JSON: {"schema": {"type": "object", "required": ["code"], "properties": {"code": {"type": "string"}}}}}},
    "responses": {"200": {"description": "Cancelled", **_BOOKING}, "400": {"description": "Missing code or already cancelled", **_ERR},
                  "403": {"description": "Wrong code", **_ERR}, "404": {"description": "Unknown reference", **_ERR}},
})
