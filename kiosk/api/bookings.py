"""/api/v1 rooms, availability and bookings: parse, call appliance.booking.bookings, answer JSON."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, jsonify, request

from appliance.booking import availability, bookings, rooms, whatson
from appliance.booking.bookings import BookingError, BookingRequest, Conflict
from appliance.core.config import Config
from appliance.core.inputs import InputError, parse_date
from kiosk.access import kiosk_write, token_admin
from kiosk.api.body import json_object
from kiosk.api.openapi import DATE_TIME, OPENAPI_SCHEMAS, WRITE_SECURITY, document
from kiosk.context import web

bp = Blueprint("bookings", __name__)

MAX_HEADCOUNT = 100_000  # more people than any hall holds; keeps the number inside SQLite's range


def _error(status: int, error: str, detail: Any, **extra: Any) -> tuple[Response, int]:
    return jsonify(error=error, detail=detail, **extra), status


def _booking_error(exc: BookingError) -> tuple[Response, int]:
    zone = web().config.site.zone
    if isinstance(exc, Conflict):
        return _error(409, "Conflict", str(exc), clash=exc.clash, nearest=[s.as_dict(zone) for s in exc.nearest])
    names = {400: "Bad request", 403: "Forbidden", 404: "Not found"}
    return _error(exc.status, names.get(exc.status, "Error"), str(exc))


BOOKING_FIELDS = ("room", "start", "end", "title", "organiser", "contact", "public", "group", "headcount",
                  "release_if_no_show")


def _body(fields: tuple[str, ...] = BOOKING_FIELDS) -> dict[str, Any]:
    return json_object('{"room": "main-hall", "start": "2026-03-02T18:30", "end": "2026-03-02T20:00", '
                       '"title": "Choir", "organiser": "Sam"}', fields)


@bp.get("/rooms")
def rooms_list() -> Response:
    """Every room with its capacity, buffers and accessibility notes."""
    return jsonify([r.as_dict() for r in rooms.list_rooms(web().db.conn())])


@bp.get("/rooms/<room_id>/availability")
def room_availability(room_id: str) -> Response | tuple[Response, int]:
    """Free periods of a room on a day (site time)."""
    w = web()
    text = request.args.get("date")
    try:
        day = w.clock.now().astimezone(w.config.site.zone).date() if text is None else parse_date(text)
    except InputError as exc:
        return _error(400, "Bad request", f"{exc} (date must be YYYY-MM-DD)")
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
        "open": None if window is None else availability.Slot(*window).as_dict(w.config.site.zone),
        "free": [s.as_dict(w.config.site.zone) for s in free],
    })


def _request(data: dict[str, Any]) -> BookingRequest:
    config = web().config
    for name in ("room", "start", "end", "title", "organiser"):
        if not isinstance(data.get(name), str) or not data[name].strip():
            raise BookingError(f"{name} is required (text)")
    headcount = data.get("headcount")
    if headcount is not None and (not isinstance(headcount, int) or isinstance(headcount, bool)
                                  or not 1 <= headcount <= MAX_HEADCOUNT):
        raise BookingError(f"headcount must be a whole number of people from 1 to {MAX_HEADCOUNT}")
    for name in ("contact", "group"):
        if not isinstance(data.get(name, ""), str):
            raise BookingError(f"{name} must be text")
    if not isinstance(data.get("public", False), bool):
        raise BookingError("public must be true or false")
    release = data.get("release_if_no_show")
    if release is not None and not isinstance(release, bool):
        raise BookingError("release_if_no_show must be true or false")
    return BookingRequest(
        room=data["room"], start=bookings.parse_time(data["start"], config, "start"),
        end=bookings.parse_time(data["end"], config, "end"),
        title=data["title"], organiser=data["organiser"], contact=data.get("contact", ""),
        public=data.get("public", False), group=data.get("group", ""), headcount=headcount,
        # with an admin's token the booking is an admin's: kept when nobody checks in, unless asked
        made_by="admin" if token_admin() else "kiosk", release_if_no_show=release,
    )


@bp.post("/bookings")
@kiosk_write
def booking_create() -> Response | tuple[Response, int]:
    """Book a room: 201 with reference and cancel code, or 409 with the clash and nearest free slots."""
    data = _body()
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
    data = _body(("code",))
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
# What a person types: some visible text, no NUL, at most MAX_TEXT characters
# (appliance.core.inputs.clean_text folds spaces and drops control characters).
TEXT = {"type": "string", "minLength": 1, "maxLength": bookings.MAX_TEXT,
        "pattern": "^[^\\x00]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00]*$"}
OPTIONAL_TEXT = {"type": "string", "maxLength": bookings.MAX_TEXT, "pattern": "^[^\\x00]*$"}
STATUSES = ["requested", "confirmed", "cancelled", "declined", "released"]
OPENAPI_SCHEMAS["Slot"] = {"type": "object", "required": ["start", "end"],
                           "properties": {"start": DATE_TIME, "end": DATE_TIME}}
OPENAPI_SCHEMAS["Booking"] = {
    "type": "object",
    "description": "What anyone holding the reference may see: never the contact, the organiser or the cancel code.",
    "required": ["reference", "room", "start", "end", "title", "public", "status", "checked_in", "recurring"],
    "properties": {
        "reference": {"type": "string", "minLength": 6, "maxLength": 6},
        "room": {"type": "object", "required": ["id", "name"], "properties": {"id": {"type": "string"}, "name": {"type": "string"}}},
        "start": DATE_TIME, "end": DATE_TIME,
        "title": {"type": "string", "description": "\"Booked\" for a private booking"},
        "public": {"type": "boolean"}, "checked_in": {"type": "boolean"}, "recurring": {"type": "boolean"},
        "status": {"type": "string", "enum": STATUSES},
        "cancel_code": {"type": "string", "description": "only in the answer to POST /bookings (shown once)"},
    },
}
OPENAPI_SCHEMAS["Conflict"] = {
    "type": "object", "required": ["error", "detail", "clash", "nearest"],
    "properties": {
        "error": {"type": "string", "enum": ["Conflict"]}, "detail": {"type": "string"},
        "clash": {"type": "object", "properties": {k: DATE_TIME for k in ("start", "end", "block_start", "block_end")}},
        "nearest": {"type": "array", "items": {"$ref": "#/components/schemas/Slot"}, "maxItems": 2},
    },
}
OPENAPI_SCHEMAS["Room"] = {
    "type": "object", "required": ["id", "name"],
    "properties": {
        "id": {"type": "string"}, "name": {"type": "string"}, "capacity": {"type": ["integer", "null"]},
        "bookable": {"type": "boolean"}, "public": {"type": "boolean"}, "needs_approval": {"type": "boolean"},
        "setup_minutes": {"type": "integer"}, "cleanup_minutes": {"type": "integer"},
        "release_no_shows": {"type": "boolean"}, "accessibility": {"type": "string"}, "sort_order": {"type": "integer"},
        "opening_hours": {"type": ["object", "null"], "additionalProperties": {"type": "string"}},
    },
}
_BOOKING = {"content": {_JSON: {"schema": {"$ref": "#/components/schemas/Booking"}}}}
_REF = [{"name": "reference", "in": "path", "required": True, "schema": {"type": "string"},
         "description": "the six letters and digits on the receipt"}]


def _ahead(config: Config) -> str:
    return f"at most {config.bookings.max_days_ahead} days ahead (bookings.max_days_ahead)"


document("/rooms", "get", {
    "summary": "Every room: id, name, capacity, buffers, opening hours, accessibility notes.",
    "responses": {"200": {"description": "Rooms", "content": {_JSON: {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Room"}}}}}},
})
document("/rooms/{id}/availability", "get", lambda config: {
    "summary": "Free periods of a room on a day, in site time, buffers allowed for.",
    "parameters": [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
        {"name": "date", "in": "query", "description": f"the day (site time), today when left out; {_ahead(config)}",
         "schema": {"type": "string", "format": "date", "x-max-days-ahead": config.bookings.max_days_ahead}},
    ],
    "responses": {
        "200": {"description": "Free periods", "content": {_JSON: {"schema": {
            "type": "object", "required": ["room", "date", "timezone", "granularity_minutes", "open", "free"],
            "properties": {
                "room": {"type": "string"}, "date": {"type": "string", "format": "date"},
                "timezone": {"type": "string"}, "granularity_minutes": {"type": "integer", "minimum": 1},
                "open": {"oneOf": [{"$ref": "#/components/schemas/Slot"}, {"type": "null"}]},
                "free": {"type": "array", "items": {"$ref": "#/components/schemas/Slot"}}}}}}},
        "400": {"description": f"Not a date, or further than {config.bookings.max_days_ahead} days ahead", **_ERR},
        "404": {"description": "Unknown room", **_ERR}},
})
document("/bookings", "post", lambda config: {
    "summary": "Book a room (kiosk networks or an admin API token).",
    "security": WRITE_SECURITY,
    "requestBody": {"required": True, "content": {_JSON: {"schema": {
        "type": "object", "required": ["room", "start", "end", "title", "organiser"], "additionalProperties": False,
        "properties": {
            "room": {"type": "string", "minLength": 1, "pattern": "\\S", "description": "a room id from GET /rooms"},
            "start": {**DATE_TIME, "description": f"RFC 3339 (a time without an offset is read as site time); "
                                                  f"from now on, {_ahead(config)}, on the "
                                                  f"{config.bookings.granularity_minutes}-minute marks"},
            "end": {**DATE_TIME, "description": "after the start, at most 24 hours later"},
            "title": TEXT, "organiser": TEXT, "contact": OPTIONAL_TEXT, "group": OPTIONAL_TEXT,
            "public": {"type": "boolean"},
            "headcount": {"type": "integer", "minimum": 1, "maximum": MAX_HEADCOUNT},
            "release_if_no_show": {"type": "boolean", "description": "Release the room when nobody checks in (in "
                                   "rooms that release no-shows). Default: true from a kiosk network, false with "
                                   "an admin's token."}}}}}},
    "responses": {"201": {"description": "Booked: the Booking plus cancel_code (shown once)", **_BOOKING},
                  "400": {"description": "Bad request (dates, past, opening hours, too far ahead)", **_ERR},
                  "403": {"description": "Not from a kiosk network and no token", **_ERR},
                  "404": {"description": "Unknown room", **_ERR},
                  "409": {"description": "The slot clashes: clash and nearest free slots",
                          "content": {_JSON: {"schema": {"$ref": "#/components/schemas/Conflict"}}}}},
})
document("/bookings/{reference}", "get", {
    "summary": "A booking by its reference.", "parameters": _REF,
    "responses": {"200": {"description": "The booking", **_BOOKING}, "404": {"description": "Unknown reference", **_ERR}},
})
document("/bookings/{reference}/cancel", "post", {
    "summary": "Cancel a booking with its cancel code (kiosk networks or an admin API token).", "parameters": _REF,
    "security": WRITE_SECURITY,
    "requestBody": {"required": True, "content": {_JSON: {"schema": {
        "type": "object", "required": ["code"], "additionalProperties": False,
        "properties": {"code": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "\\S"}}}}}},
    "responses": {"200": {"description": "Cancelled", **_BOOKING}, "400": {"description": "Missing code or already cancelled", **_ERR},
                  "403": {"description": "Wrong code, or not from a kiosk network and no token", **_ERR},
                  "404": {"description": "Unknown reference", **_ERR}},
})
