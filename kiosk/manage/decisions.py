"""/dashboard/manage/decisions: member decisions (appliance/decisions/, docs/DECISIONS.md).

The list; a form for a new proposal or poll (and to change one before it opens); each
ballot's page with live turnout (the counts only once it closes, unless it is an open
poll), its comments, and annulling it with a reason; and the printable result sheet.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, redirect, request, url_for

from appliance.decisions import ballots, comments, results
from appliance.decisions.ballots import Ballot, DecisionError
from kiosk.auth import login_required
from kiosk.context import web
from kiosk.manage.forms import FormErrors, admin_action, render

bp = Blueprint("decisions", __name__)


def _local(moment: Any) -> str:
    return moment.astimezone(web().config.site.zone).strftime("%Y-%m-%dT%H:%M")


def _ballot(ballot_id: int) -> Ballot:
    found = ballots.get(web().db.conn(), ballot_id)
    if found is None:
        abort(404, description=f"There is no ballot #{ballot_id}.")
    return found


@bp.get("/decisions")
@login_required
def decisions_list() -> str:
    """Every ballot: open, upcoming, closed, annulled, with its turnout."""
    w = web()
    conn, now = w.db.conn(), w.clock.now()
    found = [results.result(conn, b, now) for b in ballots.all_ballots(conn)]
    return render("manage/decisions.html", found=found)


def _form_page(ballot: Ballot | None, values: dict[str, Any], errors: FormErrors, status: int = 200) -> Any:
    page = render("manage/decision_form.html", ballot=ballot, values=values, errors=errors, kinds=ballots.KINDS,
                  electorates=ballots.ELECTORATES, thresholds=ballots.THRESHOLDS, comment_choices=ballots.COMMENTS)
    return page, status


@bp.route("/decisions/new", methods=["GET", "POST"])
@login_required
def decision_new() -> Any:
    """A new proposal or poll."""
    w = web()
    now = w.clock.now()
    if request.method == "GET":
        return _form_page(None, {"kind": "proposal", "electorate": "members", "threshold": "majority",
                                 "comments": "off", "opens_at": _local(now),
                                 "closes_at": _local(now + timedelta(days=7))}, FormErrors())
    form = request.form.to_dict()
    try:
        plan = ballots.read_plan(form, w.config.site.zone)
        with admin_action("decision_created") as act:
            ballot = ballots.create(act.conn, plan, now)
            act.detail = f"ballot #{ballot.id}"
    except DecisionError as exc:
        return _form_page(None, form, FormErrors({exc.field: str(exc)}), 400)
    return redirect(url_for("manage.decisions.decision_page", ballot_id=ballot.id, saved=1), code=303)


@bp.route("/decisions/<int:ballot_id>/edit", methods=["GET", "POST"])
@login_required
def decision_edit(ballot_id: int) -> Any:
    """Change a ballot before it opens (after that it is fixed: annul it instead)."""
    w = web()
    ballot = _ballot(ballot_id)
    if request.method == "GET":
        values = {"title": ballot.title, "body": ballot.body, "kind": ballot.kind,
                  "options": "\n".join(ballot.options) if not ballot.proposal else "",
                  "max_choices": str(ballot.max_choices), "electorate": ballot.electorate,
                  "opens_at": _local(ballot.opens_at), "closes_at": _local(ballot.closes_at),
                  "quorum": str(ballot.quorum or ""), "threshold": ballot.threshold,
                  "changes_allowed": ballot.changes_allowed, "comments": ballot.comments,
                  "comments_public": ballot.comments_public, "open_tally": ballot.open_tally}
        return _form_page(ballot, values, FormErrors())
    form = request.form.to_dict()
    try:
        plan = ballots.read_plan(form, w.config.site.zone)
        with admin_action("decision_changed", f"ballot #{ballot_id}") as act:
            ballots.change(act.conn, ballot_id, plan, w.clock.now())
    except DecisionError as exc:
        return _form_page(ballot, form, FormErrors({exc.field: str(exc)}), 400 if exc.code != "fixed" else 409)
    return redirect(url_for("manage.decisions.decision_page", ballot_id=ballot_id, saved=1), code=303)


@bp.get("/decisions/<int:ballot_id>")
@login_required
def decision_page(ballot_id: int) -> str:
    """A ballot: its question, turnout now, the result once closed, comments, annul."""
    w = web()
    ballot = _ballot(ballot_id)
    conn, now = w.db.conn(), w.clock.now()
    return render("manage/decision.html", ballot=ballot, result=results.result(conn, ballot, now),
                  comments=comments.listed(conn, ballot.id), errors=FormErrors(), now=now,
                  kinds=ballots.KINDS, electorates=ballots.ELECTORATES, thresholds=ballots.THRESHOLDS)


@bp.post("/decisions/<int:ballot_id>/annul")
@login_required
def decision_annul(ballot_id: int) -> Any:
    """Annul a ballot with a reason, which stays visible with it."""
    w = web()
    ballot = _ballot(ballot_id)
    try:
        with admin_action("decision_annulled", f"ballot #{ballot_id}") as act:
            ballots.annul(act.conn, ballot_id, request.form.get("reason", "")[:2000], w.clock.now())
    except DecisionError as exc:
        conn, now = w.db.conn(), w.clock.now()
        page = render("manage/decision.html", ballot=ballot, result=results.result(conn, ballot, now),
                      comments=comments.listed(conn, ballot.id), errors=FormErrors({"reason": str(exc)}), now=now,
                      kinds=ballots.KINDS, electorates=ballots.ELECTORATES, thresholds=ballots.THRESHOLDS)
        return page, 400
    return redirect(url_for("manage.decisions.decision_page", ballot_id=ballot_id), code=303)


@bp.get("/decisions/<int:ballot_id>/sheet")
@login_required
def decision_sheet(ballot_id: int) -> Any:
    """The printable result sheet: the text, the options, the counts, turnout, quorum and
    whether it passed (only once it has closed)."""
    w = web()
    ballot = _ballot(ballot_id)
    conn, now = w.db.conn(), w.clock.now()
    result = results.result(conn, ballot, now)
    return render("manage/decision_sheet.html", ballot=ballot, result=result, now=now,
                  kinds=ballots.KINDS, electorates=ballots.ELECTORATES, thresholds=ballots.THRESHOLDS)
