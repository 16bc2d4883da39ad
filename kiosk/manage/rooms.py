"""Managing rooms: the list, and one form for creating and editing a room."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, request, url_for
from werkzeug.wrappers import Response

from appliance.booking import rooms
from kiosk.auth import login_required
from kiosk.context import web
from kiosk.manage.forms import FormErrors, admin_action, checkbox, render, whole_number

bp = Blueprint("rooms", __name__)

DAY_NAMES = dict(zip(rooms.DAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
                     strict=True))


def _form_values(room: rooms.Room | None) -> dict[str, Any]:
    """What the form shows for a stored room (or a new one)."""
    room = room or rooms.Room(id="", name="")
    values: dict[str, Any] = room.as_dict()
    values["capacity"] = "" if room.capacity is None else str(room.capacity)
    for day in rooms.DAYS:
        values[f"hours_{day}"] = (room.opening_hours or {}).get(day, "")
    return values


def _parse(form: Any, errors: FormErrors) -> dict[str, Any]:
    """The room fields from a submitted form; problems go into ``errors`` by field."""
    hours = {day: form.get(f"hours_{day}", "").strip() for day in rooms.DAYS}
    fields = {
        "name": form.get("name", "").strip(),
        "capacity": whole_number(form, "capacity", errors, "Capacity", optional=True, minimum=1),
        "bookable": checkbox(form, "bookable"),
        "public": checkbox(form, "public"),
        "setup_minutes": whole_number(form, "setup_minutes", errors, "Set-up buffer") or 0,
        "cleanup_minutes": whole_number(form, "cleanup_minutes", errors, "Clean-up buffer") or 0,
        "needs_approval": checkbox(form, "needs_approval"),
        "release_no_shows": checkbox(form, "release_no_shows"),
        # Blank days take the site's hours; a room with no day filled in follows the site.
        "opening_hours": {day: value for day, value in hours.items() if value} or None,
        "accessibility": form.get("accessibility", "").strip(),
    }
    if not fields["name"]:
        errors["name"] = "A room needs a name."
    return fields


def _field_for(message: str) -> str:
    """Which field a RoomError is about, so the sentence shows next to it."""
    for day in rooms.DAYS:
        if f"for {day}" in message or f"{day!r}" in message:
            return f"hours_{day}"
    for needle, name in (("room id", "id"), ("id ", "id"), ("capacity", "capacity"), ("set-up", "setup_minutes"),
                         ("clean-up", "cleanup_minutes"), ("name", "name")):
        if needle in message:
            return name
    return "_form"


@bp.get("/rooms")
@login_required
def rooms_list() -> str:
    """Every room."""
    return render("manage/rooms.html", rooms=rooms.list_rooms(web().db.conn()))


@bp.route("/rooms/new", methods=["GET", "POST"])
@login_required
def room_new() -> Any:
    """Create a room."""
    return _room_form(None)


@bp.route("/rooms/<room_id>", methods=["GET", "POST"])
@login_required
def room_edit(room_id: str) -> Any:
    """Edit a room."""
    try:
        room = rooms.get_room(web().db.conn(), room_id)
    except rooms.UnknownRoom:
        abort(404, description=f"There is no room {room_id!r}.")
    return _room_form(room)


def _room_form(room: rooms.Room | None) -> Any:
    errors = FormErrors()
    if request.method == "GET":
        return render("manage/room_form.html", room=room, values=_form_values(room), errors=errors, days=DAY_NAMES)
    form = request.form
    fields = _parse(form, errors)
    room_id = room.id if room else form.get("id", "").strip()
    if room is None and not room_id:
        errors["id"] = "A room needs a short id (lowercase letters, digits, '-' or '_'), e.g. 'green-room'."
    if not errors:
        try:
            if room is None:
                with admin_action("room_created", f"room {room_id}") as act:
                    rooms.create_room(act.conn, rooms.Room(id=room_id, **fields), web().clock.now())
            else:
                with admin_action("room_changed", f"room {room_id}") as act:
                    rooms.update_room(act.conn, room_id, **fields)
        except rooms.RoomError as exc:
            errors[_field_for(str(exc))] = str(exc)[:1].upper() + str(exc)[1:] + "."
    if errors:
        # Re-render with exactly what was typed, so nothing is lost.
        values = {**form.to_dict(), **{k: checkbox(form, k) for k in
                                       ("bookable", "public", "needs_approval", "release_no_shows")}}
        values["id"] = room_id
        return render("manage/room_form.html", room=room, values=values, errors=errors, days=DAY_NAMES), 400
    response: Response = redirect(url_for("manage.rooms.rooms_list", saved=room_id))
    return response
