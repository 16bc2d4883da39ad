"""/dashboard/: the screen for the people who run the space."""

from __future__ import annotations

from flask import Blueprint, render_template

from kiosk.auth import login_required
from kiosk.context import web
from kiosk.live import public_snapshot

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@bp.get("/")
@login_required
def home() -> str:
    """Live door states and health."""
    w = web()
    return render_template("dashboard/home.html", site=w.config.site, snap=public_snapshot(w))
