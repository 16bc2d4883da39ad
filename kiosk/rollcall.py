"""The fire roll-call page: one tap from the dashboard, and on the kiosk behind a PIN.

Nothing on it comes from the internet and it needs no JavaScript, so it works with the
internet down; print.css gives a clean sheet a marshal can carry out of the building.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, abort, render_template, request

from appliance import admins, settings
from appliance.rollcall import roll_call
from kiosk.auth import current_admin, login_required
from kiosk.context import web

bp = Blueprint("rollcall", __name__)

# The kiosk PIN's attempts share the login lockout (5 wrong in 5 minutes), under this name.
PIN_ACCOUNT = "kiosk-rollcall-pin"


def _render(back: str, **extra: Any) -> str:
    w = web()
    conn = w.db.conn()
    config = settings.effective(w.config, conn)
    roll = roll_call(conn, config, w.clock.now())
    return render_template("rollcall/list.html", site=config.site, roll=roll, back=back, **extra)


@bp.get("/dashboard/rollcall")
@login_required
def dashboard() -> str:
    """Everyone signed in now (for admins)."""
    return _render(back="dashboard", admin=current_admin())


@bp.route("/kiosk/rollcall", methods=["GET", "POST"])
def kiosk() -> Any:
    """The PIN form; the right PIN shows the list."""
    w = web()
    pin = w.config.kiosk.rollcall_pin
    if not pin:
        abort(404, description="The roll-call is not available on the kiosk: set kiosk.rollcall_pin in the config.")
    error = None
    status = 200
    if request.method == "POST":
        conn = w.db.conn()
        now = w.clock.now()
        address = request.remote_addr or "unknown"
        if admins.lock_state(conn, PIN_ACCOUNT, address, now) is not None:
            error, status = "Too many wrong PINs. Wait five minutes, or use the dashboard.", 429
        elif hmac.compare_digest(request.form.get("pin", "").strip().encode(), pin.encode()):
            admins.record_attempt(conn, PIN_ACCOUNT, address, "ok", now)
            return _render(back="kiosk")
        else:
            admins.record_attempt(conn, PIN_ACCOUNT, address, "failed", now)
            error, status = "That PIN is not right. Try again.", 401
    site = settings.effective(w.config, w.db.conn()).site
    return render_template("rollcall/pin.html", site=site, error=error), status
