"""/kiosk/checkin/<room>: "We're here", the group's check-in on the touchscreen.

What's on shows the button beside each room whose booking can check in now (from
``bookings.checkin_window_minutes`` before it starts until it ends). The group types the
booking reference from their receipt, or the organiser's whole name; a match checks the
booking in, so it is not released as a no-show. The page names no one and shows no
reference, and a wrong guess gets the same words whatever is booked.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _

from appliance.booking import attendance
from appliance.booking.rooms import RoomError, get_room
from kiosk.access import kiosk_write
from kiosk.context import web

bp = Blueprint("checkin", __name__)


def _page(room_id: str, error: str = "", code: int = 200) -> tuple[str, int]:
    w = web()
    try:
        room = get_room(w.db.conn(), room_id)
    except RoomError:
        abort(404)
    now = w.clock.now()
    due = attendance.open_for_check_in(w.db.conn(), w.config, now, room.id)
    return render_template("entrance/checkin.html", room=room, due=due, error=error), code


@bp.route("/checkin/<room_id>", methods=["GET", "POST"])
def checkin(room_id: str) -> Any:
    """The check-in form for a room; POST checks in the booking the words match."""
    if request.method == "GET":
        return _page(room_id)
    return _do_checkin(room_id)


@kiosk_write
def _do_checkin(room_id: str) -> Any:
    w = web()
    words = request.form.get("words", "").strip()[:200]
    if not words:
        return _page(room_id, _("Please type your booking reference or the organiser's name."), 400)
    with w.db.write() as conn:
        booking = attendance.check_in_by_words(conn, w.config, room_id, words, w.clock.now())
    if booking is None:
        message = _("That does not match a booking in this room now. Check the reference on your receipt, "
                    "or type the organiser's whole name, or ask a volunteer.")
        return _page(room_id, message, 400)
    room = get_room(w.db.conn(), room_id)
    return render_template("entrance/done.html", heading=_("Welcome!"),
                           detail=_("You're checked in. Enjoy %(room)s.", room=room.name))
