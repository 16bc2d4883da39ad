"""/kiosk/: the entrance touchscreen."""

from __future__ import annotations

from flask import Blueprint, render_template

from kiosk.context import web

bp = Blueprint("entrance", __name__, url_prefix="/kiosk")


@bp.get("/")
def home() -> str:
    """The kiosk's home screen."""
    return render_template("entrance/home.html", site=web().config.site)
