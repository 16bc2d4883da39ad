"""/kiosk/book and /kiosk/whatson: booking a room on the touchscreen, and today's list.

Room → day with free start times → duration → name and optional contact → confirm →
a reference, the cancel code (shown once) and a QR code, made on the server as inline SVG,
that opens the booking on the LAN. The rules (buffers, approval, hours) are the bookings
domain's; a slot taken meanwhile is explained with the nearest free ones.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import segno
from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from appliance import availability, bookings
from appliance import whatson as listings
from appliance.rooms import Room, RoomError, get_room, list_rooms
from kiosk.access import kiosk_write
from kiosk.context import web
from kiosk.entrance import bp, site_config

DAYS_SHOWN = 7
DURATIONS = (30, 60, 90, 120, 180, 240)
SLOT_FORMAT = "%Y-%m-%dT%H:%M"


def _room(room_id: str) -> Room:
    try:
        room = get_room(web().db.conn(), room_id)
    except RoomError:
        abort(404)
    if not room.bookable:
        abort(404)
    return room


def _local(at: datetime) -> datetime:
    return at.astimezone(web().config.site.zone)


def _parse_start(text: str) -> datetime:
    try:
        naive = datetime.strptime(text, SLOT_FORMAT)
    except ValueError:
        abort(404)
    return naive.replace(tzinfo=web().config.site.zone)


def _step() -> int:
    # Touch targets every half hour (or the grid, if coarser) keep the page short.
    return max(30, web().config.bookings.granularity_minutes)


def start_times(periods: list[availability.Slot]) -> list[datetime]:
    """Local start times offered on the slot page: on the step, leaving room for the shortest booking."""
    step = timedelta(minutes=_step())
    shortest = timedelta(minutes=DURATIONS[0])
    starts = []
    for period in periods:
        at = _local(period.start)
        minute = at.minute % _step()
        if minute:
            at += timedelta(minutes=_step() - minute)
        while at + shortest <= _local(period.end):
            starts.append(at)
            at += step
    return starts


@bp.get("/book")
def book() -> str:
    """Choose a room."""
    rooms = list_rooms(web().db.conn(), bookable_only=True)
    return render_template("entrance/book_rooms.html", rooms=rooms)


@bp.get("/book/<room_id>")
def book_room(room_id: str) -> str:
    """Today and the next days; the chosen day's free start times as big buttons."""
    w = web()
    room = _room(room_id)
    today = _local(w.clock.now()).date()
    days = [today + timedelta(days=n) for n in range(DAYS_SHOWN)]
    try:
        chosen = date.fromisoformat(request.args.get("day", today.isoformat()))
    except ValueError:
        chosen = today
    if chosen not in days:
        chosen = today
    periods = availability.free_periods(w.db.conn(), room, chosen, w.config, w.clock.now())
    return render_template(
        "entrance/book_slots.html", room=room, days=days, chosen=chosen, starts=start_times(periods),
        fmt=SLOT_FORMAT,
    )


def _fits(room: Room, start: datetime) -> list[int]:
    """Durations (minutes) that fit in the free period containing ``start``."""
    w = web()
    periods = availability.free_periods(w.db.conn(), room, start.date(), w.config, w.clock.now())
    for period in periods:
        if period.start <= start < period.end:
            return [m for m in DURATIONS if start + timedelta(minutes=m) <= period.end]
    return []


@bp.get("/book/<room_id>/<start>")
def book_duration(room_id: str, start: str) -> str:
    """How long: only the durations that fit."""
    room = _room(room_id)
    at = _parse_start(start)
    return render_template("entrance/book_duration.html", room=room, start=at, start_text=start, durations=_fits(room, at))


def _details_page(room: Room, start: datetime, minutes: int, form: dict[str, str], error: str = "",
                  nearest: list[availability.Slot] | None = None, code: int = 200) -> tuple[str, int]:
    page = render_template(
        "entrance/book_details.html", room=room, start=start, end=start + timedelta(minutes=minutes),
        start_text=start.strftime(SLOT_FORMAT), minutes=minutes, form=form, error=error,
        nearest=[_local(s.start) for s in (nearest or [])], fmt=SLOT_FORMAT,
        # the days the retention purge uses, which the Settings page may have changed
        privacy_days=site_config(web()).privacy.booking_contact_days,
    )
    return page, code


@bp.route("/book/<room_id>/<start>/<int:minutes>", methods=["GET", "POST"])
def book_details(room_id: str, start: str, minutes: int) -> Any:
    """Name, what it is and an optional contact; POST books."""
    room = _room(room_id)
    at = _parse_start(start)
    if minutes not in DURATIONS:
        abort(404)
    if request.method == "GET":
        return _details_page(room, at, minutes, {"organiser": "", "title": "", "contact": "", "public": ""})
    return _do_book(room, at, minutes)


@kiosk_write
def _do_book(room: Room, start: datetime, minutes: int) -> Any:
    w = web()
    form = {k: request.form.get(k, "").strip()[:200] for k in ("organiser", "title", "contact", "public")}
    if not form["organiser"]:
        return _details_page(room, start, minutes, form, _("Please type your name."), code=400)
    wanted = bookings.BookingRequest(
        room=room.id, start=start, end=start + timedelta(minutes=minutes),
        title=form["title"] or form["organiser"], organiser=form["organiser"], contact=form["contact"],
        public=bool(form["public"]),
    )
    try:
        booked = bookings.book(w.db.conn(), w.config, wanted, w.clock.now())
    except bookings.Conflict as exc:
        message = _("Sorry, someone has just booked that time. Here are the nearest free times:")
        return _details_page(room, start, minutes, form, message, nearest=exc.nearest, code=409)
    except bookings.BookingError as exc:
        message = _("Sorry, that could not be booked: %(reason)s", reason=str(exc))
        return _details_page(room, start, minutes, form, message, code=400)
    booking = booked.booking
    url = booking_url(booking.reference)
    return render_template(
        "entrance/book_done.html", booking=booking, room=room, start=_local(booking.start), end=_local(booking.end),
        code=booked.cancel_code, url=url, qr=qr_svg(url),
    )


def booking_url(reference: str) -> str:
    """The booking's page on the LAN (kiosk/booking_page.py), from ``web.base_url`` or this request's host."""
    base = web().config.web.base_url.rstrip("/") or request.host_url.rstrip("/")
    return base + url_for("booking_page.show", reference=reference)


def qr_svg(url: str) -> Markup:
    """A QR code of ``url`` as inline SVG (made here: nothing is fetched)."""
    svg = segno.make(url, error="m").svg_inline(scale=5, border=2, title=_("QR code of your booking"))
    return Markup(svg)


@bp.get("/whatson")
def whatson() -> str:
    """Today's public bookings per room: on now and next (private ones show as 'Booked')."""
    w = web()
    conn, now = w.db.conn(), w.clock.now()
    rooms = listings.now_and_next(conn, w.config, now)
    today = listings.todays_public(conn, w.config, now)
    return render_template("entrance/whatson.html", rooms=rooms, today=today, hhmm=lambda s: s[11:16])
