"""/booking/<reference>: a booking's own page, on a phone on the hall's Wi-Fi (the kiosk
receipt's QR code opens it, and so does a request sent from kiosk/phone.py).

What anyone holding the reference may see (appliance.booking.whatson.public_view): room, times in
the site's timezone, status, the title only when public; never the organiser's contact
or a private title. The cancel code, shown once on the receipt, cancels it here: a
separate, rate-limited surface of the LAN (each address has a few tries per ten
minutes). English and Welsh; no JavaScript.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from appliance.booking import bookings, codes, rooms
from appliance.booking.bookings import BookingError
from appliance.booking.whatson import public_view
from kiosk.context import web
from kiosk.phone import NEW_CODE, allowed, friendly, layout, too_many

bp = Blueprint("booking_page", __name__, url_prefix="/booking")
bp.register_error_handler(HTTPException, friendly)



def status_words(status: str) -> str:
    """A booking's status in words, in the page's language."""
    words = {
        "confirmed": _("Confirmed"),
        "requested": _("Waiting for a volunteer to approve it"),
        "cancelled": _("Cancelled"),
        "declined": _("Declined"),
        "released": _("Released (nobody checked in)"),
    }
    return words.get(status, status)

CANCELLED = "phone_cancelled"  # session: the reference just cancelled, for the page after the redirect


def _booking(reference: str) -> bookings.Booking:
    try:
        return bookings.get_by_reference(web().db.conn(), reference)
    except BookingError:
        message = _("There is no booking with the reference %(ref)s. Check the letters on your receipt.",
                    ref=codes.normalise_code(reference)[:20] or "?")
        abort(make_response(render_template("phone/error.html", message=message, **layout()), 404))


def _page(booking: bookings.Booking, error: str = "", code: int = 200) -> tuple[str, int]:
    w = web()
    room = rooms.get_room(w.db.conn(), booking.room_id)
    view = public_view(booking, room, w.config)
    fresh = session.get(NEW_CODE) or {}
    new_code = fresh.get("code") if fresh.get("reference") == booking.reference else None
    if new_code and request.method == "GET":
        session.pop(NEW_CODE, None)  # shown once
    cancellable = booking.status in ("requested", "confirmed") and booking.end > w.clock.now()
    return render_template(
        # the whole date in the page's language: "Monday 2 March 2026", "Dydd Llun 2 Mawrth 2026"
        "phone/show.html", view=view, booking=booking,
        day=format_date(booking.start.astimezone(w.config.site.zone).date(), "EEEE d MMMM y"),
        status=status_words(view["status"]), new_code=new_code, cancellable=cancellable,
        just_cancelled=session.pop(CANCELLED, None) == booking.reference, error=error, **layout(),
    ), code


@bp.get("/<reference>")
def show(reference: str) -> Any:
    """One booking, for the person who made it; a request just sent shows its cancel code once."""
    booking = _booking(reference)
    if booking.reference != reference:
        return redirect(url_for("booking_page.show", reference=booking.reference), code=301)
    return _page(booking)


@bp.post("/<reference>/cancel")
def cancel(reference: str) -> Any:
    """Cancel with the code from the receipt (a few tries per address)."""
    w = web()
    booking = _booking(reference)
    ok, wait = allowed("cancel")
    if not ok:
        return too_many(_("Too many tries from this phone. Please wait %(min)d minutes, or ask at the entrance.",
                          min=max(1, wait // 60)), wait)
    try:
        bookings.cancel(w.db.conn(), w.config, booking.reference, request.form.get("code", "")[:64], w.clock.now())
    except bookings.WrongCode:
        return _page(booking, _("That cancel code does not match this booking. It is on your receipt, under the "
                                "reference."), code=403)
    except BookingError:
        return _page(bookings.get_booking(w.db.conn(), booking.id), _("This booking can no longer be cancelled."),
                     code=400)
    session[CANCELLED] = booking.reference
    return redirect(url_for("booking_page.show", reference=booking.reference), code=303)
