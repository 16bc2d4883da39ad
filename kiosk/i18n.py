"""Languages of the screens (flask-babel): English, and Welsh (cy) in kiosk/translations.

The language is the one chosen with the switch on any kiosk screen (kept in the session,
cleared by the kiosk's idle reset), else ``site.language``. The dashboard may use the same.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, session
from flask_babel import Babel, get_locale, get_translations

from kiosk.context import web

# The languages with a complete catalog, and how each names itself on the switch.
LANGUAGES: dict[str, str] = {"en": "English", "cy": "Cymraeg"}
SESSION_KEY = "lang"


def select_locale() -> str:
    """The language of this request: the session's choice, else the site's default."""
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return str(chosen)
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


def _translations() -> Any:
    # One lookup per request: flask-babel's own is several context lookups per message,
    # which added up to a fifth of a kiosk page's rendering time.
    found = g.get("_doorstep_translations")
    if found is None:
        found = g._doorstep_translations = get_translations()
    return found


def init_app(app: Flask) -> None:
    """Attach flask-babel with our locale selector and the catalogs under kiosk/translations."""
    Babel(app, locale_selector=select_locale, default_translation_directories="translations")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda text: _translations().ugettext(text),
        lambda singular, plural, n: _translations().ungettext(singular, plural, n),
        newstyle=True,
    )
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["current_language"] = current
