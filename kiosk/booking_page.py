"""/booking/<reference>: the page a booking's QR code opens on a phone on the LAN.

What anyone holding the reference may see (appliance.whatson.public_view): room, times
in the site's timezone, status, the title only when public. Never the organiser's
contact, the cancel code or a private title. Read-only: cancelling takes the cancel
code at the entrance screen (writes come from the kiosk networks only).
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, render_template

from appliance import bookings, rooms
from appliance.bookings import BookingError
from appliance.whatson import public_view
from kiosk.context import web

bp = Blueprint("booking_page", __name__, url_prefix="/booking")

STATUS_WORDS = {
    "confirmed": "Confirmed",
    "requested": "Waiting for a volunteer to approve it",
    "cancelled": "Cancelled",
    "declined": "Declined",
    "released": "Released (nobody checked in)",
}


@bp.get("/<reference>")
def show(reference: str) -> str:
    """One booking, for the person who made it."""
    w = web()
    conn = w.db.conn()
    try:
        booking = bookings.get_by_reference(conn, reference)
        room = rooms.get_room(conn, booking.room_id)
    except BookingError:
        abort(404, description=f"There is no booking with the reference {reference[:20]!r}. Check the receipt.")
    view = public_view(booking, room, w.config)
    start = datetime.fromisoformat(view["start"])
    end = datetime.fromisoformat(view["end"])
    return render_template(
        "booking/show.html",
        site=w.config.site,
        view=view,
        day=start.strftime("%A %-d %B %Y"),
        times=f"{start:%H:%M}–{end:%H:%M}",
        status=STATUS_WORDS.get(view["status"], view["status"]),
    )
