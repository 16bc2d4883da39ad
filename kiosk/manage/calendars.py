"""/dashboard/manage/calendars: the calendar feeds and .ics import (appliance.booking.calendars).

The public feeds' addresses; the private feed's secret link (real titles), made or
replaced here and shown once as an address and a QR code (only a hash is kept, so a
lost link is replaced, not shown again: the old one stops working at once); and an
import of an .ics file into a room: first what would be booked, what clashes and what is
skipped, then the import itself, with one cancel code for everything it booked.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import Blueprint, make_response, redirect, request, session, url_for

from appliance.booking import calendars, rooms
from appliance.core.inputs import InputError, clean_text
from kiosk.auth import login_required
from kiosk.context import web
from kiosk.manage.forms import FormErrors, admin_action, render, sentence
from kiosk.qr import phone_url, qr_svg, reach_problem

bp = Blueprint("calendars", __name__)

NEW_LINK = "calendar_link"  # the session key that carries a new private link to the page, once
MAX_ICS_BYTES = 1024 * 1024  # an export of years of a busy calendar is a few hundred KB


def _page(errors: FormErrors | None = None, report: calendars.ImportReport | None = None,
          values: dict[str, Any] | None = None, data: str = "", code: int = 200) -> Any:
    w = web()
    conn = w.db.conn()
    token = session.pop(NEW_LINK, None)
    private = phone_url("feeds.private_site_feed", token=token) if token else ""
    all_rooms = rooms.list_rooms(conn)
    body = render(
        "manage/calendars.html", errors=errors or FormErrors(), report=report, values=values or {}, data=data,
        site_feed=phone_url("feeds.site_feed"),
        room_feeds=[(r, phone_url("feeds.room_feed", room_id=r.id)) for r in all_rooms],
        bookable=[r for r in all_rooms if r.bookable], made=calendars.private_link_made(conn),
        private=private, private_qr=qr_svg(private, "QR code of the private calendar link") if private else "",
        private_rooms=[(r, phone_url("feeds.private_room_feed", token=token, room_id=r.id)) for r in all_rooms] if token else [],
        problem=reach_problem(),
    )
    response = make_response(body, code)
    response.headers["Cache-Control"] = "no-store"  # the new link is shown once; keep it out of the cache
    return response


@bp.get("/calendars")
@login_required
def calendars_page() -> Any:
    """The feeds' addresses, the private link, and the import form."""
    return _page()


@bp.post("/calendars/private")
@login_required
def private_link() -> Any:
    """Make the private feeds' secret link (or a new one: the old one stops working)."""
    w = web()
    with admin_action("calendar_link_made") as act:
        token = calendars.rotate_calendar_token(act.conn, w.clock.now())
    session[NEW_LINK] = token
    return redirect(url_for("manage.calendars.calendars_page", _anchor="private"), code=303)


def _upload(errors: FormErrors) -> bytes | None:
    """The .ics file sent with the form, or the one the preview carried over to the import."""
    carried = request.form.get("data", "")
    if carried:
        try:
            return base64.b64decode(carried.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            errors["file"] = "The file from the preview could not be read back; choose it again."
            return None
    data = b""
    for upload in request.files.getlist("file"):
        with upload.stream:  # a large upload is spooled to a temporary file: close it
            data = data or upload.read(MAX_ICS_BYTES + 1)
    if not data:
        errors["file"] = "Choose an .ics file (a calendar exported from Google, Outlook, Nextcloud...)."
        return None
    if len(data) > MAX_ICS_BYTES:
        errors["file"] = f"That file is larger than {MAX_ICS_BYTES // 1024} KB; export a shorter period."
        return None
    return data


@bp.post("/calendars/import")
@login_required
def import_calendar() -> Any:
    """A dry run (what would be booked, what clashes, what is skipped), or the import itself."""
    w = web()
    form = request.form
    errors = FormErrors()
    values = {"room": form.get("room", ""), "organiser": form.get("organiser", "")}
    try:
        organiser = clean_text(values["organiser"], "organiser", 200, required=True)
    except InputError as exc:
        errors["organiser"] = str(exc)
    data = _upload(errors)
    if not any(r.id == values["room"] and r.bookable for r in rooms.list_rooms(w.db.conn())):
        errors["room"] = "Choose the room to book the events into."
    if errors or data is None:
        return _page(errors, values=values, code=400)
    real = form.get("action") == "import"
    try:
        if real:
            with admin_action("calendar_imported") as act:
                report = calendars.import_ics(act.conn, w.config, values["room"], data, organiser, w.clock.now(), dry_run=False)
                act.detail = f"room {values['room']}: {len(report.booked)} booked"
        else:
            report = calendars.import_ics(w.db.conn(), w.config, values["room"], data, organiser, w.clock.now())
    except (calendars.CalendarError, ValueError) as exc:
        errors["file"] = sentence(str(exc))
        return _page(errors, values=values, code=400)
    carried = "" if real else base64.b64encode(data).decode("ascii")
    return _page(report=report, values=values, data=carried)
