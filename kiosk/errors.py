"""Friendly error pages: never a traceback on a screen; JSON errors under /api/."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith(".json")


def with_allow(response: Response, exc: HTTPException) -> Response:
    """A 405 says which methods would work (RFC 9110 asks for Allow; werkzeug knows them)."""
    methods = getattr(exc, "valid_methods", None)
    if exc.code == 405 and methods:
        response.headers["Allow"] = ", ".join(sorted(methods))
    return response


def init_app(app: Flask) -> None:
    """Install the error handlers."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        code = exc.code or 500
        if _wants_json():
            response = jsonify(error=exc.name, detail=exc.description)
        else:
            response = make_response(render_template("error.html", code=code, title=exc.name, detail=exc.description))
        response.status_code = code
        return with_allow(response, exc)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        log.exception("unexpected error on %s %s", request.method, request.path)
        detail = "Something went wrong on our side. Nothing you did was lost; please try again."
        if _wants_json():
            return jsonify(error="Internal error", detail=detail), 500
        return render_template("error.html", code=500, title="Sorry", detail=detail), 500
