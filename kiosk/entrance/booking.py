"""/kiosk/book and /kiosk/whatson: booking a room on the touchscreen, and today's list.

Room → day with free start times → duration → name and optional contact → confirm →
(redirect) a receipt with the reference, the cancel code (shown once) and a QR code, made
on the server as inline SVG, that opens the booking on the LAN. The rules (buffers, approval, hours) are the bookings
domain's; a slot taken meanwhile is explained with the nearest free ones.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from appliance.booking import attendance, availability, bookings
from appliance.booking import whatson as listings
from appliance.booking.rooms import Room, RoomError, get_bookable, get_room, list_rooms
from appliance.core.inputs import FIRST_YEAR, LAST_YEAR, InputError, check_date, check_moment
from appliance.people import identify
from kiosk.access import from_kiosk_network, kiosk_write
from kiosk.context import web
from kiosk.entrance.frame import MAX_TYPED, Typed, remember, site_config, take, typed
from kiosk.qr import phone_url, problem, qr_svg

bp = Blueprint("booking", __name__)

DAYS_SHOWN = 7
DURATIONS = (30, 60, 90, 120, 180, 240)
SLOT_FORMAT = "%Y-%m-%dT%H:%M"


def _room(room_id: str) -> Room:
    try:
        return get_bookable(web().db.conn(), room_id)
    except RoomError:
        abort(404)


def _local(at: datetime) -> datetime:
    return at.astimezone(web().config.site.zone)


def _parse_start(text: str) -> datetime:
    try:
        naive = datetime.strptime(text, SLOT_FORMAT)
    except ValueError:
        abort(404)
    at = naive.replace(tzinfo=web().config.site.zone)
    try:
        check_date(naive.date(), "start")  # the year 1 or 9999 would overflow the day's maths
        check_moment(at, "start")
    except InputError:
        abort(400, description=_("Rooms can be booked for dates in the years %(first)s to %(last)s only.",
                                 first=FIRST_YEAR, last=LAST_YEAR))
    return at


def _step() -> int:
    # Touch targets every half hour (or the grid, if coarser) keep the page short.
    return max(30, web().config.bookings.granularity_minutes)


def start_times(periods: list[availability.Slot]) -> list[datetime]:
    """Local start times offered on the slot page: on the step, leaving room for the shortest booking."""
    return availability.start_times(periods, web().config, _step(), timedelta(minutes=DURATIONS[0]))


@bp.get("/book")
def book() -> str:
    """Choose a room."""
    w = web()
    rooms = list_rooms(w.db.conn(), bookable_only=True)
    phone_qr = None
    if w.config.bookings.phone_requests and problem() is None:
        phone_qr = qr_svg(phone_url("phone.home"), _("QR code to book from your phone"))
    return render_template("entrance/book_rooms.html", rooms=rooms, phone_qr=phone_qr)


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
    return availability.lengths_that_fit(w.db.conn(), room, start, DURATIONS, w.config, w.clock.now())


@bp.get("/book/<room_id>/<start>")
def book_duration(room_id: str, start: str) -> str:
    """How long: only the durations that fit."""
    room = _room(room_id)
    at = _parse_start(start)
    return render_template("entrance/book_duration.html", room=room, start=at, start_text=start, durations=_fits(room, at))


def _details_page(room: Room, start: datetime, minutes: int, form: dict[str, str], error: str = "",
                  nearest: list[availability.Slot] | None = None, code: int = 200, asking: bool = False,
                  field: str = "") -> tuple[str, int]:
    page = render_template(
        "entrance/book_details.html", room=room, start=start, end=start + timedelta(minutes=minutes),
        start_text=start.strftime(SLOT_FORMAT), minutes=minutes, form=form, error=error, error_field=field,
        max_typed=MAX_TYPED,
        nearest=[_local(s.start) for s in (nearest or [])], fmt=SLOT_FORMAT,
        # the days the retention purge uses, which the Settings page may have changed
        privacy_days=site_config(web()).privacy.booking_contact_days,
        # a member can book with their fob (only the Pi's own screen has a reader)
        fob=from_kiosk_network() and web().config.cardreader.enabled or asking, asking=asking,
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
    form = {k: request.form.get(k, "")[: 10 * MAX_TYPED] for k in ("organiser", "title", "contact", "public")}
    if request.form.get("action") == "fob":
        # "Book with my fob": the member's next tap says who they are (appliance.people.identify)
        with w.db.write() as conn:
            identify.ask(conn, w.clock.now())
        return _details_page(room, start, minutes, form, asking=True)
    cleaned: dict[str, str] = {}
    for name in ("organiser", "title", "contact"):
        try:
            cleaned[name] = typed(form[name], required_message=_("Please type your name.") if name == "organiser" else "")
        except Typed as exc:
            return _details_page(room, start, minutes, form, str(exc), code=400, field=name)
    member = identify.peek(w.db.conn(), w.clock.now())
    wanted = bookings.BookingRequest(
        room=room.id, start=start, end=start + timedelta(minutes=minutes),
        title=cleaned["title"] or cleaned["organiser"], organiser=cleaned["organiser"], contact=cleaned["contact"],
        public=bool(form["public"]), person_id=member, made_by="kiosk",
    )
    try:
        booked = bookings.book(w.db.conn(), w.config, wanted, w.clock.now())
        if member is not None:
            with w.db.write() as conn:
                identify.forget(conn)
    except bookings.Conflict as exc:
        message = _("Sorry, someone has just booked that time. Here are the nearest free times:")
        return _details_page(room, start, minutes, form, message, nearest=exc.nearest, code=409)
    except bookings.BookingError as exc:
        message = _("Sorry, that could not be booked: %(reason)s", reason=str(exc))
        return _details_page(room, start, minutes, form, message, code=400)
    # The cancel code exists only here and in the session until the receipt is shown once.
    remember("booked", booking=booked.booking.id, code=booked.cancel_code)
    return redirect(url_for("entrance.booking.receipt"), code=303)


@bp.get("/book/done")
def receipt() -> Any:
    """The receipt: reference, the cancel code (this once) and a QR code. It goes back to
    the start after ``kiosk.receipt_seconds``; a reload or the back button finds nothing."""
    w = web()
    outcome = take("booked")
    if outcome is None:
        return redirect(url_for("entrance.home.home"))
    try:
        booking = bookings.get_booking(w.db.conn(), int(outcome["booking"]))
        room = get_room(w.db.conn(), booking.room_id)
    except (bookings.UnknownBooking, RoomError, KeyError, TypeError, ValueError):
        return redirect(url_for("entrance.home.home"))
    url = booking_url(booking.reference)
    # a code pointing at the Pi itself would open nothing on a phone (the kiosk's home says why)
    qr = qr_svg(url, _("QR code of your booking")) if problem() is None else None
    return render_template(
        "entrance/book_done.html", booking=booking, room=room, start=_local(booking.start), end=_local(booking.end),
        code=str(outcome.get("code", "")), url=url, qr=qr, by_fob=booking.person_id is not None,
        idle_seconds=site_config(w).kiosk.receipt_seconds,
    )


def booking_url(reference: str) -> str:
    """The booking's page as a phone on the hall's network opens it (kiosk/booking_page.py)."""
    return phone_url("booking_page.show", reference=reference)


@bp.get("/whatson")
def whatson() -> str:
    """Today's public bookings per room: on now and next (private ones show as 'Booked'), and
    on the Pi's own screen a "We're here" button for each room whose booking can check in."""
    w = web()
    conn, now = w.db.conn(), w.clock.now()
    rooms = listings.now_and_next(conn, w.config, now)
    today = listings.todays_public(conn, w.config, now)
    checkin = {b.room_id for b in attendance.open_for_check_in(conn, w.config, now)} if from_kiosk_network() else set()
    return render_template("entrance/whatson.html", rooms=rooms, today=today, hhmm=lambda s: s[11:16],
                           checkin=checkin)
