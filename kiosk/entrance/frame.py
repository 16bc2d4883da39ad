"""The frame every /kiosk/ screen shares: its words, its links, the layout's values and
the friendly error pages.

kiosk/entrance/__init__.py attaches :func:`layout` and the error pages to the entrance
blueprint, so they serve every screen nested in it (home, visits, booking).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, g, make_response, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from appliance.core import inputs
from appliance.core.clock import iso
from appliance.core.config import Config
from appliance.people import taps
from appliance.storage import settings, state
from appliance.views.public import is_open
from kiosk import i18n
from kiosk.access import from_kiosk_network
from kiosk.context import Web, web
from kiosk.errors import with_allow

log = logging.getLogger(__name__)

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
            "identified": _("Thank you, {name}: now press Confirm booking."),
            "still_in": _("{name}, you are already signed in."),
            "still_out": _("{name}, you have just signed out."),
            "keep": _("Not leaving? Keep me signed in"),
            "your_shifts": _("Your shifts"),
            "ok": _("OK"),
            "space": _("Space"),
            "delete": _("Delete"),
            "capitals": _("Capitals"),
            "done": _("Done"),
            "hide": _("Hide"),
            "hide_keyboard": _("Hide keyboard"),
            "next": _("Next"),
            "send": _("Send the form"),
            "keyboard": _("On-screen keyboard"),
            # {n} and {max} are filled in by keyboard.js while the person types
            "count": _("{n} of {max} letters"),
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
            "home": url_for("entrance.home.home"),
            "idle": url_for("entrance.home.home", idle=1),
            "live": url_for("entrance.home.live"),
            "language": url_for("entrance.home.language"),
            "signin": url_for("entrance.visits.signin"),
            "signout": url_for("entrance.visits.signout"),
            "book": url_for("entrance.booking.book"),
            "whatson": url_for("entrance.booking.whatson"),
            "tapped": url_for("entrance.tapped.screen"),
            "tap_activity": url_for("entrance.tapped.activity"),
            "tap_keep": url_for("entrance.tapped.keep"),
        }
        _LINKS[request.script_root] = found
    return found


def _fob_seen() -> str:
    last = state.get(web().db.conn(), taps.LAST_FOB_KEY) or {}
    return str(last.get("at", ""))


def site_config(w: Web) -> Config:
    """The config with the dashboard's Settings overrides (site name, opening hours),
    read once per request however many templates ask."""
    if "site_config" not in g:
        g.site_config = settings.effective(w.config, w.db.conn())
    return g.site_config  # type: ignore[no-any-return]


def layout() -> dict[str, Any]:
    """What entrance/layout.html needs on every screen (the blueprint's context processor).

    ``idle_seconds`` is the kiosk's idle reset; a success screen passes its own, shorter
    one (``kiosk.done_seconds``) so nobody's name stays on screen for the next person.
    """
    w = web()
    config = site_config(w)
    now = w.clock.now()
    local = now.astimezone(w.config.site.zone)
    back = request.path if request.method == "GET" and request.endpoint != "entrance.home.live" else "/kiosk/"
    live = from_kiosk_network()
    lang = i18n.current()
    return {
        "site": config.site,
        "lang": lang,
        "t": chrome(lang),
        "links": links(),
        "idle_seconds": config.kiosk.idle_seconds,
        "default_lang": w.config.site.language if w.config.site.language in i18n.LANGUAGES else "en",
        "now_iso": iso(now),
        "now_local": local.strftime("%H:%M"),
        "open": is_open(config, now),
        "back_to": back,
        "live": live,
        "fob_seen": _fob_seen() if live else "",
    }


def no_store(response: Any) -> Any:
    """No kiosk page is kept by the browser: the back button asks again, so a name, a
    cancel code or the roll-call is never shown from the browser's memory."""
    response.headers["Cache-Control"] = "no-store"
    return response


def friendly(exc: HTTPException) -> Response:
    """An HTTP error on a kiosk screen, in words and in the screen's language."""
    if isinstance(exc, CSRFError):
        message = _("This screen was open too long. Please start again.")
    elif exc.code == 403:
        message = _("This can only be done on the entrance screen itself.")
    elif exc.code == 404:
        message = _("That page does not exist.")
    elif exc.code == 400 and exc.description != type(exc).description:
        message = str(exc.description)  # a sentence the screen wrote itself, already translated
    elif exc.code == 410:  # a fob tap's token ran out, or someone else tapped since
        message = _("Please tap your fob again.")
    else:
        message = _("Something went wrong. Nothing you did was lost; please try again.")
    # A reason given where the error was raised (for whoever looks after the kiosk), in English.
    detail = exc.description if exc.description != type(exc).description and not isinstance(exc, CSRFError) else ""
    response = make_response(render_template("entrance/error.html", message=message, detail=detail), exc.code or 500)
    return with_allow(response, exc)


def unexpected(exc: Exception) -> tuple[str, int]:
    """Any other failure on a kiosk screen: logged, and a friendly page (never a traceback)."""
    log.exception("unexpected error on %s %s", request.method, request.path)
    message = _("Something went wrong. Nothing you did was lost; please try again.")
    return render_template("entrance/error.html", message=message), 500


# -- what a person typed, and what a form did ----------------------------------------------

MAX_TYPED = 120  # every kiosk text box (the maxlength the page states while typing)


class Typed(Exception):
    """A kiosk field cannot be used as typed; the message is a sentence in the screen's language."""


def typed(value: str | None, *, required_message: str = "", max_length: int = MAX_TYPED) -> str:
    """A kiosk text box's value, cleaned by appliance.core.inputs (spaces folded, control
    characters gone), or :class:`Typed` with a translated sentence: ``required_message``
    when it is empty, the limit when too long, and what to do with a character we cannot keep."""
    try:
        text = inputs.clean_text(value, "text", max_length=10**7)  # the limit is checked below, in words
    except inputs.InputError:
        raise Typed(_("That contains a character we cannot keep. Please type it again.")) from None
    if required_message and not text:
        raise Typed(required_message)
    if len(text) > max_length:
        raise Typed(_("Please keep it to %(max)d letters or fewer (this has %(n)d).", max=max_length, n=len(text)))
    return text


# A form's outcome waits in the session for the one page after the redirect (post/redirect/
# get), which takes it away: a reload or the back button then finds nothing to repeat or show.
OUTCOME_KEY = "outcome"


def remember(kind: str, **values: Any) -> None:
    """Keep what a form just did for the page the browser is sent to next."""
    session[OUTCOME_KEY] = {"kind": kind, **values}


def take(*kinds: str) -> dict[str, Any] | None:
    """The outcome remembered for this page (one of ``kinds``), removed as it is read; None
    when there is none (a reload, the back button, or someone else's page)."""
    outcome = session.get(OUTCOME_KEY)
    if not isinstance(outcome, dict) or outcome.get("kind") not in kinds:
        return None
    session.pop(OUTCOME_KEY, None)
    return outcome


def forget_outcomes() -> None:
    """Drop any outcome not yet shown (the idle reset: nothing is left for the next person)."""
    session.pop(OUTCOME_KEY, None)
