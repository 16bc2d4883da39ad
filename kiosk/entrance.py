"""/kiosk/: the entrance touchscreen — home, sign in, sign out, live fob confirmations.

A public screen's manners: every write comes from the kiosk networks (``kiosk_write``)
with a CSRF token; nothing typed is shown to anyone else; errors are friendly pages.
Booking and what's on are in :mod:`kiosk.entrance_booking`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, NoReturn

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from appliance import settings, state, visits
from appliance.clock import iso, parse_iso
from appliance.config import Config
from appliance.status import is_open
from kiosk import i18n
from kiosk.access import from_kiosk_network, kiosk_write
from kiosk.context import Web, web
from kiosk.live import sse

log = logging.getLogger(__name__)

bp = Blueprint("entrance", __name__, url_prefix="/kiosk")

# A tap's first name is shown only this long after it, and only on the kiosk networks.
FOB_SHOW_SECONDS = 30


def kind_labels() -> dict[str, str]:
    """How each kind of visit is named on the buttons (unknown kinds show as configured)."""
    known = {"visitor": _("Visitor"), "member": _("Member"), "volunteer": _("Volunteer")}
    return {kind: known.get(kind, kind.capitalize()) for kind in web().config.kiosk.visit_kinds}


def retention_line(kind: str) -> str:
    """The one line saying what is kept and for how long, in the screen's language."""
    days = visits.retention_days(web().config, kind)
    if visits.by_name_only(kind):
        return _("We keep your name and reason for %(days)d days, then delete them. Nothing is published.", days=days)
    return _("We keep this visit for %(days)d days for volunteer and membership reports. Nothing is published.", days=days)


# The words every screen's frame carries, translated once per language rather than on
# every request (a kiosk page is rendered often; gettext through flask-babel is not free).
_CHROME: dict[str, dict[str, str]] = {}


def chrome(lang: str) -> dict[str, str]:
    """The shared words of every kiosk screen in the current language."""
    words = _CHROME.get(lang)
    if words is None:
        words = {
            "home": _("Home"),
            "open": _("Open now"),
            "closed": _("Closed now"),
            "larger": _("Larger text"),
            "signed_in": _("Welcome, {name}! You are signed in."),
            "signed_out": _("Goodbye, {name}! You are signed out."),
            "unknown": _("We do not know this fob yet. Please ask a volunteer."),
            "ok": _("OK"),
            "space": _("Space"),
            "delete": _("Delete"),
            "capitals": _("Capitals"),
            "done": _("Done"),
            "keyboard": _("On-screen keyboard"),
        }
        _CHROME[lang] = words
    return words


_LINKS: dict[str, dict[str, str]] = {}


def links() -> dict[str, str]:
    """URLs every screen uses, built once per mount point (url_for is costly per call)."""
    found = _LINKS.get(request.script_root)
    if found is None:
        found = {
            "css": url_for("static", filename="kiosk.css"),
            "js": url_for("static", filename="kiosk.js"),
            "keyboard": url_for("static", filename="keyboard.js"),
            "home": url_for("entrance.home"),
            "idle": url_for("entrance.home", idle=1),
            "live": url_for("entrance.live"),
            "language": url_for("entrance.language"),
            "signin": url_for("entrance.signin"),
            "signout": url_for("entrance.signout"),
            "book": url_for("entrance.book"),
            "whatson": url_for("entrance.whatson"),
        }
        _LINKS[request.script_root] = found
    return found


def _fob_seen() -> str:
    last = state.get(web().db.conn(), visits.LAST_FOB_KEY) or {}
    return str(last.get("at", ""))


def site_config(w: Web) -> Config:
    """The config with the dashboard's Settings overrides (site name, opening hours),
    read once per request however many templates ask."""
    if "site_config" not in g:
        g.site_config = settings.effective(w.config, w.db.conn())
    return g.site_config  # type: ignore[no-any-return]


@bp.context_processor
def _layout() -> dict[str, Any]:
    w = web()
    config = site_config(w)
    now = w.clock.now()
    local = now.astimezone(w.config.site.zone)
    back = request.path if request.method == "GET" and request.endpoint != "entrance.live" else "/kiosk/"
    live = from_kiosk_network()
    lang = i18n.current()
    return {
        "site": config.site,
        "lang": lang,
        "t": chrome(lang),
        "links": links(),
        "idle_seconds": w.config.kiosk.idle_seconds,
        "default_lang": w.config.site.language if w.config.site.language in i18n.LANGUAGES else "en",
        "now_iso": iso(now),
        "now_local": local.strftime("%H:%M"),
        "open": is_open(config, now),
        "back_to": back,
        "live": live,
        "fob_seen": _fob_seen() if live else "",
    }


@bp.errorhandler(HTTPException)
def _friendly(exc: HTTPException) -> tuple[str, int]:
    if isinstance(exc, CSRFError):
        message = _("This screen was open too long. Please start again.")
    elif exc.code == 403:
        message = _("This can only be done on the entrance screen itself.")
    elif exc.code == 404:
        message = _("That page does not exist.")
    else:
        message = _("Something went wrong. Nothing you did was lost; please try again.")
    return render_template("entrance/error.html", message=message), exc.code or 500


@bp.get("/")
def home() -> str:
    """The kiosk's home screen; ``?idle=1`` (the idle reset) also resets the language."""
    if request.args.get("idle"):
        i18n.forget()
    w = web()
    return render_template(
        "entrance/home.html",
        rollcall=bool(w.config.kiosk.rollcall_pin),
        setup_problem=firstboot_problem(w.config),
    )


FIRSTBOOT_ERROR = "firstboot-error.txt"


def firstboot_problem(config: Config) -> str | None:
    """The words image-build/firstboot.sh left when doorstep.toml from the SD card's boot
    partition could not be applied (it sits beside the database), for the screen to show."""
    path = Path(config.database.path).parent / FIRSTBOOT_ERROR
    try:
        return path.read_text(encoding="utf-8", errors="replace")[:2000].strip() or None
    except OSError:
        return None


@bp.post("/language")
def language() -> BaseResponse:
    """The language switch on every screen: remember the choice, go back where we were."""
    if not i18n.choose(request.form.get("lang", "")):
        abort(400, description="Unknown language.")
    target = request.form.get("next", "/kiosk/")
    # Only back to a kiosk page: the switch must not become a way off the kiosk.
    if not target.startswith("/kiosk/") or "//" in target or "\\" in target:
        target = "/kiosk/"
    return redirect(target, code=303)


def fob_outcome(w: Web) -> dict[str, Any]:
    """What the live stream sends: the open state and the latest fob tap (name only if fresh)."""
    now = w.clock.now()
    last = dict(state.get(w.db.conn(), visits.LAST_FOB_KEY) or {})
    if last:
        try:
            age = (now - parse_iso(str(last.get("at")))).total_seconds()
        except (TypeError, ValueError):
            age = FOB_SHOW_SECONDS + 1
        if age > FOB_SHOW_SECONDS:
            last["first_name"] = ""
    config = settings.effective(w.config, w.db.conn())  # each push, as Settings may change meanwhile
    return {"open": is_open(config, now), "fob": last or None}


@bp.get("/live")
def live() -> Response:
    """Server-sent events for the open kiosk page (kiosk networks only: it carries a first name)."""
    if not from_kiosk_network():
        abort(403)
    return sse(fob_outcome, "kiosk")


@bp.get("/signin")
def signin() -> str:
    """Choose the kind of visit."""
    return render_template("entrance/signin_kind.html", kinds=web().config.kiosk.visit_kinds, kind_labels=kind_labels())


def _blank_form() -> dict[str, str]:
    return {"name": "", "visiting": "", "activity": ""}


def _signin_page(kind: str, form: dict[str, str], error: str = "", code: int = 200) -> tuple[str, int]:
    page = render_template(
        "entrance/signin_form.html",
        kind=kind,
        kind_labels=kind_labels(),
        activities=web().config.kiosk.activities,
        notice=retention_line(kind),
        form=form,
        error=error,
        by_name=visits.by_name_only(kind),
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
    form = {k: request.form.get(k, "").strip()[:200] for k in ("name", "visiting", "activity")}
    if not form["name"]:
        return _signin_page(kind, form, _("Please type your name."), 400)
    if kind == "volunteer" and form["activity"] not in w.config.kiosk.activities:
        return _signin_page(kind, form, _("Please choose what you are here for."), 400)
    try:
        with w.db.write() as conn:
            visit = visits.sign_in_named(
                conn, w.config, w.clock.now(), kind=kind, name=form["name"],
                visiting=form["visiting"], activity=form["activity"] if kind == "volunteer" else "",
            )
    except visits.VisitError as exc:
        if not visits.by_name_only(kind):
            message = _("We could not find that name or member number. Try your member number, or ask a volunteer.")
        else:
            message = _("Sorry, that did not work: %(reason)s", reason=str(exc))
        return _signin_page(kind, form, message, 400)
    return render_template(
        "entrance/done.html",
        heading=_("Welcome, %(name)s!", name=visit.first_name),
        detail=_("You are signed in. Please sign out when you leave."),
    )


@bp.route("/signout", methods=["GET", "POST"])
def signout() -> Any:
    """Sign out by whole name or member number, matched only against people signed in now."""
    if request.method == "GET":
        return render_template("entrance/signout.html", error="")
    return _do_signout()


@kiosk_write
def _do_signout() -> Any:
    w = web()
    text = request.form.get("name", "").strip()[:200]
    with w.db.write() as conn:
        visit = visits.sign_out_by_name(conn, w.config, w.clock.now(), text) if text else None
    if visit is None:
        # The same words whoever exists: a typed name reveals nobody.
        message = _("Nobody with that name is signed in. Check the spelling, or ask a volunteer.")
        return render_template("entrance/signout.html", error=message), 400
    return render_template(
        "entrance/done.html",
        heading=_("Goodbye, %(name)s!", name=visit.first_name),
        detail=_("You are signed out. Thank you for coming."),
    )


@bp.get("/<path:unknown>")
def not_found(unknown: str) -> NoReturn:
    """Any other /kiosk/ address: the kiosk's own friendly page, with a way back to Home."""
    abort(404)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> tuple[str, int]:
    log.exception("unexpected error on %s %s", request.method, request.path)
    message = _("Something went wrong. Nothing you did was lost; please try again.")
    return render_template("entrance/error.html", message=message), 500


# The booking and what's-on screens register on this blueprint.
from kiosk import entrance_booking  # noqa: E402,F401
