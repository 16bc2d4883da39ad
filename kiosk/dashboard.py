"""/dashboard/: the screen for the people who run the space (login required).

The page is rendered whole on the server; a live stream then sends the same section
partials re-rendered after every database change (one shared ChangeWatcher wakes every
stream; there is no poll per client), and dashboard.js swaps them in.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, render_template

from appliance.core.clock import parse_iso
from appliance.decisions import ballots, results
from appliance.people import sessions
from appliance.storage import settings
from appliance.views.overview import day_bounds, overview
from kiosk import charts, live
from kiosk.auth import current_admin, current_session, login_required
from kiosk.context import Web, web

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

# Each live section: its id on the page and the partial that draws it.
SECTIONS = ("occupancy", "doors", "footfall", "people", "bookings", "rota", "decisions", "health")


@bp.app_template_filter("site_time")
def site_time(value: str | datetime | None, fmt: str = "%H:%M") -> str:
    """An ISO time or datetime shown in the site's timezone ('' for none)."""
    if value is None or value == "":
        return ""
    try:
        when = parse_iso(value) if isinstance(value, str) else value
        return when.astimezone(web().config.site.zone).strftime(fmt)
    except (ValueError, TypeError, AttributeError):
        return str(value)  # an odd value shows as it is rather than break the page


def _context(w: Web) -> dict[str, Any]:
    now = w.clock.now()
    config = settings.effective(w.config, w.db.conn())  # open/closed and closing follow the Settings page
    data = overview(w.db.conn(), config, now)
    start, end = day_bounds(w.config, now)
    zone = w.config.site.zone
    return {
        "site": config.site,
        "o": data,
        "curve_svg": charts.steps(data["curve"], "Occupancy today", start.astimezone(zone), end.astimezone(zone)),
        "footfall_svg": charts.bars(data["footfall"], "People in, per hour today"),
        "footfall_total": sum(data["footfall"]),
        # open ballots' turnout and those closed lately (counts only once closed)
        "ballots_now": [results.result(w.db.conn(), b, now) for b in
                        ballots.open_now(w.db.conn(), now) + ballots.closed_since(w.db.conn(), now - results.SHOWN_FOR, now)],
    }


def render_sections(w: Web) -> dict[str, str]:
    """Every live section's HTML, for the stream."""
    ctx = _context(w)
    return {name: render_template(f"dashboard/_{name}.html", **ctx) for name in SECTIONS}


def _sessions_open(w: Web, grants: Iterable[str]) -> set[str]:
    """Which watching dashboards' sessions are still open (a live dashboard ends with its login)."""
    return sessions.still_open(w.db.conn(), grants, w.clock.now(), w.config.web)


live.register("sections", render_sections, _sessions_open)


@bp.get("/")
@login_required
def home() -> str:
    """Occupancy, doors, footfall, who is in, bookings, health; updated live."""
    w = web()
    return render_template("dashboard/home.html", admin=current_admin(), sections=SECTIONS, **_context(w))


@bp.get("/live", endpoint="live")
@login_required
def live_stream() -> Response:
    """The dashboard's sections as server-sent events, re-sent after every change."""
    sid = current_session()
    return live.stream("sections", grant=sessions.hash_id(sid) if sid else None)
