"""The web role: a Flask app with one blueprint per screen (kiosk, dashboard, display,
JSON API, live updates), served by waitress. It never touches GPIO, serial or the broker.

A screen of one module is a module (display.py, dashboard.py, ...); a screen of several
is a package (entrance/, manage/, api/) whose __init__ makes the screen's blueprint and
nests one blueprint per view module in it, so its endpoints read ``screen.module.view``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Flask, has_request_context
from flask_wtf.csrf import CSRFProtect

from appliance.core.clock import Clock, SystemClock
from appliance.core.config import Config
from appliance.publishing import derived
from appliance.storage.db import Database
from kiosk import cookies
from kiosk.context import Web
from kiosk.converters import DatabaseIntConverter


def _exempt_from_csrf(app: Flask, csrf: CSRFProtect, parent: Blueprint) -> None:
    """Exempt a registered blueprint and every blueprint nested in it from CSRF.

    flask-wtf looks up the request's innermost blueprint by its full name
    (``api.bookings``), so exempting the parent alone would leave its children guarded.
    """
    for name, blueprint in app.blueprints.items():
        if name == parent.name or name.startswith(parent.name + "."):
            csrf.exempt(blueprint)


def create_app(config: Config, clock: Clock | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    """The application factory."""
    clock = clock or SystemClock()
    app = Flask(__name__)
    # FULL: what the screen confirms to a person survives a power cut (appliance/storage/db.py);
    # the hook refreshes MQTT's derived topics in every transaction that changes what they show.
    db = Database(config.database.path, clock, synchronous="FULL", hook=derived.commit_hook(config, clock))
    db.migrate()
    app.config.update(
        SECRET_KEY=cookies.signing_key(config),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # a kiosk page may stay open all day
    )
    app.config.update(overrides or {})
    app.session_interface = cookies.SchemeAwareCookie()
    app.extensions["doorstep"] = Web(config=config, db=db, clock=clock)

    from kiosk import (
        api,
        auth,
        booking_page,
        dashboard,
        display,
        entrance,
        errors,
        feeds,
        headers,
        i18n,
        live,
        manage,
        phone,
        reports,
        rollcall,
        rota,
        status,
    )

    app.url_map.converters["int"] = DatabaseIntConverter  # before any route is added
    csrf = CSRFProtect(app)
    screens = (entrance, auth, dashboard, display, api, live, status, feeds, phone, booking_page, rollcall, reports, rota,
               manage)
    for module in screens:
        app.register_blueprint(module.bp)
    _exempt_from_csrf(app, csrf, api.bp)  # the JSON API is guarded by network or token, not a form token
    errors.init_app(app)
    headers.init_app(app)
    i18n.init_app(app)
    app.jinja_env.filters["human"] = _human_filter(config)
    return app


def _human_filter(config: Config) -> Any:
    """The ``human`` template filter: a stored time (ISO text or datetime) as people read
    it in the site's timezone, "Thu 3 Dec, 14:05" ('' for none); ``with_day=False`` gives
    "14:05". On a page in another language the day and month are in it ("Iau 3 Rhag, 14:05")."""
    from babel.dates import format_datetime

    from appliance.core.clock import human, parse_iso
    from kiosk.i18n import current

    def human_filter(value: str | datetime | None, with_day: bool = True) -> str:
        if value is None or value == "":
            return ""
        try:
            when = parse_iso(value) if isinstance(value, str) else value
            lang = current() if has_request_context() else "en"
            if lang == "en" or not with_day:
                return human(when, config.site.zone, with_day=with_day)
            return str(format_datetime(when.astimezone(config.site.zone), "EEE d MMM, HH:mm", locale=lang))
        except (ValueError, TypeError, AttributeError):
            return str(value)  # an odd value shows as it is rather than break the page

    return human_filter
