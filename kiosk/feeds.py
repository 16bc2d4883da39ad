"""/calendar: the iCalendar feeds (built by appliance.booking.calendars). Public feeds show private
bookings as "Booked" and leave private rooms out; the private feeds (real titles, every
room) need the secret token an admin can rotate."""

from __future__ import annotations

from flask import Blueprint, Response, abort

from appliance.booking import calendars, rooms
from kiosk.context import web

bp = Blueprint("feeds", __name__, url_prefix="/calendar")


def _ics(body: bytes, name: str) -> Response:
    return Response(body, mimetype="text/calendar", headers={"Content-Disposition": f'inline; filename="{name}.ics"'})


def _feed(room_id: str | None, private: bool) -> Response:
    w = web()
    conn = w.db.conn()
    if room_id is not None:
        try:
            rooms.get_room(conn, room_id)
        except rooms.UnknownRoom as exc:
            abort(404, description=str(exc))
    try:
        body = calendars.feed(conn, w.config, w.clock.now(), room_id, private)
    except calendars.CalendarError:
        abort(404)  # a private room's public feed looks like no room at all
    return _ics(body, room_id or "all")


@bp.get("/all.ics")
def site_feed() -> Response:
    """Every room's bookings, private titles shown as "Booked"."""
    return _feed(None, private=False)


@bp.get("/<room_id>.ics")
def room_feed(room_id: str) -> Response:
    """One room's bookings, private titles shown as "Booked"."""
    return _feed(room_id, private=False)


@bp.get("/private/<token>/all.ics")
def private_site_feed(token: str) -> Response:
    """Every booking with its real title (the secret token URL)."""
    if not calendars.valid_token(web().db.conn(), token):
        abort(404)  # a wrong token looks like nothing is there
    return _feed(None, private=True)


@bp.get("/private/<token>/<room_id>.ics")
def private_room_feed(token: str, room_id: str) -> Response:
    """One room's bookings with real titles (the secret token URL)."""
    if not calendars.valid_token(web().db.conn(), token):
        abort(404)
    return _feed(room_id, private=True)
