"""Admin login for /dashboard: /dashboard/login and /dashboard/logout.

A login is a session on the server (appliance/people/sessions.py): the signed cookie
holds only a random session id (HttpOnly, SameSite=Lax, Secure over HTTPS; see
kiosk/cookies.py), so logging out, a password change or removing the admin ends it
wherever the cookie went. Every path under /dashboard needs a login, enforced twice: the
``login_required`` decorator on each view, and a guard on every request, so a route
someone adds later without the decorator is still closed (tests/test_auth.py checks
the whole URL map).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Response, g, redirect, render_template, request, session, url_for

from appliance.people import admins, sessions
from appliance.storage import audit
from appliance.storage.db import transaction
from kiosk.context import web
from kiosk.gate import is_local

F = TypeVar("F", bound=Callable[..., Any])

bp = Blueprint("auth", __name__, url_prefix="/dashboard")

PROTECTED_PREFIX = "/dashboard"
OPEN_ENDPOINTS = frozenset({"auth.login"})


SESSION_KEY = "sid"


def current_session() -> str | None:
    """The session id the browser sent, if any (not yet checked)."""
    sid = session.get(SESSION_KEY)
    return sid if isinstance(sid, str) and sid else None


def current_admin() -> str | None:
    """The logged-in admin's name, or None (an ended session, or a removed admin, counts as
    logged out)."""
    if "current_admin" not in g:
        sid = current_session()
        w = web()
        g.current_admin = sessions.admin_for(w.db.conn(), sid, w.clock.now(), w.config.web) if sid else None
    return g.current_admin  # type: ignore[no-any-return]


def _refuse() -> Response:
    """Anonymous: a page is redirected to the login form; anything else gets a bare 401."""
    wants_page = request.method == "GET" and "text/event-stream" not in request.headers.get("Accept", "")
    if wants_page:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))  # type: ignore[return-value]
    return Response("Log in first.\n", status=401, mimetype="text/plain")


def login_required(view: F) -> F:
    """Let only a logged-in admin reach ``view``."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_admin() is None:
            return _refuse()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@bp.before_app_request
def _guard_dashboard() -> Response | None:
    """Close every /dashboard path to anonymous visitors, decorated or not."""
    path = request.path
    if not (path == PROTECTED_PREFIX or path.startswith(PROTECTED_PREFIX + "/")):
        return None
    https_port = web().https_port
    if https_port and not request.is_secure and not is_local(request.remote_addr or ""):
        # passwords and cookies must not cross the hall's Wi-Fi in clear
        host = request.host.split("]")[0] + "]" if request.host.startswith("[") else request.host.split(":")[0]
        return redirect(f"https://{host}:{https_port}{request.full_path.rstrip('?')}", code=308)  # type: ignore[return-value]
    if request.endpoint in OPEN_ENDPOINTS or current_admin() is not None:
        return None
    return _refuse()


def _safe_next(target: str | None) -> str:
    """Only a path on this site is followed after login (never another host)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("dashboard.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The login form; five wrong passwords pause that name from that address (twenty, any
    name from it) for five minutes; nothing is written for a refused try."""
    w = web()
    error = None
    status = 200
    next_url = request.values.get("next", "")
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        password = request.form.get("password", "")
        now = w.clock.now()
        conn = w.db.conn()
        result = admins.login(conn, w.logins, name, password, request.remote_addr or "unknown", now)
        if result.ok:
            session.clear()  # a fresh session: nothing from before the login carries over
            with transaction(conn):
                session[SESSION_KEY] = sessions.start(conn, name, request.remote_addr or "unknown", now)
                audit.record(conn, name, "login", f"from {request.remote_addr}", now)
            return redirect(_safe_next(next_url))
        if result.locked_until is not None:
            wait = max(1, round((result.locked_until - now).total_seconds() / 60))
            error = (f"Too many wrong passwords. Logging in is paused for about {wait} minute"
                     f"{'s' if wait != 1 else ''}; then try again.")
            status = 429
        else:
            error = "That name and password do not match. Check them and try again."
            status = 401
    return render_template("auth/login.html", site=w.config.site, error=error, next_url=next_url), status


@bp.post("/logout")
@login_required
def logout() -> Any:
    """End the session (a POST with the CSRF token, so another site cannot log you out)."""
    w = web()
    name = current_admin()
    conn = w.db.conn()
    sid = current_session()
    with transaction(conn):
        if sid:
            sessions.end(conn, sid)
        if name:
            audit.record(conn, name, "logout", "", w.clock.now())
    session.clear()
    return redirect(url_for("auth.login"))
