"""What every /dashboard/manage/ screen uses to read a form and record a change.

Every change is written with its audit entry in one transaction (:func:`admin_action`),
so there is never a change without a record of who made it; a wrong field becomes a
sentence next to it (:class:`FormErrors`, :func:`whole_number`); :func:`render` gives
every page the site and the admin. No view lives here, and no view module is imported.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import abort, render_template

from appliance.booking.availability import Slot
from appliance.people import register
from appliance.storage import audit, settings
from appliance.storage.db import transaction
from kiosk.auth import current_admin
from kiosk.context import web


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


def person_or_404(person_id: int) -> register.Person:
    """The person with this id, or a 404 naming the id."""
    person = register.get(web().db.conn(), person_id)
    if person is None:
        abort(404, description=f"There is no person #{person_id} (erased or never added).")
    return person


def sentence(text: str) -> str:
    """A message from the domain as a sentence on the page: its first letter a capital, the
    rest as written ("Main Hall is booked Tue 3 Mar"; str.capitalize would lower-case the
    room and the day), and a full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def slot_value(slot: Slot) -> str:
    """A free slot as the value of the button that books it ("start|end", UTC ISO)."""
    return f"{slot.start.isoformat()}|{slot.end.isoformat()}"


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
