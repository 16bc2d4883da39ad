"""/api/v1/visits: sign in and out through the JSON API (kiosk networks or an admin's token)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify

from appliance.core.clock import rfc3339
from appliance.people import visits
from appliance.storage import settings
from kiosk.access import kiosk_write
from kiosk.api.body import json_object
from kiosk.api.openapi import DATE_TIME, OPENAPI_SCHEMAS, WRITE_SECURITY, document
from kiosk.context import web

bp = Blueprint("visits", __name__)


def _payload() -> dict[str, Any]:
    return json_object('{"name": "Joan Clarke", "kind": "visitor"}', ("name", "kind", "visiting", "activity"))


def _visit_json(visit: visits.Visit) -> dict[str, Any]:
    zone = web().config.site.zone
    return {
        "id": visit.id,
        "kind": visit.kind,
        "signed_in_at": rfc3339(visit.signed_in_at, zone),
        "signed_out_at": rfc3339(visit.signed_out_at, zone) if visit.signed_out_at else None,
    }


@bp.post("/visits")
@kiosk_write
def create_visit() -> tuple[Response, int]:
    """Sign someone in: a visitor by name, a member or volunteer by whole name or number."""
    data = _payload()
    fields = {}
    for name in ("name", "kind", "visiting", "activity"):
        value = data.get(name, "")
        if not isinstance(value, str):
            abort(400, description=f"{name} must be text, not {type(value).__name__}.")
        fields[name] = value
    if not fields["name"].strip() or not fields["kind"].strip():
        abort(400, description="Both name and kind are required.")
    w = web()
    try:
        with w.db.write() as conn:
            visit = visits.sign_in_named(
                conn, settings.effective(w.config, conn), w.clock.now(), kind=fields["kind"], name=fields["name"],
                visiting=fields["visiting"], activity=fields["activity"], source="api",
            )
    except visits.VisitError as exc:
        abort(422, description=str(exc))
    return jsonify(_visit_json(visit)), 201


@bp.post("/visits/<int:visit_id>/end")
@kiosk_write
def end_visit(visit_id: int) -> Response:
    """Sign a visit out."""
    w = web()
    if visits.get(w.db.conn(), visit_id) is None:
        abort(404, description=f"No visit with id {visit_id}.")
    try:
        with w.db.write() as conn:
            visit = visits.sign_out(conn, w.clock.now(), visit_id)
    except visits.VisitError as exc:
        abort(409, description=str(exc))
    return jsonify(_visit_json(visit))


OPENAPI_SCHEMAS["Visit"] = {
    "type": "object",
    "required": ["id", "kind", "signed_in_at", "signed_out_at"],
    "properties": {
        "id": {"type": "integer"},
        "kind": {"type": "string"},
        "signed_in_at": DATE_TIME,
        "signed_out_at": {"oneOf": [DATE_TIME, {"type": "null"}]},
    },
}
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_VISIT = {"application/json": {"schema": {"$ref": "#/components/schemas/Visit"}}}
_TEXT = {"type": "string", "maxLength": visits.MAX_TEXT, "pattern": "^[^\\x00]*$"}
document(
    "/visits",
    "post",
    lambda config: {
        "summary": "Sign in. Visitors by name; members and volunteers by whole name or member number.",
        "description": "Accepted from the kiosk networks or with an admin's API token (Bearer).",
        "security": WRITE_SECURITY,
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {
                "type": "object",
                "required": ["name", "kind"],
                "additionalProperties": False,
                "properties": {
                    "name": {**_TEXT, "minLength": 1, "pattern": "\\S"},
                    "kind": {"type": "string", "enum": list(config.kiosk.visit_kinds), "description": "kiosk.visit_kinds"},
                    "visiting": _TEXT,
                    "activity": {"type": "string", "enum": ["", *config.kiosk.activities], "description": "kiosk.activities"},
                },
            }}},
        },
        "responses": {
            "201": {"description": "Signed in", "content": _VISIT},
            "400": {"description": "Malformed request", "content": _ERROR},
            "403": {"description": "Not from a kiosk network and no admin token", "content": _ERROR},
            "422": {"description": "Unknown kind or person, or a bad value", "content": _ERROR},
        },
    },
)
document(
    "/visits/{id}/end",
    "post",
    {
        "summary": "Sign a visit out.",
        "security": WRITE_SECURITY,
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {
            "200": {"description": "Signed out", "content": _VISIT},
            "403": {"description": "Not from a kiosk network and no admin token", "content": _ERROR},
            "404": {"description": "No such visit", "content": _ERROR},
            "409": {"description": "Already ended", "content": _ERROR},
        },
    },
)
