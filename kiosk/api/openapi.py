"""The API's own description, /api/v1/openapi.json, and how routes add themselves to it.

Each view module calls :func:`document` beside its routes (and adds its schemas to
:data:`OPENAPI_SCHEMAS`), so the document cannot drift from the routes. A description
that depends on the site's config (the sign-in kinds, the days-ahead limit) is given as
a function of the config, filled in when the document is served. This module imports no
view module: kiosk/api/__init__.py imports them all before serving.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify

from appliance import __version__
from appliance.core.config import Config
from kiosk.context import web

bp = Blueprint("openapi", __name__)

Spec = dict[str, Any] | Callable[[Config], dict[str, Any]]

OPENAPI_PATHS: dict[str, dict[str, Spec]] = {}
OPENAPI_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "detail"],
        "properties": {"error": {"type": "string"}, "detail": {}},
    }
}
SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "An admin's API token (`doorstep admin token NAME` prints one). Not needed from the "
                       "kiosk networks (web.kiosk_networks, the Pi's own screen by default).",
    }
}
# A write: an admin's token, or (the empty requirement) a request from the kiosk networks.
WRITE_SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}, {}]
# Every time the API writes: RFC 3339 with seconds and the site's UTC offset.
DATE_TIME = {"type": "string", "format": "date-time", "description": "RFC 3339 in the site's timezone, e.g. 2026-03-02T18:30:00+00:00"}


def document(path: str, method: str, spec: Spec) -> None:
    """Describe an operation in the OpenAPI document (path in OpenAPI form, e.g. /rooms/{id});
    ``spec`` may be a function of the config, for what depends on the site."""
    OPENAPI_PATHS.setdefault(path, {})[method.lower()] = spec


def described(config: Config) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document for this site's config."""
    paths = {
        path: {method: spec(config) if callable(spec) else spec for method, spec in methods.items()}
        for path, methods in OPENAPI_PATHS.items()
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Doorstep", "version": __version__},
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {"schemas": OPENAPI_SCHEMAS, "securitySchemes": SECURITY_SCHEMES},
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API."""
    return jsonify(described(web().config))
