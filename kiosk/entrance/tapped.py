"""/kiosk/tap: what the kiosk does for the person who just tapped their fob.

The agent records each tap (appliance/people/taps.py) and the open page hears of it over
its live stream with a short-lived token. With that token, and only from the kiosk
networks, the page may: ask a volunteer what they are here for (their shift first) and
record it; show a volunteer their shifts for the next two weeks, to take or give up with
one tap; and undo a sign-out the tap made ("Not leaving? Keep me signed in"). A later
tap by someone else, or a few minutes, ends the token.
"""

from __future__ import annotations

from datetime import date, time
from typing import Any

from babel.dates import format_datetime, format_time
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from appliance.people import taps, visits
from appliance.people.taps import Tap
from appliance.rota import door
from appliance.rota.shifts import Occurrence, RotaError
from appliance.storage import settings
from kiosk import i18n
from kiosk.access import from_kiosk_network, kiosk_write
from kiosk.context import web

bp = Blueprint("tapped", __name__)

# The nearest dates a volunteer can take, at most (the screen scrolls; the rest are on the dashboard).
MAX_OFFERED = 20
DONE_CODES = ("took", "gave", "activity")


def _tap() -> Tap:
    """The tap named by the request's token, fresh; else a friendly 'tap again' page."""
    if not from_kiosk_network():
        abort(403)
    w = web()
    token = (request.values.get("tap") or "")[:64]
    tap = taps.tap_of(w.db.conn(), token, w.clock.now())
    if tap is None:
        abort(410)
    return tap


def rota_error(exc: RotaError) -> str:
    """A rota refusal in the screen's language."""
    words = {
        "full": _("Sorry, that shift is full now."),
        "clash": _("You already have a shift at that time."),
        "too_late": _("It is too close to the start to give this up here. Please tell a coordinator."),
        "over": _("That shift is over."),
        "left_out": _("That shift is not on the rota any more."),
        "no_such_date": _("That shift is not on the rota any more."),
        "not_signed_in": _("You are not signed in. Tap your fob again."),
        "not_volunteer": _("Only volunteers have shifts here."),
    }
    return words.get(exc.code, _("Sorry, that did not work. Please try again."))


def when(occurrence: Occurrence, today: date) -> str:
    """A date of a shift as the screen shows it: "Today, 18:00–23:00", "Gwen 6 Maw, 18:00"."""
    zone = web().config.site.zone
    lang = i18n.current()
    start = occurrence.start.astimezone(zone)
    day = _("Today") if start.date() == today else format_datetime(start, "EEE d MMM", locale=lang)
    times = _hhmm(start.time(), lang)
    if not occurrence.start_only:
        times += "–" + _hhmm(occurrence.end.astimezone(zone).time(), lang)
    return f"{day}, {times}"


def _hhmm(moment: time, lang: str) -> str:
    return format_time(moment, "HH:mm", locale=lang)


def _screen(tap: Tap, *, error: str = "", code: int = 200, change: bool = False) -> tuple[str, int]:
    w = web()
    now = w.clock.now()
    config = settings.effective(w.config, w.db.conn())  # the give-up cut-off is a Setting
    try:
        rota = door.door_rota(w.db.conn(), config, tap, now)
    except RotaError as exc:
        return render_template("entrance/error.html", message=rota_error(exc)), 403
    today = now.astimezone(config.site.zone).date()
    done = request.args.get("done", "")
    page = render_template(
        "entrance/tapped.html",
        tap=tap,
        rota=rota,
        ask=rota.ask or (rota.activity is not None and change),
        offered=rota.offered[:MAX_OFFERED],
        more=max(len(rota.offered) - MAX_OFFERED, 0),
        when=lambda occurrence: when(occurrence, today),
        done=done if done in DONE_CODES else "",
        error=error,
    )
    return page, code


@bp.get("/tap")
def screen() -> tuple[str, int]:
    """After a volunteer's tap: what are you here for (if not known), your shifts, shifts to take."""
    tap = _tap()
    if not tap.volunteer:
        abort(410)
    return _screen(tap, change=request.args.get("change") == "1")


def _back_to_screen(tap: Tap, done: str) -> Response:
    return redirect(url_for("entrance.tapped.screen", tap=tap.token, done=done), code=303)


@bp.post("/tap/activity")
@kiosk_write
def activity() -> Any:
    """Record what the volunteer who just signed in by fob is here for."""
    tap = _tap()
    w = web()
    chosen = request.form.get("activity", "")[:200]
    try:
        door.choose_activity(w.db.conn(), w.config, tap, chosen)
    except RotaError as exc:
        return _screen(tap, error=rota_error(exc), code=400, change=True)
    return _back_to_screen(tap, "activity")


@bp.post("/tap/shifts")
@kiosk_write
def shifts() -> Any:
    """Take a date (``take``) or give one up (``give_up``): one tap each."""
    tap = _tap()
    w = web()
    now = w.clock.now()
    config = settings.effective(w.config, w.db.conn())
    try:
        if "take" in request.form:
            door.take(w.db.conn(), config, tap, request.form["take"][:80], now)
            done = "took"
        elif "give_up" in request.form:
            door.give_up(w.db.conn(), config, tap, request.form["give_up"][:80], now)
            done = "gave"
        else:
            abort(400, description="Choose a shift to take or to give up.")
    except RotaError as exc:
        return _screen(tap, error=rota_error(exc), code=409)
    return _back_to_screen(tap, done)


@bp.post("/tap/keep")
@kiosk_write
def keep() -> Any:
    """"Not leaving? Keep me signed in": undo the sign-out the tap just made."""
    tap = _tap()
    w = web()
    try:
        with w.db.write() as conn:
            taps.keep_signed_in(conn, tap, w.clock.now())
    except visits.VisitError:
        return render_template("entrance/error.html", message=_("That was already changed. Tap your fob again.")), 409
    return redirect(url_for("entrance.tapped.kept", tap=tap.token), code=303)


@bp.get("/tap/kept")
def kept() -> str:
    """What the person sees after undoing a sign-out."""
    tap = _tap()
    return render_template(
        "entrance/done.html",
        heading=_("%(name)s, you are still signed in.", name=tap.first_name),
        detail=_("Please sign out when you leave."),
    )
