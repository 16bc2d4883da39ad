"""/display/: the big status screen in the hall or the radio studio. No login; never a name.

It shows only appliance.status's public picture (counts, states, room names and public
booking titles). The page is rendered on the server; a live stream re-sends the same
partial after every database change and display.js swaps it in.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from appliance import settings
from kiosk.context import Web, web
from kiosk.live import public_snapshot, sse

bp = Blueprint("display", __name__, url_prefix="/display")


def _board(w: Web) -> dict[str, str]:
    snap = public_snapshot(w)
    return {"board": render_template("display/_board.html", snap=snap)}


@bp.get("/")
def home() -> str:
    """Open or closed, how busy, rooms now and next, a clock; updated live."""
    w = web()
    config = settings.effective(w.config, w.db.conn())
    snap = public_snapshot(w, config)
    site = config.site
    return render_template("display/home.html", snap=snap, site=site, timezone=site.timezone)


@bp.get("/live")
def live() -> Response:
    """The board as server-sent events, re-sent after every change."""
    return sse(_board, name="board")
