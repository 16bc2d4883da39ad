"""/api/v1/visits: sign in and out through the JSON API (kiosk networks or an admin's token)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, jsonify, request

from appliance import visits
from kiosk.access import kiosk_write
from kiosk.api import OPENAPI_SCHEMAS, bp, document
from kiosk.context import web


def _payload() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, description="Send a JSON object, e.g. {\"name\": \"Joan Clarke\", \"kind\": \"visitor\"}.")
    return data


def _visit_json(visit: visits.Visit) -> dict[str, Any]:
    return {
        "id": visit.id,
        "kind": visit.kind,
        "signed_in_at": visit.signed_in_at,
        "signed_out_at": visit.signed_out_at,
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
                conn, w.config, w.clock.now(), kind=fields["kind"], name=fields["name"],
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
            visit = visits.sign_out(conn, w.config, w.clock.now(), visit_id)
    except visits.VisitError as exc:
        abort(409, description=str(exc))
    return jsonify(_visit_json(visit))


OPENAPI_SCHEMAS["Visit"] = {
    "type": "object",
    "required": ["id", "kind", "signed_in_at"],
    "properties": {
        "id": {"type": "integer"},
        "kind": {"type": "string"},
        "signed_in_at": {"type": "string", "format": "date-time"},
        "signed_out_at": {"type": ["string", "null"], "format": "date-time"},
    },
}
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_VISIT = {"application/json": {"schema": {"$ref": "#/components/schemas/Visit"}}}
document(
    "/visits",
    "post",
    {
        "summary": "Sign in. Visitors by name; members and volunteers by whole name or member number.",
        "description": "Accepted from the kiosk networks or with an admin's API token (Bearer).",
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {
                "type": "object",
                "required": ["name", "kind"],
                "properties": {
                    "name": {"type": "string"},
                    "kind": {"type": "string", "description": "one of kiosk.visit_kinds"},
                    "visiting": {"type": "string"},
                    "activity": {"type": "string", "description": "one of kiosk.activities"},
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
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {
            "200": {"description": "Signed out", "content": _VISIT},
            "403": {"description": "Not from a kiosk network and no admin token", "content": _ERROR},
            "404": {"description": "No such visit", "content": _ERROR},
            "409": {"description": "Already ended", "content": _ERROR},
        },
    },
)
