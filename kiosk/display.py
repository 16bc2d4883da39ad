"""/display/: the big status screen in the hall or the radio studio. No login; never a name.

It shows only appliance.status's public picture (counts, states, room names and public
booking titles). The page is rendered on the server; a live stream re-sends the same
partial after every database change and display.js swaps it in.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template

from appliance import settings
from appliance.status import snapshot
from kiosk.context import Web, web
from kiosk.live import sse

bp = Blueprint("display", __name__, url_prefix="/display")


def public(w: Web) -> dict[str, Any]:
    """The public status with the dashboard's setting overrides (site name, opening hours)."""
    conn = w.db.conn()
    config = settings.effective(w.config, conn)
    snap = snapshot(conn, config, w.clock.now())
    if config.display.busy_as == "band":
        # the site chose words over numbers (e.g. so "1 person in" never tells who is alone)
        snap["people_in"] = None
    return snap


def _board(w: Web) -> dict[str, str]:
    snap = public(w)
    return {"board": render_template("display/_board.html", snap=snap)}


@bp.get("/")
def home() -> str:
    """Open or closed, how busy, rooms now and next, a clock; updated live."""
    w = web()
    snap = public(w)
    site = settings.effective(w.config, w.db.conn()).site
    return render_template("display/home.html", snap=snap, site=site, timezone=site.timezone)


@bp.get("/live")
def live() -> Response:
    """The board as server-sent events, re-sent after every change."""
    return sse(_board, name="board")
