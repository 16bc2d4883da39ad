"""/dashboard/rota: who is on which shift, and who actually came (login required).

The week view lists every date of every shift from today, as covered / taken but not
yet in / uncovered, with the names of who took it and a tick for who signed in. Each
date has a page where an admin puts people on it or takes them off (no cut-off here),
or leaves the date out (a bank holiday) and puts it back. Every change is written with
its audit entry (kiosk/manage/forms.py).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, abort, redirect, request, url_for

from appliance.core.inputs import InputError, parse_date
from appliance.people import register
from appliance.rota import coverage, shifts, signups
from appliance.rota.shifts import RotaError
from kiosk.auth import login_required
from kiosk.context import web
from kiosk.manage.forms import admin_action, render

bp = Blueprint("rota", __name__, url_prefix="/dashboard/rota")

SPANS = (7, 14)


def _today() -> date:
    w = web()
    return w.clock.now().astimezone(w.config.site.zone).date()


@bp.get("/")
@login_required
def week() -> str:
    """Today and the week ahead (or two weeks), day by day."""
    w = web()
    span = 14 if request.args.get("days") == "14" else 7
    zone = w.config.site.zone
    start = datetime.combine(_today(), time(0), zone)
    covers = coverage.rota(w.db.conn(), w.config, start, start + timedelta(days=span), w.clock.now())
    days: dict[date, list[coverage.Cover]] = defaultdict(list)
    for cover in covers:
        days[cover.occurrence.day].append(cover)
    return render("rota/week.html", days=sorted(days.items()), counts=coverage.counts(covers), span=span,
                  words=coverage.STATE_WORDS, today=_today())


def _date(shift_id: int, day_text: str) -> tuple[int, date]:
    try:
        return shift_id, parse_date(day_text, "day")
    except InputError as exc:
        abort(404, description=str(exc))


def _people() -> list[register.Person]:
    """Everyone who can be put on a shift: volunteers first, then members, by name."""
    people = register.list_people(web().db.conn())
    return sorted(people, key=lambda p: (p.kind != "volunteer", p.name.casefold()))


@bp.route("/date/<int:shift_id>/<day>", methods=["GET", "POST"])
@login_required
def date_page(shift_id: int, day: str) -> Any:
    """One date of a shift: who took it, who came; put someone on, take them off, leave it out."""
    w = web()
    shift_id, when = _date(shift_id, day)
    error = ""
    status = 200
    if request.method == "POST":
        try:
            _act(shift_id, when, request.form.get("action", ""), request.form.get("person", ""))
        except RotaError as exc:
            error, status = str(exc), 409 if exc.code in ("full", "clash", "left_out") else 400
        else:
            return redirect(url_for("rota.date_page", shift_id=shift_id, day=when.isoformat(), done=1))
    try:
        cover = coverage.cover_of(w.db.conn(), w.config, shift_id, when, w.clock.now())
    except RotaError as exc:
        abort(404, description=str(exc))
    on = {t.person_id for t in cover.takers}
    return render("rota/date.html", cover=cover, people=[p for p in _people() if p.id not in on], error=error,
                  words=coverage.STATE_WORDS), status


def _act(shift_id: int, day: date, action: str, person_text: str) -> None:
    w = web()
    now = w.clock.now()
    detail = f"shift #{shift_id} on {day.isoformat()}"
    if action in ("assign", "remove"):
        try:
            person_id = int(person_text)
            if not 0 < person_id < 2**63:
                raise ValueError(person_text)
        except ValueError:
            raise RotaError("Choose a person from the list.", field="person") from None
        if action == "assign":
            with admin_action("rota_assigned", f"{detail}: person #{person_id}") as act:
                signups.take(act.conn, w.config, now, person_id=person_id, shift_id=shift_id, day=day,
                             source="dashboard")
        else:
            with admin_action("rota_removed", f"{detail}: person #{person_id}") as act:
                signups.give_up(act.conn, w.config, now, person_id=person_id, shift_id=shift_id, day=day)
    elif action == "leave_out":
        with admin_action("rota_date_left_out", detail) as act:
            shifts.leave_out(act.conn, w.config, shift_id, day, now)
    elif action == "put_back":
        with admin_action("rota_date_put_back", detail) as act:
            shifts.put_back(act.conn, shift_id, day)
    else:
        raise RotaError(f"Unknown action {action[:30]!r}: choose assign, remove, leave_out or put_back.")
