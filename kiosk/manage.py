"""/dashboard/manage/: the screens where admins change things (rooms, bookings, people,
settings, privacy).

Every view needs a login (``login_required``, and the /dashboard guard in kiosk/auth.py
behind it) and every change is written with its audit entry in one transaction
(:func:`admin_action`), so there is never a change without a record of who made it.

The screens are split by what they manage: manage_rooms, manage_bookings,
manage_people and manage_privacy (settings and privacy) register their views on the
one blueprint defined here.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, render_template

from appliance import audit, people, settings
from appliance.db import transaction
from kiosk.auth import current_admin, login_required
from kiosk.context import web

bp = Blueprint("manage", __name__, url_prefix="/dashboard/manage")


class FormErrors(dict[str, str]):
    """Errors by field name, shown in words next to each field."""


@dataclass
class Action:
    """An admin action under way: its connection, and the audit detail (settable until the end)."""

    conn: sqlite3.Connection
    detail: str = ""


@contextlib.contextmanager
def admin_action(action: str, detail: str = "") -> Iterator[Action]:
    """A write transaction that also records ``action`` in the audit log, or neither lands.

    Set ``.detail`` inside the block when it is known only then (a new record's id).
    Details name records by id, never a person's name: the log outlives the people in it.
    """
    w = web()
    conn = w.db.conn()
    with transaction(conn):
        step = Action(conn, detail)
        yield step
        audit.record(conn, admin_name(), action, step.detail, w.clock.now())


def admin_name() -> str:
    """The logged-in admin (views are behind ``login_required``, so there is one)."""
    return current_admin() or "unknown"


def render(template: str, **values: Any) -> str:
    """Render a management page with what every page needs (site, admin, config path)."""
    w = web()
    # The site's name and hours as changed on the Settings page, not only the file's.
    site = settings.effective(w.config, w.db.conn()).site
    return render_template(template, site=site, admin=current_admin(), **values)


def person_or_404(person_id: int) -> people.Person:
    """The person with this id, or a 404 naming the id."""
    person = people.get(web().db.conn(), person_id)
    if person is None:
        abort(404, description=f"There is no person #{person_id} (erased or never added).")
    return person


def checkbox(form: Any, name: str) -> bool:
    """An HTML checkbox is present when ticked."""
    return form.get(name) in ("1", "on", "yes", "true")


def whole_number(form: Any, name: str, errors: FormErrors, label: str, *, optional: bool = False,
                 minimum: int = 0) -> int | None:
    """Parse a whole-number field; a wrong value adds a sentence to ``errors`` and returns None."""
    text = (form.get(name) or "").strip()
    if not text:
        if not optional:
            errors[name] = f"{label} is needed (a whole number)."
        return None
    try:
        value = int(text)
    except ValueError:
        errors[name] = f"{label}: {text!r} is not a whole number."
        return None
    if value < minimum:
        errors[name] = f"{label} must be {minimum} or more."
        return None
    return value


@bp.get("/")
@login_required
def index() -> str:
    """The management menu."""
    return render("manage/index.html")


# The screens register their views on bp when imported (kept last: they import bp).
from kiosk import manage_bookings, manage_people, manage_privacy, manage_rooms  # noqa: E402

__all__ = ["bp", "manage_bookings", "manage_people", "manage_privacy", "manage_rooms"]
