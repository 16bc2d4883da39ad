"""/api/v1: the JSON API, described by /api/v1/openapi.json.

Routes add themselves to :data:`OPENAPI_PATHS` with :func:`document`, so the document
cannot drift from the routes.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from appliance import __version__
from kiosk.context import web
from kiosk.live import public_snapshot

bp = Blueprint("api", __name__, url_prefix="/api/v1")

OPENAPI_PATHS: dict[str, dict[str, Any]] = {}
OPENAPI_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "detail"],
        "properties": {"error": {"type": "string"}, "detail": {}},
    }
}


def document(path: str, method: str, spec: dict[str, Any]) -> None:
    """Describe an operation in the OpenAPI document (path in OpenAPI form, e.g. /rooms/{id})."""
    OPENAPI_PATHS.setdefault(path, {})[method.lower()] = spec


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API."""
    return jsonify(
        {
            "openapi": "3.1.0",
            "info": {"title": "Doorstep", "version": __version__},
            "servers": [{"url": "/api/v1"}],
            "paths": OPENAPI_PATHS,
            "components": {"schemas": OPENAPI_SCHEMAS},
        }
    )


@bp.get("/status")
def status() -> Response:
    """The public status (as /status.json)."""
    return jsonify(public_snapshot(web()))


document(
    "/status",
    "get",
    {
        "summary": "The public status of the site: open, doors, health. Never a name.",
        "responses": {"200": {"description": "The status", "content": {"application/json": {"schema": {"type": "object"}}}}},
    },
)

# Routes in other modules register on this blueprint: rooms and bookings, visits.
from kiosk import api_bookings, api_visits  # noqa: E402,F401
