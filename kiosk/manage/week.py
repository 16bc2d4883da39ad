"""/dashboard/manage/bookings/week: one room's week as a grid (appliance.booking.weekgrid),
the view people know from MRBS and LibreBooking. A free cell links to New booking with the
room and the time filled in; a booked one to the booking."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, request

from appliance.booking import rooms, weekgrid
from appliance.core.inputs import InputError, parse_date
from kiosk.auth import login_required
from kiosk.context import web
from kiosk.manage.forms import render

bp = Blueprint("week", __name__)

# A booking started from a free cell lasts an hour, or to the end of the free time.
CLICKED_LENGTH = timedelta(hours=1)


def _day(text: str | None) -> date:
    w = web()
    today = w.clock.now().astimezone(w.config.site.zone).date()
    try:
        return parse_date(text, "week") if text else today
    except InputError:
        return today


@bp.get("/bookings/week")
@login_required
def week_view() -> str:
    """The week (Monday to Sunday) of one room, with links to the weeks before and after."""
    w = web()
    conn = w.db.conn()
    all_rooms = rooms.list_rooms(conn)
    if not all_rooms:
        return render("manage/week.html", grid=None, rooms=[], room=None)
    room_id = request.args.get("room") or all_rooms[0].id
    room = next((r for r in all_rooms if r.id == room_id), None)
    if room is None:
        abort(404, description=f"There is no room {room_id[:40]!r}; choose one from the list.")
    monday = weekgrid.week_start(_day(request.args.get("day")))
    grid = weekgrid.week_grid(conn, room, monday, w.config, w.clock.now())
    return render("manage/week.html", grid=grid, rooms=all_rooms, room=room, monday=monday,
                  prev_week=monday - timedelta(days=7), next_week=monday + timedelta(days=7),
                  clicked=CLICKED_LENGTH, zone=w.config.site.zone)
