"""Managing bookings: the day's list per room, approve / decline / cancel, edit one
booking, and for a series: edit this occurrence or this and the following ones, cancel
one occurrence or the rest of the series.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import abort, redirect, request, url_for

from appliance import bookings, rooms, series, whatson
from kiosk.auth import login_required
from kiosk.context import web
from kiosk.manage import FormErrors, admin_action, admin_name, bp, checkbox, render, whole_number

WALL = "%Y-%m-%dT%H:%M"


def _day(text: str | None) -> date:
    """The day asked for (site's local date), today when not given or not a date."""
    w = web()
    today = w.clock.now().astimezone(w.config.site.zone).date()
    try:
        return date.fromisoformat(text) if text else today
    except ValueError:
        return today


def _booking_or_404(booking_id: int) -> bookings.Booking:
    try:
        return bookings.get_booking(web().db.conn(), booking_id)
    except bookings.UnknownBooking:
        abort(404, description=f"There is no booking #{booking_id}.")


@bp.get("/bookings")
@login_required
def bookings_list() -> str:
    """Every booking of one day (site time, any status), per room; and everything waiting for approval."""
    w = web()
    conn = w.db.conn()
    zone = w.config.site.zone
    day = _day(request.args.get("day"))
    room_filter = request.args.get("room", "")
    all_rooms = rooms.list_rooms(conn)
    listed = whatson.day_bookings(conn, day, w.config, room=room_filter or None)
    per_room = [(room, [b for b in listed if b.room_id == room.id])
                for room in all_rooms if not room_filter or room.id == room_filter]
    return render("manage/bookings.html", day=day, prev_day=day - timedelta(days=1), next_day=day + timedelta(days=1),
                  rooms=all_rooms, room_filter=room_filter, per_room=per_room,
                  pending=bookings.pending_approval(conn), names={r.id: r.name for r in all_rooms}, zone=zone)


def _back(booking: bookings.Booking, message: str) -> Any:
    day = booking.start.astimezone(web().config.site.zone).date().isoformat()
    return redirect(url_for("manage.bookings_list", day=day, done=message))


_ACTIONS = {"approve": "booking_approved", "decline": "booking_declined", "cancel": "booking_cancelled",
            "cancel_following": "series_cancelled"}


def _decision(booking_id: int, action: str) -> Any:
    w = web()
    booking = _booking_or_404(booking_id)
    admin_call = {"approve": bookings.approve, "decline": bookings.decline}
    try:
        with admin_action(_ACTIONS[action], f"booking {booking.reference}") as act:
            if action == "cancel":
                bookings.cancel_by_admin(act.conn, w.config, booking_id, admin_name(), w.clock.now())
            elif action == "cancel_following":
                if booking.series_id is None:
                    raise bookings.BookingError(f"booking {booking.reference} is not part of a series")
                count = series.cancel_series(act.conn, w.config, booking.series_id, w.clock.now(), booking.start)
                act.detail = f"series {booking.series_id} from {booking.reference}: {count} cancelled"
            else:
                admin_call[action](act.conn, w.config, booking_id, admin_name(), w.clock.now())
    except bookings.BookingError as exc:
        return _back(booking, f"Not done: {exc}.")
    words = {"approve": "approved", "decline": "declined", "cancel": "cancelled",
             "cancel_following": "cancelled with the rest of its series"}
    return _back(booking, f"Booking {booking.reference} {words[action]}.")


@bp.post("/bookings/<int:booking_id>/approve")
@login_required
def booking_approve(booking_id: int) -> Any:
    """Approve a requested booking."""
    return _decision(booking_id, "approve")


@bp.post("/bookings/<int:booking_id>/decline")
@login_required
def booking_decline(booking_id: int) -> Any:
    """Decline a requested booking."""
    return _decision(booking_id, "decline")


@bp.post("/bookings/<int:booking_id>/cancel")
@login_required
def booking_cancel(booking_id: int) -> Any:
    """Cancel one booking (one occurrence of a series: the rest stays)."""
    return _decision(booking_id, "cancel")


@bp.post("/bookings/<int:booking_id>/cancel-following")
@login_required
def booking_cancel_following(booking_id: int) -> Any:
    """Cancel this occurrence and every later one, and stop the series."""
    return _decision(booking_id, "cancel_following")


def _values(booking: bookings.Booking) -> dict[str, Any]:
    zone = web().config.site.zone
    return {
        "title": booking.title, "organiser": booking.organiser, "contact": booking.contact,
        "group": booking.group, "headcount": "" if booking.headcount is None else str(booking.headcount),
        "public": booking.public, "start": booking.start.astimezone(zone).strftime(WALL),
        "end": booking.end.astimezone(zone).strftime(WALL), "scope": "this",
    }


def _parse(form: Any, errors: FormErrors) -> dict[str, Any]:
    w = web()
    changes: dict[str, Any] = {}
    for name, label in (("start", "Start"), ("end", "End")):
        try:
            changes[name] = bookings.parse_time(form.get(name, ""), w.config)
        except bookings.BookingError:
            errors[name] = f"{label}: give a date and time, like 2026-03-02T18:30."
    for name, label in (("title", "Title"), ("organiser", "Organiser")):
        if not form.get(name, "").strip():
            errors[name] = f"{label} is needed."
        changes[name] = form.get(name, "").strip()
    changes["contact"] = form.get("contact", "").strip()
    changes["group"] = form.get("group", "").strip()
    changes["headcount"] = whole_number(form, "headcount", errors, "Expected headcount", optional=True, minimum=1)
    changes["public"] = checkbox(form, "public")
    if "start" in changes and "end" in changes and changes["end"] <= changes["start"]:
        errors["end"] = "End must be after the start."
    return changes


@bp.route("/bookings/<int:booking_id>/edit", methods=["GET", "POST"])
@login_required
def booking_edit(booking_id: int) -> Any:
    """Edit a booking; for a series occurrence, this one or this and the following ones."""
    w = web()
    booking = _booking_or_404(booking_id)
    errors = FormErrors()
    room_name = rooms.get_room(w.db.conn(), booking.room_id).name
    if request.method == "GET":
        return render("manage/booking_form.html", booking=booking, values=_values(booking), errors=errors,
                      room_name=room_name)
    form = request.form
    scope = form.get("scope", "this")
    changes = _parse(form, errors)
    conflicts: list[dict[str, Any]] = []
    if not errors:
        try:
            with admin_action("booking_edited", f"booking {booking.reference}") as act:
                if booking.series_id is not None and scope in ("this", "following"):
                    ids = series.edit_occurrence(act.conn, w.config, booking_id, w.clock.now(), scope, **changes)
                    act.detail = f"booking {booking.reference} ({scope}: {len(ids)} changed)"
                else:
                    bookings.edit(act.conn, w.config, booking_id, w.clock.now(), **changes)
        except series.SeriesConflict as exc:
            errors["_form"] = str(exc).capitalize() + "."
            conflicts = exc.conflicts
        except bookings.Conflict as exc:
            errors["start"] = f"{str(exc).capitalize()}."
        except bookings.BookingError as exc:
            errors["_form"] = f"{str(exc).capitalize()}."
    if errors:
        values = {**form.to_dict(), "public": checkbox(form, "public"), "scope": scope}
        return render("manage/booking_form.html", booking=booking, values=values, errors=errors,
                      room_name=room_name, conflicts=conflicts), 400
    return _back(bookings.get_booking(w.db.conn(), booking_id), f"Booking {booking.reference} saved.")
