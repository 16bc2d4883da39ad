"""Languages of the screens (flask-babel): English, and Welsh (cy) in kiosk/translations.

The language is the one chosen with the switch on any kiosk screen (kept in the session,
cleared by the kiosk's idle reset), else ``site.language``. The dashboard may use the same.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask, g, request, session
from flask_babel import Babel, force_locale, get_locale, get_translations
from flask_babel import gettext as _

from appliance.core import language
from kiosk.context import web

# The languages with a complete catalog, and how each names itself on the switch.
LANGUAGES: dict[str, str] = {"en": "English", "cy": "Cymraeg"}
SESSION_KEY = "lang"
PHONE_PREFIX = "/booking/"  # phones say which language they read (the kiosk's Chromium does not choose)


def select_locale() -> str:
    """The language of this request: the session's choice; on a phone page, the phone's own
    language when we have it; else the site's default."""
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return str(chosen)
    if request.path.startswith(PHONE_PREFIX):
        preferred = request.accept_languages.best_match(list(LANGUAGES))
        if preferred:
            return str(preferred)
    default = web().config.site.language
    return default if default in LANGUAGES else "en"


def choose(lang: str) -> bool:
    """Remember a language for this session; False when it is not one we have."""
    if lang not in LANGUAGES:
        return False
    session[SESSION_KEY] = lang
    return True


def forget() -> None:
    """Back to the site's default language (the kiosk's idle reset)."""
    session.pop(SESSION_KEY, None)


def current() -> str:
    """The language code in use for this request."""
    locale = get_locale()
    return str(locale.language) if locale is not None else "en"


def weekday(day: date) -> str:
    """A day as a button reads it, in the page's language: "Tue 3/3" (Welsh "Maw 3/3")."""
    names = (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))
    return f"{names[day.weekday()]} {day.day}/{day.month}"


def _translations() -> Any:
    # One lookup per request: flask-babel's own is several context lookups per message,
    # which added up to a fifth of a kiosk page's rendering time.
    found = g.get("_doorstep_translations")
    if found is None:
        found = g._doorstep_translations = get_translations()
    return found


def init_app(app: Flask) -> None:
    """Attach flask-babel with our locale selector and the catalogs under kiosk/translations
    (which also give the status sentence its words: appliance.core.language)."""
    Babel(app, locale_selector=select_locale, default_translation_directories="translations")
    language.use_catalogs(Path(app.root_path) / "translations")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda text: _translations().ugettext(text),
        lambda singular, plural, n: _translations().ungettext(singular, plural, n),
        newstyle=True,
    )
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["current_language"] = current
    app.jinja_env.globals["weekday"] = weekday


@contextlib.contextmanager
def site_language(lang: str) -> Iterator[None]:
    """Render in the site's language whatever this browser chose (the hall display, which
    has no language switch and is read by everyone in the room)."""
    with force_locale(lang if lang in LANGUAGES else "en"):
        g.pop("_doorstep_translations", None)
        try:
            yield
        finally:
            g.pop("_doorstep_translations", None)
