"""Admin login for /dashboard: /dashboard/login and /dashboard/logout.

The session cookie holds only the admin's name (signed; HttpOnly and SameSite=Lax are
set in create_app). Every path under /dashboard needs a login, enforced twice: the
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

from appliance import admins, audit
from appliance.db import transaction
from kiosk.context import web

F = TypeVar("F", bound=Callable[..., Any])

bp = Blueprint("auth", __name__, url_prefix="/dashboard")

PROTECTED_PREFIX = "/dashboard"
OPEN_ENDPOINTS = frozenset({"auth.login"})


def current_admin() -> str | None:
    """The logged-in admin's name, or None (an admin removed since logging in counts as logged out)."""
    if "current_admin" not in g:
        name = session.get("admin")
        if isinstance(name, str) and name in admins.names(web().db.conn()):
            g.current_admin = name
        else:
            g.current_admin = None
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
    """The login form; five wrong passwords lock the name and the address for five minutes."""
    w = web()
    error = None
    status = 200
    next_url = request.values.get("next", "")
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        password = request.form.get("password", "")
        now = w.clock.now()
        conn = w.db.conn()
        result = admins.login(conn, name, password, request.remote_addr or "unknown", now)
        if result.ok:
            session.clear()  # a fresh session: nothing from before the login carries over
            session["admin"] = name
            with transaction(conn):
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
    if name:
        with transaction(conn):
            audit.record(conn, name, "logout", "", w.clock.now())
    session.clear()
    return redirect(url_for("auth.login"))
