"""The browser's cookie: signed with a key from a 0600 file of the web role (never a row
in the database a backup copies), Secure and named ``__Host-doorstep`` over HTTPS.

The cookie carries only light, per-browser things (the kiosk's language, the CSRF token,
a dashboard session's random id); what a login may do is decided on the server
(appliance/people/sessions.py). Cookies do not tell ports apart, so the plain-HTTP kiosk
and the HTTPS dashboard on the same address use different names: the HTTPS one never
travels in clear.
"""

from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface

from appliance.core import keyfile
from appliance.core.config import Config, secrets_dir

KEY_FILE = "session.key"
PLAIN_NAME = "doorstep"
SECURE_NAME = "__Host-doorstep"


def signing_key(config: Config) -> str:
    """The web role's signing key, made (0600, in a 0700 folder) on first start if missing."""
    path = secrets_dir(config) / KEY_FILE
    return keyfile.load_or_create(path, 32, "; delete it and restart the web role (everyone logs in again)").hex()


class SchemeAwareCookie(SecureCookieSessionInterface):
    """Flask's signed cookie, Secure and ``__Host-`` prefixed when the request came over HTTPS."""

    def get_cookie_name(self, app: Flask) -> str:
        """``__Host-doorstep`` over HTTPS, ``doorstep`` over plain HTTP."""
        return SECURE_NAME if request.is_secure else PLAIN_NAME

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure exactly when the page came over HTTPS."""
        return bool(request.is_secure)
