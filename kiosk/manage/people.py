"""Managing people (members and volunteers): list, create, edit, deactivate, and assign a
fob by tapping it on the reader while the form is open.

The fob flow: when an unknown card is tapped the agent writes state
``fob/last_unknown`` = {"card_hash", "at"}. The fob page remembers when it was opened;
a tap newer than that moment is the one to assign. The page learns of the tap from a
small JSON endpoint it polls (the hash never leaves the server: the browser only hears
"a fob was read at 10:42:07"), and the assignment itself reads the hash from the state
again on the server.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, jsonify, redirect, request, url_for
from werkzeug.wrappers import Response

from appliance.core.clock import iso, parse_iso
from appliance.core.inputs import InputError, parse_moment
from appliance.people import register, taps
from appliance.privacy import holdings
from appliance.rota import volunteers
from appliance.storage import state
from kiosk.auth import login_required
from kiosk.context import web
from kiosk.manage.forms import FormErrors, admin_action, person_or_404, render

bp = Blueprint("people", __name__)

# A tap older than this is not taken even if the page was left open that long: someone
# else may have tapped a card in between.
FOB_WINDOW = timedelta(minutes=10)


@bp.get("/people")
@login_required
def people_list() -> str:
    """Members and volunteers, with the inactive ones at the end when asked."""
    include = request.args.get("all") == "1"
    return render("manage/people.html", people=register.list_people(web().db.conn(), include_inactive=include),
                  include_inactive=include)


def _parse(form: Any, errors: FormErrors) -> dict[str, Any]:
    fields = {name: form.get(name, "").strip() for name in ("name", "kind", "member_number", "contact")}
    if not fields["name"]:
        errors["name"] = "A person needs a name."
    if fields["kind"] not in register.KINDS:
        errors["kind"] = f"Choose one of: {', '.join(register.KINDS)}."
    return fields


def _error_field(message: str) -> str:
    lowered = message.lower()
    for needle, field in (("member number", "member_number"), ("kind", "kind"), ("contact", "contact"), ("name", "name")):
        if needle in lowered:
            return field
    return "_form"


@bp.route("/people/new", methods=["GET", "POST"])
@login_required
def person_new() -> Any:
    """Add a member or volunteer."""
    return _person_form(None)


@bp.route("/people/<int:person_id>", methods=["GET", "POST"])
@login_required
def person_edit(person_id: int) -> Any:
    """Change a person's details."""
    return _person_form(person_or_404(person_id))


def _form(person: register.Person | None, values: dict[str, Any], errors: FormErrors) -> str:
    return render("manage/person_form.html", person=person, values=values, errors=errors, kinds=register.KINDS,
                  activities=web().config.kiosk.activities)


def _person_form(person: register.Person | None) -> Any:
    errors = FormErrors()
    w = web()
    if request.method == "GET":
        values: dict[str, Any] = {"kind": "member", "activities": []} if person is None else {
            "name": person.name, "kind": person.kind, "member_number": person.member_number or "",
            "contact": person.contact, "activities": volunteers.activities_of(w.db.conn(), person.id)}
        return _form(person, values, errors)
    fields = _parse(request.form, errors)
    # What the volunteer does: the shifts offered to them at the door, asked first after their tap.
    ticked = [a for a in request.form.getlist("activities") if a in w.config.kiosk.activities]
    saved_id = person.id if person else None
    if not errors:
        try:
            if person is None:
                with admin_action("person_created") as act:
                    created = register.create(act.conn, w.clock.now(), **fields)
                    volunteers.set_activities(act.conn, w.config, created.id, ticked)
                    saved_id = created.id
                    act.detail = f"person #{created.id} ({created.kind})"
            else:
                with admin_action("person_changed", f"person #{person.id}") as act:
                    register.update(act.conn, person.id, **fields)
                    volunteers.set_activities(act.conn, w.config, person.id, ticked)
        except register.PeopleError as exc:
            errors[_error_field(str(exc))] = str(exc)
    if errors:
        return _form(person, {**request.form.to_dict(), "activities": ticked}, errors), 400
    response: Response = redirect(url_for("manage.people.person_edit", person_id=saved_id, saved=1))
    return response


@bp.post("/people/<int:person_id>/deactivate")
@login_required
def person_deactivate(person_id: int) -> Any:
    """Mark a person inactive (their fob stops working; their visits stay for reports)."""
    person_or_404(person_id)
    with admin_action("person_deactivated", f"person #{person_id}") as act:
        register.deactivate(act.conn, person_id)
    return redirect(url_for("manage.people.people_list", done=f"Person #{person_id} deactivated; their fob no longer works."))


# -- fobs --------------------------------------------------------------------------------


def pending_tap(since: datetime) -> dict[str, Any] | None:
    """The unknown card tapped after ``since`` (and within the window), or None."""
    w = web()
    value = state.get(w.db.conn(), taps.LAST_UNKNOWN_KEY)
    if not isinstance(value, dict) or not value.get("card_hash") or not value.get("at"):
        return None
    try:
        at = parse_iso(str(value["at"]))
    except ValueError:
        return None
    if at <= since or at < w.clock.now() - FOB_WINDOW:
        return None
    return {"card_hash": str(value["card_hash"]), "at": at}


def _since(text: str | None) -> datetime | None:
    """When the fob page opened, as the page sent it back (None if it is not a time we accept)."""
    try:
        return parse_moment(text, UTC, "since") if text else None
    except InputError:
        return None


@bp.get("/people/<int:person_id>/fob")
@login_required
def person_fob(person_id: int) -> str:
    """'Tap the fob now': the page remembers the moment it opened."""
    person = person_or_404(person_id)
    opened = iso(web().clock.now())
    return render("manage/fob.html", person=person, opened=opened, error=None)


@bp.get("/people/<int:person_id>/fob/status")
@login_required
def person_fob_status(person_id: int) -> Any:
    """JSON for the fob page: has a card been tapped since it opened? (Never the hash.)"""
    since = _since(request.args.get("since"))
    if since is None:
        return jsonify(error="Bad request", detail="since must be the time the page opened (ISO-8601)"), 400
    tap = pending_tap(since)
    zone = web().config.site.zone
    return jsonify(tapped=tap is not None,
                   at=tap["at"].astimezone(zone).strftime("%H:%M:%S") if tap else None)


@bp.post("/people/<int:person_id>/fob")
@login_required
def person_fob_assign(person_id: int) -> Any:
    """Give the person the card tapped since the page opened."""
    person = person_or_404(person_id)
    opened = request.form.get("since", "")
    since = _since(opened)
    tap = pending_tap(since) if since else None
    if tap is None:
        error = ("No fob has been read since this page opened. Tap the fob on the reader, wait for the page to "
                 "say it was read, then press Assign.")
        return render("manage/fob.html", person=person, opened=opened or iso(web().clock.now()), error=error), 400
    try:
        with admin_action(holdings.FOB_ASSIGNED_ACTION, holdings.fob_detail(person_id)) as act:
            register.assign_card(act.conn, person_id, tap["card_hash"])
    except register.PeopleError as exc:
        return render("manage/fob.html", person=person, opened=opened, error=str(exc)), 400
    return redirect(url_for("manage.people.person_edit", person_id=person_id, fob="assigned"))


@bp.post("/people/<int:person_id>/fob/remove")
@login_required
def person_fob_remove(person_id: int) -> Any:
    """Take the fob away (lost, or handed back)."""
    person_or_404(person_id)
    with admin_action("fob_removed", f"person #{person_id}") as act:
        register.assign_card(act.conn, person_id, None)
    return redirect(url_for("manage.people.person_edit", person_id=person_id, fob="removed"))
