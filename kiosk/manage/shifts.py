"""/dashboard/manage/shifts: the volunteer shifts (appliance/rota/shifts.py): the list, a
form to add one ("Bar, Friday 18:00-23:00, needs 2"), and one to change it. Who is on
which date, and leaving a date out, are on the rota page (kiosk/rota.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, request, url_for

from appliance.rota import shifts
from kiosk.auth import login_required
from kiosk.context import web
from kiosk.manage.forms import FormErrors, admin_action, render

bp = Blueprint("shifts", __name__)


def _today() -> Any:
    w = web()
    return w.clock.now().astimezone(w.config.site.zone).date()


@bp.get("/shifts")
@login_required
def shifts_list() -> str:
    """Every shift with its rule in words; ended ones when asked."""
    include = request.args.get("all") == "1"
    found = shifts.list_shifts(web().db.conn(), _today(), include_ended=include)
    return render("manage/shifts.html", shifts=found, include_ended=include, today=_today())


def _form_page(shift: shifts.Shift | None, values: dict[str, Any], errors: FormErrors, status: int = 200) -> Any:
    w = web()
    left_out = shifts.left_out_days(w.db.conn(), shift.id) if shift is not None else []
    page = render("manage/shift_form.html", shift=shift, values=values, errors=errors,
                  activities=w.config.kiosk.activities, repeats=shifts.REPEATS,
                  days=list(zip(shifts.DAYS, shifts.DAY_NAMES, strict=True)), left_out=left_out)
    return page, status


@bp.route("/shifts/new", methods=["GET", "POST"])
@login_required
def shift_new() -> Any:
    """Add a shift: activity, optional name, how it repeats, times, how many it needs."""
    w = web()
    if request.method == "GET":
        return _form_page(None, {"repeat": "weekly", "first_day": _today().isoformat(), "needs": "1",
                                 "activity": w.config.kiosk.activities[0] if w.config.kiosk.activities else ""},
                          FormErrors())
    form = request.form.to_dict()
    days = tuple(d for d in request.form.getlist("days") if d in shifts.DAYS)
    try:
        plan = shifts.read_plan(form, days, w.config.kiosk.activities)
        with admin_action("shift_created") as act:
            shift = shifts.create(act.conn, plan, w.clock.now())
            act.detail = f"shift #{shift.id} ({shift.activity})"
    except shifts.RotaError as exc:
        return _form_page(None, {**form, "days": days}, FormErrors({exc.field: str(exc)}), 400)
    return redirect(url_for("manage.shifts.shifts_list", saved=shift.label))


@bp.route("/shifts/<int:shift_id>", methods=["GET", "POST"])
@login_required
def shift_edit(shift_id: int) -> Any:
    """Change a shift's activity, name, times, last day or how many it needs (its days stay)."""
    w = web()
    shift = shifts.get(w.db.conn(), shift_id)
    if shift is None:
        abort(404, description=f"There is no shift #{shift_id}.")
    if request.method == "GET":
        values = {"activity": shift.activity, "title": shift.title, "start": f"{shift.start_time:%H:%M}",
                  "end": f"{shift.end_time:%H:%M}" if shift.end_time else "", "needs": str(shift.needs),
                  "last_day": shift.last_day.isoformat() if shift.last_day else ""}
        return _form_page(shift, values, FormErrors())
    form = request.form.to_dict()
    try:
        with admin_action("shift_changed", f"shift #{shift_id}") as act:
            shifts.change(act.conn, shift_id, form, w.config.kiosk.activities, w.clock.now())
    except shifts.RotaError as exc:
        return _form_page(shift, form, FormErrors({exc.field: str(exc)}), 400)
    return redirect(url_for("manage.shifts.shift_edit", shift_id=shift_id, saved=1))
