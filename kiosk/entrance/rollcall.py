"""/kiosk/rollcall: the fire roll-call on the entrance screen, behind a PIN.

A kiosk screen like the others (the kiosk's layout, language, on-screen keyboard, idle
reset). The right PIN is remembered in the session for a few minutes and the browser is
sent to the list (post/redirect/get, so a reload never sends the PIN again); the idle
reset takes the list off the screen and forgets the PIN, so the names do not wait there.
"""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from appliance.core.clock import iso, parse_iso
from appliance.people.rollcall import roll_call
from kiosk.access import from_kiosk_network
from kiosk.context import web
from kiosk.entrance.frame import site_config
from kiosk.entrance.visits import kind_labels

bp = Blueprint("rollcall", __name__)

# The name the kiosk PIN's wrong tries are counted under (appliance/people/lockout.py):
# per address, so guesses from another screen never stop the kiosk's own roll-call.
PIN_ACCOUNT = "kiosk-rollcall-pin"
GRANT_KEY = "rollcall_until"
# How long a right PIN shows the list without asking again (the idle reset ends it sooner).
GRANT = timedelta(minutes=10)


def _pin() -> str:
    pin = site_config(web()).kiosk.rollcall_pin
    if not pin:
        abort(404, description="The roll-call is not available on the kiosk: set kiosk.rollcall_pin in the config.")
    return pin


def _granted() -> bool:
    until = session.get(GRANT_KEY)
    try:
        return isinstance(until, str) and parse_iso(until) > web().clock.now()
    except ValueError:
        return False


def forget() -> None:
    """End the PIN's grant (the idle reset)."""
    session.pop(GRANT_KEY, None)


@bp.route("/rollcall", methods=["GET", "POST"])
def pin() -> Any:
    """The PIN form (kiosk networks only); the right PIN leads to the list."""
    if not from_kiosk_network():
        abort(403, description="The roll-call PIN is only accepted on the entrance screen itself.")
    w = web()
    expected = _pin()
    error = ""
    status = 200
    if request.method == "POST":
        conn = w.db.conn()
        now = w.clock.now()
        address = request.remote_addr or "unknown"
        too_many = _("Too many wrong PINs. Wait five minutes, or use the dashboard.")
        if w.pins.locked_until(conn, PIN_ACCOUNT, address, now) is not None:
            error, status = too_many, 429
        elif hmac.compare_digest(request.form.get("pin", "").strip().encode(), expected.encode()):
            w.pins.succeeded(PIN_ACCOUNT, address)
            session[GRANT_KEY] = iso(now + GRANT)
            return redirect(url_for("entrance.rollcall.people"), code=303)
        elif w.pins.failed(conn, PIN_ACCOUNT, address, now) is not None:
            error, status = too_many, 429
        else:
            error, status = _("That PIN is not right. Try again."), 401
    return render_template("entrance/rollcall_pin.html", error=error), status


@bp.get("/rollcall/list")
def people() -> Any:
    """Everyone signed in now, for a marshal at the door (only after the right PIN)."""
    if not from_kiosk_network():
        abort(403, description="The roll-call is only shown on the entrance screen itself.")
    _pin()
    if not _granted():
        return redirect(url_for("entrance.rollcall.pin"))
    w = web()
    config = site_config(w)
    return render_template("entrance/rollcall_list.html", roll=roll_call(w.db.conn(), config, w.clock.now()),
                           kind_names=kind_labels())
