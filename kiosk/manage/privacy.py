"""/dashboard/manage/privacy: the retention purge on demand, a subject's export and
erasure (with a confirmation step), linking the rows they confirm are theirs, and the
audit log.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, redirect, request, url_for

from appliance.people import register
from appliance.privacy import export, holdings, requests, retention
from appliance.storage import audit, settings
from kiosk.auth import login_required
from kiosk.context import web
from kiosk.manage.forms import FormErrors, admin_action, person_or_404, render

bp = Blueprint("privacy", __name__)

AUDIT_ROWS = 200


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
                  people=register.list_people(conn, include_inactive=True), entries=audit.recent(conn, AUDIT_ROWS),
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
    return redirect(url_for("manage.privacy.privacy_page", purged=result.total))


@bp.get("/privacy/people/<int:person_id>")
@login_required
def privacy_person(person_id: int) -> str:
    """Export or erase one person: what is theirs by key, the name-only matches to confirm,
    and the confirmation step."""
    return _person_page(person_id, None)


def _person_page(person_id: int, error: str | None) -> str:
    person = person_or_404(person_id)
    held = holdings.holdings(web().db.conn(), person_id)
    return render("manage/erase.html", person=person, held=held, error=error,
                  zone=web().config.site.zone)


@bp.post("/privacy/people/<int:person_id>/link")
@login_required
def privacy_link(person_id: int) -> Any:
    """Link the name-only matches the person confirmed are theirs (ticked on their page)."""
    person_or_404(person_id)
    try:
        booking_ids = [int(v) for v in request.form.getlist("booking")]
        visit_ids = [int(v) for v in request.form.getlist("visit")]
    except ValueError:
        abort(400, description="Tick the rows to link; the form sent something that is not a row.")
    if not booking_ids and not visit_ids:
        return _person_page(person_id, "Tick the rows they confirm are theirs, then press Link. Nothing was linked."), 400
    try:
        with admin_action("person_linked") as act:
            count = requests.link(act.conn, person_id, booking_ids=booking_ids, visit_ids=visit_ids)
            act.detail = (f"person #{person_id}: bookings {', '.join(map(str, booking_ids)) or '-'};"
                          f" visits {', '.join(map(str, visit_ids)) or '-'}")
    except requests.PrivacyError as exc:
        return _person_page(person_id, f"{exc} Nothing was linked."), 400
    return redirect(url_for("manage.privacy.privacy_person", person_id=person_id, linked=count))


@bp.get("/privacy/people/<int:person_id>/export.<fmt>")
@login_required
def privacy_export(person_id: int, fmt: str) -> Any:
    """Everything about one person, as a JSON file or a zip of CSV files."""
    w = web()
    person_or_404(person_id)
    if fmt not in ("json", "zip"):
        abort(404, description="Exports are .json or .zip.")
    with admin_action("person_exported", f"person #{person_id} ({fmt})") as act:
        maker = export.export_json if fmt == "json" else export.export_zip
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
    if register.normalise_name(typed) != register.normalise_name(person.name):
        return _person_page(person_id, "To confirm, type the person's whole name exactly as shown. Nothing was erased."), 400
    with admin_action("person_erased") as act:
        erased = requests.erase(act.conn, person_id, w.clock.now())
        act.detail = erased.summary
    return redirect(url_for("manage.privacy.privacy_page", erased=person_id))


@bp.post("/privacy/visitor-erase")
@login_required
def privacy_erase_visitor() -> Any:
    """Erase a visitor (no member record) by their whole name, typed twice to confirm."""
    w = web()
    name = request.form.get("visitor_name", "")
    errors = FormErrors()
    if register.normalise_name(name) != register.normalise_name(request.form.get("visitor_confirm", "")):
        errors["visitor_confirm"] = "The two names differ; type the same whole name twice. Nothing was erased."
    else:
        try:
            with admin_action("visitor_erased") as act:
                act.detail = requests.erase_visitor(act.conn, name, w.clock.now()).summary
        except requests.PrivacyError as exc:
            errors["visitor_name"] = f"{exc} Nothing was erased."
    if errors:
        return _privacy_page(errors, request.form.to_dict()), 400
    return redirect(url_for("manage.privacy.privacy_page", visitor_erased=1))
