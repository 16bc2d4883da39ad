"""/status.json and /status.txt for displays and radio automation; /healthz for monitoring.

/status.* carry only appliance.views.public's public picture: never a name.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from kiosk.context import web
from kiosk.live import public_snapshot

bp = Blueprint("status", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """Cheap liveness: the database answers; also how many live pages are open, whether
    the Pi's own screen shows its kiosk page (seconds since it last did: 0 now, null not
    since start) and the web role's uptime, which doorstep/kioskwatch.py reads."""
    w = web()
    w.db.conn().execute("SELECT 1").fetchone()
    return jsonify(status="ok", live_streams=w.live_streams(), kiosk_screen_seconds=w.screen_seconds(),
                   uptime_seconds=w.uptime())


@bp.get("/status.json")
def status_json() -> Response:
    """The public status as JSON (no names, ever)."""
    response = jsonify(public_snapshot(web()))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/status.txt")
def status_txt() -> Response:
    """The public status as one plain sentence (for radio automation or a text-to-speech reader)."""
    snap = public_snapshot(web())
    response = Response(f"{snap['name']}: {snap['sentence']}\n", mimetype="text/plain")
    response.headers["Cache-Control"] = "no-cache"
    return response
