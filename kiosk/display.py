"""/display/: the big status screen in the hall or the radio studio. Never a name."""

from __future__ import annotations

from flask import Blueprint, render_template

from kiosk.context import web
from kiosk.live import public_snapshot

bp = Blueprint("display", __name__, url_prefix="/display")


@bp.get("/")
def home() -> str:
    """Open or closed, door states, a clock."""
    w = web()
    return render_template("display/home.html", site=w.config.site, snap=public_snapshot(w))
