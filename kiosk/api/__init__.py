"""/api/v1: the JSON API, described by /api/v1/openapi.json.

Each view module holds its own blueprint; this one nests them under /api/v1, so their
endpoints read ``api.<module>.<view>`` (e.g. ``api.bookings.booking_create``). The API
is guarded by network or token, not a form token: create_app exempts this blueprint and
every one nested in it from CSRF.
"""

from __future__ import annotations

from flask import Blueprint

from kiosk.api import bookings, openapi, status, visits

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.register_blueprint(openapi.bp)  # /openapi.json, and document() the others fill it with
bp.register_blueprint(status.bp)  # /status
bp.register_blueprint(bookings.bp)  # /rooms, /rooms/<id>/availability, /bookings
bp.register_blueprint(visits.bp)  # /visits
