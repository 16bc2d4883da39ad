"""Settings and privacy screens: the settings an admin may change, the retention purge on
demand, a subject's export and erasure (with a confirmation step), and the audit log.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, redirect, request, url_for

from appliance import audit, people, privacy, retention, settings
from appliance.clock import iso
from kiosk.auth import login_required
from kiosk.context import web
from kiosk.manage import FormErrors, admin_action, bp, person_or_404, render

AUDIT_ROWS = 200


def _field(dotted: str) -> str:
    """Form field name for a dotted key (dots are awkward in ids and CSS)."""
    return dotted.replace(".", "__")


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings_page() -> Any:
    """The keys an admin may change here, with the file's value beside each; the rest is the file's."""
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
                act.detail = "; ".join(f"{k}: {old} -> {new}" for k, (old, new) in changed.items()) or "no change"
        except settings.SettingsError as exc:
            errors.update({_field(k): v for k, v in exc.errors.items()})
            status = 400
        else:
            return redirect(url_for("manage.settings_page", saved=len(changed)))
    rows = settings.describe(w.config, conn)
    values = {_field(s.key): typed.get(s.key, s.value) for s in rows}
    return render("manage/settings.html", rows=rows, values=values, errors=errors, field=_field,
                  source=w.config.source or "(built-in defaults: no config file was loaded)",
                  file_only=settings.file_only_keys()), status


@bp.get("/privacy")
@login_required
def privacy_page() -> str:
    """Retention in force, the last purge, people to export or erase, the audit log."""
    return _privacy_page(FormErrors(), {})


def _privacy_page(errors: FormErrors, values: dict[str, str]) -> str:
    w = web()
    conn = w.db.conn()
    return render("manage/privacy.html", privacy=settings.effective(w.config, conn).privacy,
                  last=retention.last_purge(conn), labels=retention.LABELS,
                  people=people.list_people(conn, include_inactive=True), entries=audit.recent(conn, AUDIT_ROWS),
                  errors=errors, values=values)


@bp.post("/privacy/purge")
@login_required
def privacy_purge() -> Any:
    """Run the retention purge now; the page then shows how many rows of each kind went."""
    w = web()
    conn = w.db.conn()
    result = retention.purge_now(conn, w.config, w.clock.now())
    # The purge takes its own transactions; the record of who ran it follows at once.
    with admin_action("retention_purged", ", ".join(f"{k}: {v}" for k, v in result.as_dict().items())):
        pass
    return redirect(url_for("manage.privacy_page", purged=result.total))


@bp.get("/privacy/people/<int:person_id>")
@login_required
def privacy_person(person_id: int) -> str:
    """Export or erase one person: the confirmation step."""
    return render("manage/erase.html", person=person_or_404(person_id), error=None)


@bp.get("/privacy/people/<int:person_id>/export.<fmt>")
@login_required
def privacy_export(person_id: int, fmt: str) -> Any:
    """Everything about one person, as a JSON file or a zip of CSV files."""
    w = web()
    person_or_404(person_id)
    if fmt not in ("json", "zip"):
        abort(404, description="Exports are .json or .zip.")
    with admin_action("person_exported", f"person #{person_id} ({fmt})") as act:
        maker = privacy.export_json if fmt == "json" else privacy.export_zip
        body = maker(act.conn, person_id, w.clock.now())
    mimetype = "application/json" if fmt == "json" else "application/zip"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="doorstep-person-{person_id}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"  # personal data: not for a shared cache
    return response


@bp.post("/privacy/people/<int:person_id>/erase")
@login_required
def privacy_erase(person_id: int) -> Any:
    """Erase a person once their whole name has been typed to confirm."""
    w = web()
    person = person_or_404(person_id)
    typed = request.form.get("confirm_name", "")
    if people.normalise_name(typed) != people.normalise_name(person.name):
        error = "To confirm, type the person's whole name exactly as shown. Nothing was erased."
        return render("manage/erase.html", person=person, error=error), 400
    with admin_action("person_erased") as act:
        erased = privacy.erase(act.conn, person_id, w.clock.now())
        act.detail = erased.summary
    return redirect(url_for("manage.privacy_page", erased=person_id))


@bp.post("/privacy/visitor-erase")
@login_required
def privacy_erase_visitor() -> Any:
    """Erase a visitor (no member record) by their whole name, typed twice to confirm."""
    w = web()
    name = request.form.get("visitor_name", "")
    errors = FormErrors()
    if people.normalise_name(name) != people.normalise_name(request.form.get("visitor_confirm", "")):
        errors["visitor_confirm"] = "The two names differ; type the same whole name twice. Nothing was erased."
    else:
        try:
            with admin_action("visitor_erased") as act:
                act.detail = privacy.erase_visitor(act.conn, name, w.clock.now()).summary
        except privacy.PrivacyError as exc:
            errors["visitor_name"] = f"{exc} Nothing was erased."
    if errors:
        return _privacy_page(errors, request.form.to_dict()), 400
    return redirect(url_for("manage.privacy_page", visitor_erased=1))
