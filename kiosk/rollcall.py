"""/dashboard/rollcall: the fire roll-call, one tap from every dashboard page.

Nothing on it comes from the internet and it needs no JavaScript, so it works with the
internet down; print.css gives a clean sheet a marshal can carry out of the building.
The same list is on the kiosk behind a PIN (kiosk/entrance/rollcall.py).
"""

from __future__ import annotations

from flask import Blueprint, render_template

from appliance.people.rollcall import roll_call
from appliance.storage import settings
from kiosk.auth import current_admin, login_required
from kiosk.context import web

bp = Blueprint("rollcall", __name__)


@bp.get("/dashboard/rollcall")
@login_required
def dashboard() -> str:
    """Everyone signed in now (for admins)."""
    w = web()
    conn = w.db.conn()
    config = settings.effective(w.config, conn)
    roll = roll_call(conn, config, w.clock.now())
    return render_template("rollcall/list.html", site=config.site, roll=roll, admin=current_admin())
