"""/dashboard/manage/settings: the settings an admin may change here, in words and in the
groups a volunteer looks for, with the config file's value beside each
(appliance.storage.settings keeps the overrides and checks them as the file loader does)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, request, url_for

from appliance.core.clock import iso
from appliance.storage import settings
from kiosk.auth import login_required
from kiosk.context import web
from kiosk.manage.forms import FormErrors, admin_action, render

bp = Blueprint("settings", __name__)


def _field(dotted: str) -> str:
    """Form field name for a dotted key (dots are awkward in ids and CSS)."""
    return dotted.replace(".", "__")


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings_page() -> Any:
    """The keys an admin may change here, grouped, with the file's value beside each."""
    w = web()
    conn = w.db.conn()
    errors = FormErrors()
    typed: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        typed = {key: request.form.get(_field(key), "") for key in settings.EDITABLE}
        try:
            with admin_action("settings_changed") as act:
                changed = settings.save(act.conn, w.config, typed, iso(w.clock.now()))
                # the PIN itself stays out of the log: the log is read more widely than the page
                act.detail = "; ".join(
                    f"{k}: changed" if k == "kiosk.rollcall_pin" else
                    f"{k}: {settings.as_text(old)} -> {settings.as_text(new)}".replace("\n", ", ")
                    for k, (old, new) in changed.items()) or "no change"
        except settings.SettingsError as exc:
            errors.update({_field(k): v for k, v in exc.errors.items()})
            status = 400
        else:
            return redirect(url_for("manage.settings.settings_page", saved=len(changed)))
    rows = {s.key: s for s in settings.describe(w.config, conn)}
    values = {_field(key): typed.get(key, s.text) for key, s in rows.items()}
    groups = [(title, intro, [rows[k] for k in keys]) for title, intro, keys in settings.GROUPS]
    return render("manage/settings.html", groups=groups, values=values, errors=errors, field=_field,
                  source=w.config.source or "(built-in defaults: no config file was loaded)",
                  file_only=settings.file_only_keys()), status
