"""/dashboard/manage/visits: putting the record right by hand, and finding past visits.

Sign someone in who forgot (at the time they came), sign out someone still shown as in
(at the time they left), set the door count back to zero, and search every visit kept.
Each correction needs a reason and is written with it to the audit log, in the same
transaction (``admin_action``); the domain rules are appliance/people/corrections.py.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, redirect, request, url_for

from appliance.core import inputs
from appliance.people import corrections, register, visits
from appliance.sensing import occupancy
from kiosk.auth import login_required
from kiosk.context import web
from kiosk.manage.forms import FormErrors, admin_action, render

bp = Blueprint("visits", __name__)

WALL = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends, in the site's time


def _moment(text: str | None, errors: FormErrors, field: str) -> datetime | None:
    """A datetime-local field in the site's time; empty means now."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return datetime.strptime(text, WALL).replace(tzinfo=web().config.site.zone)
    except ValueError:
        errors[field] = f"{text[:40]!r} is not a date and time; use the picker, or the form 2026-03-02T18:30."
        return None


def _page(errors: FormErrors | None = None, values: dict[str, str] | None = None, status: int = 200) -> Any:
    w = web()
    conn = w.db.conn()
    now = w.clock.now()
    zone = w.config.site.zone
    page = render(
        "manage/visits.html", errors=errors or FormErrors(), values=values or {},
        in_now=visits.signed_in_now(conn), people=register.list_people(conn),
        kinds=[k for k in w.config.kiosk.visit_kinds if visits.by_name_only(k)],
        activities=w.config.kiosk.activities, occupancy=occupancy.current(conn),
        now_local=now.astimezone(zone).strftime(WALL), done=request.args.get("done", ""),
    )
    return page, status


@bp.get("/visits")
@login_required
def visits_page() -> Any:
    """Who is in now (each with Sign out by hand), sign someone in by hand, reset the count."""
    return _page()


@bp.post("/visits/signin")
@login_required
def visits_sign_in() -> Any:
    """Sign a member, volunteer or visitor in by hand, with a reason."""
    w = web()
    form = request.form
    errors = FormErrors()
    person_text = form.get("person", "").strip()
    person_id: int | None = None
    if person_text:
        try:
            person_id = int(person_text)
        except ValueError:
            person_id = None
        if person_id is None or not 0 < person_id < 2**63:  # an id SQLite can hold
            errors["person"] = "Choose someone from the list, or 'A visitor'."
    at = _moment(form.get("at"), errors, "at")
    if not errors:
        try:
            with admin_action("visit_signed_in_by_hand") as act:
                visit = corrections.sign_in_by_hand(
                    act.conn, w.config, w.clock.now(), kind=form.get("kind", "visitor"),
                    reason=form.get("reason", ""), person_id=person_id, name=form.get("name", ""),
                    visiting=form.get("visiting", ""), activity=form.get("activity", ""), at=at,
                )
                act.detail = f"visit #{visit.id}: {corrections.reason_text(form.get('reason', ''))}"
        except corrections.CorrectionError as exc:
            errors[_field_of(str(exc))] = str(exc)
    if errors:
        return _page(errors, form.to_dict(), 400)
    return redirect(url_for("manage.visits.visits_page", done=f"Signed in by hand (visit #{visit.id})."))


def _field_of(message: str) -> str:
    """Which field of the sign-in form a correction's message is about."""
    lowered = message.lower()
    for needle, field in (("reason", "reason"), ("future", "at"), ("kept for", "at"), ("already signed in", "person"),
                          ("member or volunteer", "person"), ("name", "name"), ("activity", "activity"),
                          ("kind", "kind"), ("visiting", "visiting")):
        if needle in lowered:
            return field
    return "_form"


@bp.post("/visits/<int:visit_id>/signout")
@login_required
def visits_sign_out(visit_id: int) -> Any:
    """Sign one open visit out by hand, at the time given (now by default), with a reason."""
    w = web()
    errors = FormErrors()
    at = _moment(request.form.get("at"), errors, f"at-{visit_id}")
    if not errors:
        try:
            with admin_action("visit_signed_out_by_hand") as act:
                corrections.sign_out_by_hand(act.conn, w.config, w.clock.now(), visit_id,
                                             reason=request.form.get("reason", ""), at=at)
                act.detail = f"visit #{visit_id}: {corrections.reason_text(request.form.get('reason', ''))}"
        except corrections.CorrectionError as exc:
            errors[f"reason-{visit_id}" if "reason" in str(exc).lower() else f"at-{visit_id}"] = str(exc)
    if errors:
        return _page(errors, {f"{k}-{visit_id}": v for k, v in request.form.to_dict().items()}, 400)
    return redirect(url_for("manage.visits.visits_page", done=f"Visit #{visit_id} signed out by hand."))


@bp.post("/visits/reset-count")
@login_required
def occupancy_reset() -> Any:
    """Set the door counter's figure back to zero, with a reason."""
    w = web()
    errors = FormErrors()
    try:
        with admin_action("occupancy_reset") as act:
            reason = request.form.get("reset_reason", "")
            was = corrections.reset_count(act.conn, w.config, w.clock.now(), reason=reason)
            act.detail = f"from {was} to 0: {corrections.reason_text(reason)}"
    except corrections.CorrectionError as exc:
        errors["reset_reason"] = str(exc)
        return _page(errors, request.form.to_dict(), 400)
    return redirect(url_for("manage.visits.visits_page", done=f"The door count was {was}; it is 0 now."))


def _day(text: str | None, errors: FormErrors, field: str) -> date | None:
    if not text:
        return None
    try:
        return inputs.parse_date(text, "first day" if field == "from" else "last day")
    except inputs.InputError as exc:
        errors[field] = str(exc)
        return None


@bp.get("/visits/history")
@login_required
def visits_history() -> Any:
    """Every visit kept (the retention period), newest first, searched by name, member
    number, reason or activity, kind and dates; 50 a page."""
    w = web()
    args = request.args
    errors = FormErrors()
    start = _day(args.get("from"), errors, "from")
    end = _day(args.get("to"), errors, "to")
    try:
        offset = min(max(0, int(args.get("offset", "0") or 0)), 10**9)
    except ValueError:
        offset = 0
    found = None
    if not errors:
        try:
            found = corrections.history(w.db.conn(), w.config, w.clock.now(), text=args.get("q", ""),
                                        kind=args.get("kind", ""), start=start, end=end, offset=offset)
        except (corrections.CorrectionError, ValueError) as exc:
            errors["_form"] = str(exc)
    return render("manage/visit_history.html", found=found, errors=errors, values=args.to_dict(),
                  kinds=w.config.kiosk.visit_kinds, page=corrections.PAGE,
                  keep_days=w.config.privacy.member_visit_days), (400 if errors else 200)
