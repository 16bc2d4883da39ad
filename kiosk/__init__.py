"""The web role: a Flask app with one blueprint per screen (kiosk, dashboard, display,
JSON API, live updates), served by waitress. It never touches GPIO, serial or the broker.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from appliance.clock import Clock, SystemClock, iso
from appliance.config import Config
from appliance.db import Database, get_setting, put_setting
from kiosk.context import Web
from kiosk.converters import DatabaseIntConverter


def _secret_key(db: Database, clock: Clock) -> str:
    """The session key, made once and kept in the database so restarts keep sessions."""
    conn = db.conn()
    with db.write():
        key = get_setting(conn, "web_secret_key")
        if key is None:
            key = secrets.token_hex(32)
            put_setting(conn, "web_secret_key", key, iso(clock.now()))
    return key


def create_app(config: Config, clock: Clock | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    """The application factory."""
    clock = clock or SystemClock()
    app = Flask(__name__)
    # FULL: what the screen confirms to a person survives a power cut (appliance/db.py)
    db = Database(config.database.path, clock, synchronous="FULL")
    db.migrate()
    app.config.update(
        SECRET_KEY=_secret_key(db, clock),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # a kiosk page may stay open all day
    )
    app.config.update(overrides or {})
    app.extensions["doorstep"] = Web(config=config, db=db, clock=clock)

    from kiosk import api, auth, booking_page, dashboard, display, entrance, errors, health, live
    from kiosk import calendar as calendar_feeds

    app.url_map.converters["int"] = DatabaseIntConverter  # before any route is added
    csrf = CSRFProtect(app)
    csrf.exempt(api.bp)  # the JSON API is guarded by network or token, not a form token
    for module in (entrance, auth, dashboard, display, api, live, health, calendar_feeds, booking_page):
        app.register_blueprint(module.bp)
    from kiosk import reports, rollcall

    for module in (rollcall, reports):
        app.register_blueprint(module.bp)
    from kiosk import manage

    app.register_blueprint(manage.bp)
    errors.init_app(app)
    from kiosk import i18n

    i18n.init_app(app)
    return app
