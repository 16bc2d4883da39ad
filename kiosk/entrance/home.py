"""/kiosk/: the entrance touchscreen's home, its language switch and its live fob
confirmations; any other /kiosk/ address gets the kiosk's own friendly 404."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any, NoReturn

from flask import Blueprint, Response, abort, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from appliance.core.clock import parse_iso
from appliance.core.config import Config
from appliance.decisions import ballots
from appliance.people import taps
from appliance.storage import settings, state
from appliance.views.public import is_open
from kiosk import i18n, live
from kiosk.access import from_kiosk_network
from kiosk.context import Web, web
from kiosk.entrance import rollcall, vote
from kiosk.entrance.frame import forget_outcomes, site_config
from kiosk.qr import problem

bp = Blueprint("home", __name__)

# A tap's first name is shown only this long after it, and only on the kiosk networks.
FOB_SHOW_SECONDS = 30


@bp.get("/")
def home() -> str:
    """The kiosk's home screen; ``?idle=1`` (the idle reset) also resets the language and
    forgets anything a form left for the next page and the roll-call's PIN."""
    if request.args.get("idle"):
        i18n.forget()
        forget_outcomes()
        rollcall.forget()
        vote.forget()
    w = web()
    return render_template(
        "entrance/home.html",
        open_ballots=ballots.open_now(w.db.conn(), w.clock.now()),
        rollcall=bool(site_config(w).kiosk.rollcall_pin) and from_kiosk_network(),
        setup_problem=firstboot_problem(w.config),
        phone_problem=problem() if w.config.bookings.phone_requests else None,
    )


FIRSTBOOT_ERROR = "firstboot-error.txt"


def firstboot_problem(config: Config) -> str | None:
    """The words image-build/firstboot.sh left when doorstep.toml from the SD card's boot
    partition could not be applied (it sits beside the database), for the screen to show."""
    path = Path(config.database.path).parent / FIRSTBOOT_ERROR
    try:
        return path.read_text(encoding="utf-8", errors="replace")[:2000].strip() or None
    except OSError:
        return None


@bp.post("/language")
def language() -> BaseResponse:
    """The language switch on every screen: remember the choice, go back where we were."""
    if not i18n.choose(request.form.get("lang", "")):
        abort(400, description="Unknown language.")
    target = request.form.get("next", "/kiosk/")
    # Only back to a kiosk page: the switch must not become a way off the kiosk.
    if not target.startswith("/kiosk/") or "//" in target or "\\" in target:
        target = "/kiosk/"
    return redirect(target, code=303)


def fob_outcome(w: Web) -> dict[str, Any]:
    """What the live stream sends: the open state and the latest fob tap (name only if fresh)."""
    now = w.clock.now()
    value = state.get(w.db.conn(), taps.LAST_FOB_KEY)
    last = None
    if isinstance(value, dict) and value:
        try:
            age = (now - parse_iso(str(value.get("at")))).total_seconds()
        except (TypeError, ValueError):
            age = FOB_SHOW_SECONDS + 1
        last = taps.last_fob_public(value, fresh=0 <= age <= FOB_SHOW_SECONDS)
    config = settings.effective(w.config, w.db.conn())  # each push, as Settings may change meanwhile
    return {"open": is_open(config, now), "fob": last}


live.register("kiosk", fob_outcome)


@bp.get("/live", endpoint="live")
def live_stream() -> Response:
    """Server-sent events for the open kiosk page (kiosk networks only: it carries a first name)."""
    if not from_kiosk_network():
        abort(403)
    return live.stream("kiosk")


@bp.get("/volunteers")
def volunteers() -> str:
    """For volunteers, on the entrance screen only: where the dashboard is, and the
    fingerprint of its HTTPS certificate to check when a browser asks."""
    if not from_kiosk_network():
        abort(403)
    w = web()
    host = socket.gethostname() or "doorstep"
    address = w.config.web.base_url.rstrip("/") or f"http://{host}.local:{w.config.web.port}"
    if w.https_port:
        address = f"https://{host}.local:{w.https_port}"
    groups = w.tls_fingerprint.split(":")
    lines = [":".join(groups[i:i + 8]) for i in range(0, len(groups), 8)] if w.tls_fingerprint else []
    return render_template("entrance/volunteers.html", dashboard=f"{address}/dashboard/", fingerprint_lines=lines)


@bp.get("/<path:unknown>")
def not_found(unknown: str) -> NoReturn:
    """Any other /kiosk/ address: the kiosk's own friendly page, with a way back to Home."""
    abort(404)
