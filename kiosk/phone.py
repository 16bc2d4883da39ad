"""/booking/: asking for a room from a phone on the hall's Wi-Fi. The QR code on the
kiosk's "Book a room" screen and on the display opens it.

Always a request: it holds the time and waits for an admin's approval on the dashboard,
whatever the room. The hall's Wi-Fi is shared with the public, so each address may send
``bookings.phone_requests_per_hour`` requests and at most
``bookings.phone_requests_waiting`` wait at once; ``bookings.phone_requests = false``
turns the asking off (looking up a booking still works). Room -> a day and a free start
time -> how long, a name, what for, a contact -> the booking's own page
(kiosk/booking_page.py) with its reference and cancel code. English and Welsh, sized for
a phone; no JavaScript.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from appliance.booking import availability, bookings, codes
from appliance.booking.rooms import Room, RoomError, get_bookable, list_rooms
from appliance.core.inputs import InputError, clean_text
from appliance.core.ratelimit import RateLimit, address_key
from kiosk import i18n
from kiosk.context import web
from kiosk.entrance.frame import site_config
from kiosk.i18n import weekday

bp = Blueprint("phone", __name__, url_prefix="/booking")

DAYS_SHOWN = 14
DURATIONS = (30, 60, 90, 120, 180, 240)
SLOT = "%Y-%m-%dT%H:%M"
NEW_CODE = "phone_new_code"  # session: the new booking's reference and cancel code, shown once
MAX_NAME = 120
CANCELS_PER_TEN_MINUTES = 10  # wrong codes cost a slow hash each; the receipt's code is right first time


def _setup(state: BlueprintSetupState) -> None:
    config = state.app.extensions["doorstep"].config
    state.app.extensions["phone_limits"] = {
        "request": RateLimit(config.bookings.phone_requests_per_hour, 3600),
        "cancel": RateLimit(CANCELS_PER_TEN_MINUTES, 600),
    }


bp.record_once(_setup)


def allowed(kind: str) -> tuple[bool, int]:
    """Whether this address may do ``kind`` now ('request' or 'cancel'), and if not, in how many seconds."""
    limit: RateLimit = current_app.extensions["phone_limits"][kind]
    key, now = address_key(request.remote_addr or ""), web().clock.monotonic()
    if limit.allow(key, now):
        return True, 0
    return False, limit.retry_after(key, now)


def too_many(message: str, wait: int) -> tuple[str, int, dict[str, str]]:
    """The friendly 429 page, with Retry-After."""
    return render_template("phone/error.html", message=message, **layout()), 429, {"Retry-After": str(max(wait, 1))}


def friendly(exc: HTTPException) -> tuple[str, int]:
    """An error on a phone page, in words and in the page's language."""
    if isinstance(exc, CSRFError):
        message = _("This page was open too long. Please go back and try again.")
    elif exc.code == 404:
        message = _("There is nothing here. Check the reference on your receipt, or start again.")
    else:
        message = _("Something went wrong. Nothing you did was lost; please try again.")
    return render_template("phone/error.html", message=message, **layout()), exc.code or 500


bp.register_error_handler(HTTPException, friendly)


def layout() -> dict[str, Any]:
    """What phone/layout.html needs: the site (with the Settings page's changes) and the language."""
    return {"site": site_config(web()).site, "lang": i18n.current(), "back_to": request.path}


def _room(room_id: str) -> Room:
    try:
        return get_bookable(web().db.conn(), room_id)
    except RoomError:
        abort(404)


def _asking_on() -> None:
    if not web().config.bookings.phone_requests:
        abort(404)


@bp.get("/")
def home() -> str:
    """The rooms to ask for, and a way to look up a booking by its reference."""
    w = web()
    rooms = list_rooms(w.db.conn(), bookable_only=True) if w.config.bookings.phone_requests else []
    return render_template("phone/home.html", rooms=rooms, asking=w.config.bookings.phone_requests,
                           missing=request.args.get("missing", "")[:20], **layout())


@bp.get("/find")
def find() -> BaseResponse:
    """The reference typed on the home page: its booking's page, or back with a sentence."""
    typed = codes.normalise_code(request.args.get("reference", ""))[:20]
    try:
        booking = bookings.get_by_reference(web().db.conn(), typed)
    except bookings.BookingError:
        return redirect(url_for("phone.home", missing=typed or "?", _anchor="find"), code=303)
    return redirect(url_for("booking_page.show", reference=booking.reference), code=303)


@bp.post("/language")
def language() -> BaseResponse:
    """The language buttons: remember the choice, back to the phone page we were on."""
    if not i18n.choose(request.form.get("lang", "")):
        abort(400)
    target = request.form.get("next", "/booking/")
    if not target.startswith("/booking/") or "//" in target or "\\" in target:
        target = "/booking/"
    return redirect(target, code=303)


@bp.get("/new/<room_id>")
def slots(room_id: str) -> str:
    """The next two weeks as day buttons; the chosen day's free start times."""
    _asking_on()
    w = web()
    room = _room(room_id)
    today = w.clock.now().astimezone(w.config.site.zone).date()
    days = [today + timedelta(days=n) for n in range(DAYS_SHOWN)]
    try:
        chosen = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        chosen = today
    chosen = chosen if chosen in days else today
    periods = availability.free_periods(w.db.conn(), room, chosen, w.config, w.clock.now())
    step = max(30, w.config.bookings.granularity_minutes)
    starts = availability.start_times(periods, w.config, step, timedelta(minutes=DURATIONS[0]))
    return render_template("phone/slots.html", room=room, days=days, chosen=chosen, starts=starts, fmt=SLOT,
                           weekday=weekday, **layout())


def _start(text: str) -> datetime:
    try:
        return datetime.strptime(text, SLOT).replace(tzinfo=web().config.site.zone)
    except ValueError:
        abort(404)


def _fits(room: Room, start: datetime) -> list[int]:
    """The lengths (minutes) that fit in the free time starting at ``start``."""
    w = web()
    return availability.lengths_that_fit(w.db.conn(), room, start, DURATIONS, w.config, w.clock.now())


def _form_page(room: Room, start: datetime, form: dict[str, str], error: str = "", code: int = 200,
               nearest: list[datetime] | None = None) -> tuple[str, int]:
    return render_template(
        "phone/form.html", room=room, start=start, start_text=start.strftime(SLOT), durations=_fits(room, start),
        form=form, error=error, nearest=nearest or [], fmt=SLOT, max_name=MAX_NAME,
        privacy_days=site_config(web()).privacy.booking_contact_days, **layout(),
    ), code


@bp.route("/new/<room_id>/<start>", methods=["GET", "POST"])
def ask(room_id: str, start: str) -> Any:
    """How long, who and what for; POST sends the request."""
    _asking_on()
    room = _room(room_id)
    at = _start(start)
    if request.method == "GET":
        return _form_page(room, at, {"minutes": "", "organiser": "", "title": "", "contact": "", "public": ""})
    form = {k: request.form.get(k, "") for k in ("minutes", "organiser", "title", "contact", "public")}
    try:
        organiser = clean_text(form["organiser"], _("name"), MAX_NAME, required=True)
        title = clean_text(form["title"], _("what it is"), MAX_NAME)
        contact = clean_text(form["contact"], _("phone or email"), MAX_NAME)
    except InputError:
        return _form_page(room, at, form, _("Please type your name (up to %(n)d letters); the other boxes are optional.",
                                            n=MAX_NAME), code=400)
    minutes = int(form["minutes"]) if form["minutes"].isdigit() else 0
    if minutes not in _fits(room, at):
        return _form_page(room, at, form, _("Please choose how long, from the times that are still free."), code=400)
    ok, wait = allowed("request")
    if not ok:
        return too_many(_("This phone has sent several requests in the last hour. Please try again in %(min)d "
                          "minutes, or ask at the entrance.", min=max(1, wait // 60)), wait)
    return _send(room, at, minutes, organiser, title, contact, form)


def _send(room: Room, start: datetime, minutes: int, organiser: str, title: str, contact: str,
          form: dict[str, str]) -> Any:
    w = web()
    wanted = bookings.BookingRequest(
        room=room.id, start=start, end=start + timedelta(minutes=minutes), title=title or organiser,
        organiser=organiser, contact=contact, public=bool(form["public"]), source="phone", ask_first=True,
    )
    try:
        booked = bookings.book(w.db.conn(), w.config, wanted, w.clock.now(),
                               waiting_max=w.config.bookings.phone_requests_waiting)
    except bookings.TooManyWaiting:
        return too_many(_("Many requests are already waiting for a volunteer. Please try again later, or ask at "
                          "the entrance."), 600)
    except bookings.Conflict as exc:
        nearest = [s.start.astimezone(w.config.site.zone) for s in exc.nearest]
        return _form_page(room, start, form, _("Sorry, someone has just booked that time. Here are the nearest "
                                               "free times:"), code=409, nearest=nearest)
    except bookings.BookingError:
        return _form_page(room, start, form, _("Sorry, that time can no longer be asked for. Please choose another."),
                          code=400)
    session[NEW_CODE] = {"reference": booked.booking.reference, "code": booked.cancel_code}
    return redirect(url_for("booking_page.show", reference=booked.booking.reference), code=303)
