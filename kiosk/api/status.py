"""/api/v1/status: the public status of the site (the same picture as /status.json)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from kiosk.api.openapi import DATE_TIME, OPENAPI_SCHEMAS, document
from kiosk.context import web
from kiosk.live import public_snapshot

bp = Blueprint("status", __name__)


@bp.get("/status")
def status() -> Response:
    """The public status (as /status.json)."""
    return jsonify(public_snapshot(web()))


_TIMED = {"type": "object", "properties": {"start": DATE_TIME, "end": DATE_TIME, "title": {"type": "string"}}}
OPENAPI_SCHEMAS["Status"] = {
    "type": "object",
    "description": "The public picture of the site (as /status.json): never a name.",
    "required": ["site", "name", "at", "open", "busy", "sentence", "rooms"],
    "properties": {
        "site": {"type": "string"}, "name": {"type": "string"}, "at": DATE_TIME, "open": {"type": "boolean"},
        "people_in": {"type": ["integer", "null"], "minimum": 0},
        "busy": {"type": "string", "enum": ["Quiet", "Busy", "Very busy"]},
        "busy_as": {"type": "string", "enum": ["number", "band"]},
        "sentence": {"type": "string"},
        "now": {"type": "array", "items": _TIMED}, "next": {"type": "array", "items": _TIMED},
        "rooms": {"type": "array", "items": {"type": "object", "properties": {
            "room": {"type": "string"}, "name": {"type": "string"}, "busy": {"type": "boolean"},
            "now": {"oneOf": [_TIMED, {"type": "null"}]}, "next": {"oneOf": [_TIMED, {"type": "null"}]}}}},
        "visits": {"type": "object"},
        "doors": {"type": "object", "additionalProperties": {"type": "object", "properties": {
            "state": {"type": "string", "enum": ["open", "closed"]}, "since": DATE_TIME}}},
        "health": {"type": "object", "additionalProperties": {"type": "object", "properties": {
            "status": {"type": "string"}, "since": DATE_TIME}}},
    },
}
document(
    "/status",
    "get",
    {
        "summary": "The public status of the site: open, doors, health. Never a name.",
        "responses": {"200": {"description": "The status", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}}},
    },
)
