"""/healthz for monitoring, /status.json and /status.txt for displays and radio automation."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from appliance.status import snapshot
from kiosk.context import web

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """Cheap liveness: the database answers."""
    web().db.conn().execute("SELECT 1").fetchone()
    return jsonify(status="ok")


@bp.get("/status.json")
def status_json() -> Response:
    """The public status as JSON (no names, ever)."""
    w = web()
    return jsonify(snapshot(w.db.conn(), w.config, w.clock.now()))


@bp.get("/status.txt")
def status_txt() -> Response:
    """The public status as one plain sentence."""
    w = web()
    snap = snapshot(w.db.conn(), w.config, w.clock.now())
    sentence = f"{snap['name']} is {'open' if snap['open'] else 'closed'}."
    return Response(sentence + "\n", mimetype="text/plain")
