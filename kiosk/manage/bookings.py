"""Managing bookings: the day's list per room, approve / decline / cancel, edit one
booking, and for a series: edit this occurrence or this and the following ones, cancel
one occurrence or the rest of the series.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, abort, redirect, request, url_for

from appliance.booking import attendance, bookings, rooms, series, whatson
from appliance.booking.availability import Slot
from appliance.core.clock import parse_iso
from appliance.core.inputs import InputError, parse_date
from appliance.people import register
from kiosk.auth import login_required
from kiosk.context import web
from kiosk.manage.forms import (
    FormErrors,
    admin_action,
    admin_name,
    checkbox,
    render,
    sentence,
    slot_value,
    whole_number,
)

bp = Blueprint("bookings", __name__)

WALL = "%Y-%m-%dT%H:%M"


def _day(text: str | None) -> date:
    """The day asked for (site's local date), today when not given; a 400 in words for a
    date that is not one, or outside the years Doorstep accepts."""
    w = web()
    if not text:
        return w.clock.now().astimezone(w.config.site.zone).date()
    try:
        return parse_date(text, "day")
    except InputError as exc:
        abort(400, description=str(exc))


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
                  pending=bookings.pending_approval(conn), names={r.id: r.name for r in all_rooms}, zone=zone,
                  can_check_in={b.id for b in attendance.open_for_check_in(conn, w.config, w.clock.now())},
                  releasing={r.id for r in all_rooms if r.release_no_shows})


def _back(booking: bookings.Booking, message: str) -> Any:
    day = booking.start.astimezone(web().config.site.zone).date().isoformat()
    return redirect(url_for("manage.bookings.bookings_list", day=day, done=message))


_ACTIONS = {"approve": "booking_approved", "decline": "booking_declined", "cancel": "booking_cancelled",
            "cancel_following": "series_cancelled", "checkin": "booking_checked_in"}


def _decision(booking_id: int, action: str) -> Any:
    w = web()
    booking = _booking_or_404(booking_id)
    admin_call = {"approve": bookings.approve, "decline": bookings.decline}
    try:
        with admin_action(_ACTIONS[action], f"booking {booking.reference}") as act:
            if action == "cancel":
                bookings.cancel_by_admin(act.conn, w.config, booking_id, admin_name(), w.clock.now())
            elif action == "checkin":
                attendance.check_in(act.conn, w.config, booking_id, w.clock.now(), by="dashboard")
            elif action == "cancel_following":
                if booking.series_id is None:
                    raise bookings.BookingError(f"booking {booking.reference} is not part of a series")
                count = series.cancel_series(act.conn, w.config, booking.series_id, w.clock.now(), booking.start)
                act.detail = f"series {booking.series_id} from {booking.reference}: {count} cancelled"
            else:
                admin_call[action](act.conn, w.config, booking_id, admin_name(), w.clock.now())
    except bookings.BookingError as exc:
        return _back(booking, f"Not done: {sentence(str(exc))}")
    words = {"approve": "approved", "decline": "declined", "cancel": "cancelled",
             "cancel_following": "cancelled with the rest of its series", "checkin": "checked in"}
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


@bp.post("/bookings/<int:booking_id>/checkin")
@login_required
def booking_checkin(booking_id: int) -> Any:
    """Check a group in from the day list (they arrived; the booking is not released)."""
    return _decision(booking_id, "checkin")


@bp.post("/bookings/<int:booking_id>/cancel-following")
@login_required
def booking_cancel_following(booking_id: int) -> Any:
    """Cancel this occurrence and every later one, and stop the series."""
    return _decision(booking_id, "cancel_following")


@bp.get("/bookings/<int:booking_id>/cancel")
@login_required
def booking_cancel_confirm(booking_id: int) -> str:
    """'Cancel this booking?': what would go, a red button to do it and a way back."""
    return _confirm(booking_id, "cancel")


@bp.get("/bookings/<int:booking_id>/cancel-following")
@login_required
def booking_cancel_following_confirm(booking_id: int) -> str:
    """'Cancel this date and every later one?', before anything is cancelled."""
    return _confirm(booking_id, "cancel_following")


def _confirm(booking_id: int, action: str) -> str:
    w = web()
    booking = _booking_or_404(booking_id)
    room = rooms.get_room(w.db.conn(), booking.room_id)
    target = {"cancel": "manage.bookings.booking_cancel",
              "cancel_following": "manage.bookings.booking_cancel_following"}[action]
    return render("manage/booking_confirm.html", booking=booking, room=room, action=action,
                  target=url_for(target, booking_id=booking_id),
                  back=url_for("manage.bookings.bookings_list",
                               day=booking.start.astimezone(w.config.site.zone).date().isoformat()))


def _values(booking: bookings.Booking) -> dict[str, Any]:
    zone = web().config.site.zone
    return {
        "title": booking.title, "organiser": booking.organiser, "contact": booking.contact,
        "group": booking.group, "headcount": "" if booking.headcount is None else str(booking.headcount),
        "public": booking.public, "start": booking.start.astimezone(zone).strftime(WALL),
        "end": booking.end.astimezone(zone).strftime(WALL), "scope": "this",
        "person_id": "" if booking.person_id is None else str(booking.person_id),
        "release_if_no_show": booking.release_if_no_show,
    }


def _parse(form: Any, errors: FormErrors) -> dict[str, Any]:
    w = web()
    changes: dict[str, Any] = {}
    for name, label in (("start", "Start"), ("end", "End")):
        try:
            changes[name] = bookings.parse_time(form.get(name, ""), w.config)
        except bookings.BookingError:
            errors[name] = f"{label}: give a date and time, like 2026-03-02T18:30."
    if slot := form.get("slot", ""):  # one of the nearest free slots, offered after a clash
        try:
            first, _, second = slot.partition("|")
            changes["start"], changes["end"] = parse_iso(first), parse_iso(second)
        except ValueError:
            errors["start"] = "That free slot could not be read; type the times instead."
    for name, label in (("title", "Title"), ("organiser", "Organiser")):
        if not form.get(name, "").strip():
            errors[name] = f"{label} is needed."
        changes[name] = form.get(name, "").strip()
    changes["contact"] = form.get("contact", "").strip()
    changes["group"] = form.get("group", "").strip()
    changes["headcount"] = whole_number(form, "headcount", errors, "Expected headcount", optional=True, minimum=1)
    changes["public"] = checkbox(form, "public")
    # the organiser as a member or volunteer: their fob checks the booking in (and it is theirs for privacy)
    changes["person_id"] = whole_number(form, "person_id", errors, "Member or volunteer", optional=True, minimum=1)
    changes["release_if_no_show"] = checkbox(form, "release_if_no_show")
    if "start" in changes and "end" in changes and changes["end"] <= changes["start"]:
        errors["end"] = "End must be after the start."
    return changes


def _people(booking: bookings.Booking) -> list[register.Person]:
    """Who the organiser may be: everyone active, and whoever the booking is linked to now."""
    conn = web().db.conn()
    people = register.list_people(conn)
    linked = register.get(conn, booking.person_id) if booking.person_id is not None else None
    if linked is not None and linked.id not in {p.id for p in people}:
        people.append(linked)
    return people


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
                      room_name=room_name, people=_people(booking))
    form = request.form
    scope = form.get("scope", "this")
    changes = _parse(form, errors)
    conflicts: list[dict[str, Any]] = []
    nearest: list[Slot] = []
    if not errors:
        try:
            with admin_action("booking_edited", f"booking {booking.reference}") as act:
                if booking.series_id is not None and scope in ("this", "following"):
                    ids = series.edit_occurrence(act.conn, w.config, booking_id, w.clock.now(), scope, **changes)
                    act.detail = f"booking {booking.reference} ({scope}: {len(ids)} changed)"
                else:
                    bookings.edit(act.conn, w.config, booking_id, w.clock.now(), **changes)
        except series.SeriesConflict as exc:
            errors["_form"] = sentence(str(exc))
            conflicts = exc.conflicts
        except bookings.Conflict as exc:
            errors["start"] = sentence(str(exc))
            nearest = exc.nearest
        except bookings.BookingError as exc:
            errors["_form"] = sentence(str(exc))
    if errors:
        values = {**form.to_dict(), "public": checkbox(form, "public"), "scope": scope,
                  "release_if_no_show": checkbox(form, "release_if_no_show")}
        return render("manage/booking_form.html", booking=booking, values=values, errors=errors,
                      room_name=room_name, conflicts=conflicts, people=_people(booking), nearest=nearest,
                      slot_value=slot_value), 400
    return _back(bookings.get_booking(w.db.conn(), booking_id), f"Booking {booking.reference} saved.")
