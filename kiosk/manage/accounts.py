"""/dashboard/manage/admins: who may log in. Add and remove admins (never the last one)
and change your own password; a new password ends your other sessions, removing an
admin ends theirs (appliance/people/admins.py and sessions.py do the work)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from appliance.people import admins
from kiosk.auth import current_admin, current_session, login_required
from kiosk.context import web
from kiosk.manage.forms import FormErrors, render

bp = Blueprint("accounts", __name__)


def _page(status: int = 200, notice: str = "", errors: FormErrors | None = None, **values: Any) -> tuple[str, int]:
    w = web()
    return render("manage/admins.html", accounts=admins.accounts(w.db.conn()), notice=notice,
                  errors=errors or FormErrors(), values=values, me=current_admin(),
                  fingerprint=w.tls_fingerprint), status


@bp.get("/admins")
@login_required
def admins_page() -> tuple[str, int]:
    """The admins, a form to add one, and a form to change your own password."""
    return _page()


@bp.post("/admins/new")
@login_required
def admin_add() -> tuple[str, int]:
    """Add an admin (the password typed twice)."""
    w = web()
    name = request.form.get("name", "").strip()
    password = request.form.get("password", "")
    errors = FormErrors()
    if password != request.form.get("password2", ""):
        errors["password2"] = "The two passwords differ; type the same one twice."
    else:
        try:
            admins.create(w.db.conn(), name, password, w.clock.now())
        except admins.AdminError as exc:
            errors["name" if "name" in str(exc) or "exists" in str(exc) else "password"] = f"Not added: {exc}."
    if errors:
        return _page(400, errors=errors, name=name)
    return _page(notice=f"{name} can now log in.")


@bp.post("/admins/<name>/remove")
@login_required
def admin_remove(name: str) -> tuple[str, int]:
    """Remove an admin; their sessions and API token end with them."""
    w = web()
    try:
        admins.remove(w.db.conn(), name, w.clock.now(), by=current_admin())
    except admins.AdminError as exc:
        return _page(400, errors=FormErrors(remove=f"Not removed: {exc}."))
    return _page(notice=f"{name} is removed; their sessions have ended.")


@bp.post("/admins/password")
@login_required
def password_change() -> tuple[str, int]:
    """Change your own password (your current one first); your other sessions end."""
    w = web()
    me = current_admin() or ""
    errors = FormErrors()
    new = request.form.get("new", "")
    if not admins.verify(w.db.conn(), me, request.form.get("current", "")):
        errors["current"] = "That is not your current password."
    elif new != request.form.get("new2", ""):
        errors["new2"] = "The two new passwords differ; type the same one twice."
    else:
        try:
            ended = admins.set_password(w.db.conn(), me, new, w.clock.now(), keep_session=current_session())
        except admins.AdminError as exc:
            errors["new"] = f"Not changed: {exc}."
    if errors:
        return _page(400, errors=errors)
    return _page(notice=f"Your password is changed; {ended} other session(s) of yours ended.")
