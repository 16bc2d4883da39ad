"""/kiosk/signin and /kiosk/signout: signing in by kind (visitor, member, volunteer) and
out by whole name or member number.

A public screen's manners: every write comes from the kiosk networks (``kiosk_write``)
with a CSRF token; nothing typed is shown to anyone else; errors are friendly pages. A
form that worked answers with a redirect to /kiosk/done (post/redirect/get), which shows
the greeting once and goes back to the start after ``kiosk.done_seconds``: a reload never
signs anyone in twice, and nobody's name waits there for the next person.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from appliance.people import visits
from kiosk import i18n
from kiosk.access import kiosk_write
from kiosk.context import web
from kiosk.entrance.frame import MAX_TYPED, Typed, remember, site_config, take, typed

bp = Blueprint("visits", __name__)


def kind_labels() -> dict[str, str]:
    """How each kind of visit is named on the buttons (unknown kinds show as configured)."""
    known = {"visitor": _("Visitor"), "member": _("Member"), "volunteer": _("Volunteer")}
    return {kind: known.get(kind, kind.capitalize()) for kind in web().config.kiosk.visit_kinds}


def retention_line(kind: str) -> str:
    """The one line saying what is kept and for how long, in the screen's language: the days
    the purge uses, so the Settings page's value, not only the file's."""
    days = visits.retention_days(site_config(web()), kind)
    if visits.by_name_only(kind):
        return _("We keep your name and reason for %(days)d days, then delete them. Nothing is published.", days=days)
    return _("We keep this visit for %(days)d days for volunteer and membership reports. Nothing is published.", days=days)


@bp.get("/signin")
def signin() -> str:
    """Choose the kind of visit."""
    return render_template("entrance/signin_kind.html", kinds=web().config.kiosk.visit_kinds, kind_labels=kind_labels())


def _blank_form() -> dict[str, str]:
    return {"name": "", "surname": "", "visiting": "", "activity": ""}


# Typed member numbers are paused like a PIN (appliance/people/lockout.py), keyed by what
# was typed: five misses for one number (guessing its surname) pause that number, twenty
# misses of any kind (trying numbers) pause typed numbers at this kiosk. A fob still works.
def _typed_key(text: str) -> str:
    return "number:" + " ".join(text.split()).casefold()[:80]


def number_paused(w: Any, text: str) -> bool:
    """Whether typed numbers (this one, or any at this kiosk) are paused after repeated misses."""
    address = request.remote_addr or "unknown"
    return w.numbers.locked_until(w.db.conn(), _typed_key(text), address, w.clock.now()) is not None


def number_missed(w: Any, text: str) -> bool:
    """Count a miss for what was typed; True when it starts a pause."""
    address = request.remote_addr or "unknown"
    return w.numbers.failed(w.db.conn(), _typed_key(text), address, w.clock.now()) is not None


def number_matched(w: Any, text: str) -> None:
    """A right number and surname: that number's misses start afresh."""
    w.numbers.succeeded(_typed_key(text), request.remote_addr or "unknown")


def paused_words() -> str:
    """What the screen says while typed numbers are paused."""
    return _("Too many tries. Please wait five minutes, tap your fob, or ask a volunteer.")


def activity_choices() -> list[tuple[str, str]]:
    """(stored name, name on screen in this language) of each activity a volunteer can choose."""
    kiosk = site_config(web()).kiosk  # activities as the Settings page has them
    lang = i18n.current()
    return [(activity, kiosk.activity_name(activity, lang)) for activity in kiosk.activities]


def _signin_page(kind: str, form: dict[str, str], error: str = "", code: int = 200,
                 field: str = "name") -> tuple[str, int]:
    page = render_template(
        "entrance/signin_form.html",
        kind=kind,
        kind_labels=kind_labels(),
        activities=activity_choices(),
        notice=retention_line(kind),
        form=form,
        error=error,
        error_field=field if error else "",
        by_name=visits.by_name_only(kind),
        max_typed=MAX_TYPED,
    )
    return page, code


@bp.route("/signin/<kind>", methods=["GET", "POST"])
def signin_form(kind: str) -> Any:
    """The sign-in form for one kind; POST signs in."""
    w = web()
    if kind not in w.config.kiosk.visit_kinds:
        abort(404)
    if request.method == "GET":
        return _signin_page(kind, _blank_form())
    return _do_signin(kind)


@kiosk_write
def _do_signin(kind: str) -> Any:
    w = web()
    form = {k: request.form.get(k, "")[: 10 * MAX_TYPED] for k in ("name", "surname", "visiting", "activity")}
    by_name = visits.by_name_only(kind)
    if not by_name and number_paused(w, form["name"]):
        return _signin_page(kind, form, paused_words(), 429, "name")
    try:
        empty = _("Please type your name.") if by_name else _("Please type your whole name or member number.")
        name = typed(form["name"], required_message=empty)
    except Typed as exc:
        return _signin_page(kind, form, str(exc), 400, "name")
    try:
        visiting = typed(form["visiting"])
    except Typed as exc:
        return _signin_page(kind, form, str(exc), 400, "visiting")
    try:
        surname = "" if by_name else typed(form["surname"])
    except Typed as exc:
        return _signin_page(kind, form, str(exc), 400, "surname")
    config = site_config(w)  # activities as the Settings page has them
    if kind == "volunteer" and form["activity"] not in config.kiosk.activities:
        return _signin_page(kind, form, _("Please choose what you are here for."), 400, "activity")
    try:
        with w.db.write() as conn:
            visit = visits.sign_in_named(
                conn, config, w.clock.now(), kind=kind, name=name,
                visiting=visiting, activity=form["activity"] if kind == "volunteer" else "",
                surname=None if by_name else surname,
            )
    except visits.VisitError as exc:
        if not by_name:
            if number_missed(w, name):
                return _signin_page(kind, form, paused_words(), 429, "name")
            # The same words whether the number exists or not: a number reveals nobody.
            message = _("We could not find you. Type your whole name, or your member number and your surname,"
                        " or ask a volunteer.")
        else:
            message = _("Sorry, that did not work: %(reason)s", reason=str(exc))
        return _signin_page(kind, form, message, 400)
    if not by_name:
        number_matched(w, name)
    remember("signed_in", name=visit.first_name)
    return redirect(url_for("entrance.visits.done"), code=303)


@bp.route("/signout", methods=["GET", "POST"])
def signout() -> Any:
    """Sign out by whole name or member number, matched only against people signed in now."""
    if request.method == "GET":
        return render_template("entrance/signout.html", error="", max_typed=MAX_TYPED)
    return _do_signout()


@kiosk_write
def _do_signout() -> Any:
    w = web()
    try:
        text = typed(request.form.get("name", "")[: 10 * MAX_TYPED],
                     required_message=_("Please type the name you signed in with."))
    except Typed as exc:
        return render_template("entrance/signout.html", error=str(exc), max_typed=MAX_TYPED), 400
    with w.db.write() as conn:
        visit = visits.sign_out_by_name(conn, w.config, w.clock.now(), text)
    if visit is None:
        # The same words whoever exists: a typed name reveals nobody.
        message = _("Nobody with that name is signed in. Check the spelling, or ask a volunteer.")
        return render_template("entrance/signout.html", error=message, max_typed=MAX_TYPED), 400
    # Signed out by member number: no name on the screen (a number is not a secret).
    by_whole_name = visit.name is not None and " ".join(text.split()).casefold() == " ".join(visit.name.split()).casefold()
    remember("signed_out", name=visit.first_name if by_whole_name else "")
    return redirect(url_for("entrance.visits.done"), code=303)


@bp.get("/done")
def done() -> Any:
    """The greeting after signing in or out, shown once; the screen then goes back to the
    start after ``kiosk.done_seconds`` (or at once with Done). Nothing to show: home."""
    outcome = take("signed_in", "signed_out")
    if outcome is None:
        return redirect(url_for("entrance.home.home"))
    name = str(outcome.get("name", ""))
    if outcome["kind"] == "signed_in":
        heading = _("Welcome, %(name)s!", name=name) if name else _("Welcome!")
        detail = _("You are signed in. Please sign out when you leave.")
    else:
        heading = _("Goodbye, %(name)s!", name=name) if name else _("Goodbye!")
        detail = _("You are signed out. Thank you for coming.")
    return render_template("entrance/done.html", heading=heading, detail=detail,
                           idle_seconds=site_config(web()).kiosk.done_seconds)
