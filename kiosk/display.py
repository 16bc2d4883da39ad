"""/display/: the big status screen in the hall or the radio studio. No login; never a name.

It shows only appliance.views.public's picture (counts, states, room names and public booking titles)
and the rest of today's public bookings, in the site's language, over the whole screen.
The page is rendered on the server; a live stream re-sends the same board after every
database change and display.js swaps it in. The board is made of partials
(templates/display/_*.html) so a new part has its own place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, render_template
from flask_babel import gettext as _

from appliance.booking import whatson
from appliance.core.config import Config
from appliance.storage import settings
from appliance.views.public import PRIVATE_TITLE
from kiosk import live
from kiosk.context import Web, web
from kiosk.i18n import site_language
from kiosk.live import public_snapshot
from kiosk.qr import phone_url, problem, qr_svg

bp = Blueprint("display", __name__, url_prefix="/display")

# How many of the day's later bookings fit under the rooms on a hall screen.
LATER_SHOWN = 8


def board(w: Web, config: Config | None = None) -> dict[str, Any]:
    """What the board shows: the public snapshot and the rest of today's public bookings."""
    config = config or settings.effective(w.config, w.db.conn())
    snap = public_snapshot(w, config)
    # the snapshot's times are RFC 3339 with the site's offset, the listing's local: compare moments
    following = {(r["room"], datetime.fromisoformat(r["next"]["start"])) for r in snap["rooms"] if r["next"]}
    later = [b for b in whatson.later_today(w.db.conn(), config, w.clock.now())
             if (b["room"]["id"], datetime.fromisoformat(b["start"])) not in following]
    return {"snap": snap, "later": later, "later_shown": LATER_SHOWN, "private": PRIVATE_TITLE,
            "lang": config.site.language}


def _board(w: Web) -> dict[str, str]:
    values = board(w)
    with site_language(values["lang"]):
        return {"board": render_template("display/_board.html", **values)}


live.register("board", _board)


@bp.get("/")
def home() -> str:
    """Open or closed, how busy, rooms now and next, the rest of today, a clock; updated live."""
    w = web()
    config = settings.effective(w.config, w.db.conn())
    values = board(w, config)
    with site_language(values["lang"]):
        phone_qr = None
        if w.config.bookings.phone_requests and problem() is None:
            phone_qr = qr_svg(phone_url("phone.home"), _("QR code to book from your phone"))
        return render_template("display/home.html", site=config.site, timezone=config.site.timezone,
                               phone_qr=phone_qr, **values)


@bp.get("/live", endpoint="live")
def live_stream() -> Response:
    """The board as server-sent events, re-sent after every change."""
    return live.stream("board")
