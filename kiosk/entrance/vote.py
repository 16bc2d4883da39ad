"""/kiosk/vote: member decisions at the door (docs/DECISIONS.md).

An open question shows on the home screen. Its page shows the text; the person says who
they are with their fob (the kiosk asks, appliance/people/identify.py, and the tap
answers instead of signing them in or out) or with their member number and surname
(appliance/people/recognise.py, misses paused like a PIN). The ballot then takes their
vote (appliance/decisions/voting.py) and answers with a redirect to "Your vote is
counted", which shows no choice and is shown once (post/redirect/get; no page is
stored, kiosk/entrance/frame.py ``no_store``). Who is voting is kept in the kiosk's
session for a few minutes and dropped by the vote, the idle reset and time.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from appliance.core.clock import iso, parse_iso
from appliance.decisions import ballots, comments, voting
from appliance.decisions.ballots import Ballot, DecisionError
from appliance.people import identify, recognise, taps
from kiosk.access import from_kiosk_network, kiosk_write
from kiosk.context import web
from kiosk.entrance.frame import MAX_TYPED, Typed, remember, take, typed
from kiosk.entrance.visits import number_matched, number_missed, number_paused, paused_words

bp = Blueprint("vote", __name__)

VOTER_KEY = "voter"  # in the session: {"ballot", "tap" or "person", "until"}
VOTER_FOR = timedelta(minutes=3)


def words(code: str) -> str:
    """A refusal in the screen's language."""
    found = {
        "already_voted": _("You have already voted on this. Thank you."),
        "cannot_change": _("Your vote is counted. It can be changed only by tapping the fob you voted with."),
        "not_open": _("This vote is not open now."),
        "not_eligible": _("Sorry, this vote is not open to you. Please ask a volunteer if you think it should be."),
        "no_choice": _("Please choose an option first."),
        "bad_choice": _("Please choose from the options shown."),
        "too_many": _("You chose too many options."),
        "bad_comment": _("Please type a comment of up to 280 letters."),
        "no_comments": _("This vote takes no comments."),
        "who": _("Please tap your fob or type your member number again."),
    }
    return found.get(code, _("Sorry, that did not work. Please try again."))


def option_label(ballot: Ballot, option: str) -> str:
    """An option as the screen shows it: a proposal's Yes / No / Abstain in its language."""
    if ballot.proposal:
        return {"Yes": _("Yes"), "No": _("No"), "Abstain": _("Abstain")}.get(option, option)
    return option


def _ballot(ballot_id: int) -> Ballot:
    ballot = ballots.get(web().db.conn(), ballot_id)
    if ballot is None:
        abort(404)
    return ballot


def _closed_page(ballot: Ballot) -> tuple[str, int]:
    return render_template("entrance/error.html", message=words("not_open")), 409


def _question(ballot: Ballot, *, asking: bool = False, error: str = "", field: str = "", form: dict[str, str] | None = None,
              code: int = 200) -> tuple[str, int]:
    page = render_template(
        "entrance/vote_question.html", ballot=ballot, asking=asking, error=error, error_field=field if error else "",
        form=form or {"number": "", "surname": ""}, max_typed=MAX_TYPED, label=lambda o: option_label(ballot, o),
    )
    return page, code


@bp.get("/vote")
def open_list() -> str:
    """The members' votes open now (the home screen links here when there are several)."""
    w = web()
    return render_template("entrance/vote_list.html", open_ballots=ballots.open_now(w.db.conn(), w.clock.now()))


@bp.get("/vote/<int:ballot_id>")
def question(ballot_id: int) -> Any:
    """The question and how to say who you are."""
    ballot = _ballot(ballot_id)
    if not ballot.is_open(web().clock.now()):
        return _closed_page(ballot)
    return _question(ballot)


@bp.post("/vote/<int:ballot_id>/fob")
@kiosk_write
def ask_fob(ballot_id: int) -> Any:
    """"Vote with my fob": the next tap says who is voting (and signs nobody in or out)."""
    w = web()
    ballot = _ballot(ballot_id)
    if not ballot.is_open(w.clock.now()):
        return _closed_page(ballot)
    with w.db.write() as conn:
        identify.ask(conn, w.clock.now(), purpose="vote")
    return _question(ballot, asking=True)


@bp.post("/vote/<int:ballot_id>/who")
@kiosk_write
def who(ballot_id: int) -> Any:
    """Member number and surname: who is voting, without a fob."""
    w = web()
    ballot = _ballot(ballot_id)
    if not ballot.is_open(w.clock.now()):
        return _closed_page(ballot)
    form = {k: request.form.get(k, "")[: 10 * MAX_TYPED] for k in ("number", "surname")}
    if number_paused(w, form["number"]):
        return _question(ballot, error=paused_words(), field="number", form=form, code=429)
    try:
        number = typed(form["number"], required_message=_("Please type your member number."))
        surname = typed(form["surname"], required_message=_("Please type your surname."))
    except Typed as exc:
        return _question(ballot, error=str(exc), field="number" if not form["number"].strip() else "surname",
                         form=form, code=400)
    person = recognise.by_number_and_surname(w.db.conn(), number, surname)
    if person is None:
        if number_missed(w, number):
            return _question(ballot, error=paused_words(), field="number", form=form, code=429)
        return _question(ballot, error=_("We could not find that member number with that surname. Check both,"
                                         " or ask a volunteer."), field="number", form=form, code=400)
    number_matched(w, number)
    session[VOTER_KEY] = {"ballot": ballot.id, "person": person.id, "until": iso(w.clock.now() + VOTER_FOR)}
    return redirect(url_for("entrance.vote.ballot", ballot_id=ballot.id), code=303)


def _voter(ballot: Ballot) -> tuple[int, str, taps.Tap | None] | None:
    """(person id, ballot key, tap) of whoever is voting on this ballot at this kiosk now, or None."""
    w = web()
    now = w.clock.now()
    held = session.get(VOTER_KEY)
    if not isinstance(held, dict) or held.get("ballot") != ballot.id:
        return None
    try:
        if parse_iso(str(held.get("until"))) < now:
            return None
    except ValueError:
        return None
    if held.get("tap"):
        tap = taps.tap_of(w.db.conn(), str(held["tap"]), now)
        if tap is None or tap.outcome != "identified" or tap.person_id is None:
            return None
        return tap.person_id, tap.ballot_key, tap
    person = held.get("person")
    return (person, "", None) if isinstance(person, int) else None


def _ballot_page(ballot: Ballot, voter: tuple[int, str, taps.Tap | None], *, error: str = "", code: int = 200,
                 said: bool = False) -> tuple[str, int]:
    conn = web().db.conn()
    person_id, key, _tap = voter
    voted = voting.has_voted(conn, ballot.id, person_id)
    page = render_template(
        "entrance/vote_ballot.html", ballot=ballot, label=lambda o: option_label(ballot, o),
        eligible=voting.may_vote(conn, ballot, person_id), voted=voted,
        can_change=voted and ballot.changes_allowed and bool(key), error=error, said=said,
        max_comment=comments.MAX_COMMENT, now=web().clock.now(),
    )
    return page, code


@bp.get("/vote/<int:ballot_id>/ballot")
def ballot(ballot_id: int) -> Any:
    """The options to vote on, for whoever said who they are (``?tap=`` after a fob tap)."""
    if not from_kiosk_network():
        abort(403)
    w = web()
    found = _ballot(ballot_id)
    if not found.is_open(w.clock.now()):
        return _closed_page(found)
    token = (request.args.get("tap") or "")[:64]
    if token:
        tap = taps.tap_of(w.db.conn(), token, w.clock.now())
        if tap is None or tap.outcome != "identified":
            abort(410)
        session[VOTER_KEY] = {"ballot": found.id, "tap": token, "until": iso(w.clock.now() + VOTER_FOR)}
        # the token leaves the address bar (and the browser's history)
        return redirect(url_for("entrance.vote.ballot", ballot_id=found.id), code=303)
    voter = _voter(found)
    if voter is None:
        return redirect(url_for("entrance.vote.question", ballot_id=found.id), code=303)
    return _ballot_page(found, voter, said=request.args.get("said") == "1")


def _chosen(found: Ballot) -> list[int]:
    chosen = []
    for value in request.form.getlist("option")[: len(found.options) + 1]:
        if not value.isdigit() or len(value) > 3:
            raise DecisionError("bad choice", code="bad_choice")
        chosen.append(int(value))
    return chosen


@bp.post("/vote/<int:ballot_id>/ballot")
@kiosk_write
def cast(ballot_id: int) -> Any:
    """Count the vote; the answer is a redirect to a page that shows no choice."""
    w = web()
    found = _ballot(ballot_id)
    if not found.is_open(w.clock.now()):
        return _closed_page(found)
    voter = _voter(found)
    if voter is None:  # sent twice, the back button, or too slow: nothing is counted twice
        return render_template("entrance/error.html", message=words("who")), 409
    person_id, key, tap = voter
    try:
        with w.db.write() as conn:
            outcome = voting.cast(conn, found.id, person_id, _chosen(found), w.clock.now(), ballot_key=key)
            if tap is not None:
                taps.spend(conn, tap)  # whose tap it was goes with the vote
    except DecisionError as exc:
        if exc.code in ("no_choice", "bad_choice", "too_many"):
            return _ballot_page(found, voter, error=words(exc.code), code=400)
        return render_template("entrance/error.html", message=words(exc.code)), 409
    voting.checkpoint(w.db.conn())  # no frame of the vote stays in the -wal file
    session.pop(VOTER_KEY, None)
    remember("voted", changed=outcome == voting.CHANGED)
    return redirect(url_for("entrance.vote.counted"), code=303)


@bp.post("/vote/<int:ballot_id>/comment")
@kiosk_write
def comment(ballot_id: int) -> Any:
    """Leave a short comment (signed or anonymous, as the ballot says)."""
    w = web()
    found = _ballot(ballot_id)
    voter = _voter(found)
    if voter is None:
        return render_template("entrance/error.html", message=words("who")), 409
    if not voting.may_vote(w.db.conn(), found, voter[0]):
        return render_template("entrance/error.html", message=words("not_eligible")), 403
    try:
        text = typed(request.form.get("comment", "")[: 10 * MAX_TYPED], max_length=comments.MAX_COMMENT,
                     required_message=words("bad_comment"))
        with w.db.write() as conn:
            comments.add(conn, found.id, voter[0], text, w.clock.now())
    except Typed as exc:
        return _ballot_page(found, voter, error=str(exc), code=400)
    except DecisionError as exc:
        return _ballot_page(found, voter, error=words(exc.code), code=409)
    return redirect(url_for("entrance.vote.ballot", ballot_id=found.id, said=1), code=303)


@bp.get("/vote/done")
def counted() -> Any:
    """"Your vote is counted": shown once, no choice on it; then back to the start."""
    outcome = take("voted")
    if outcome is None:
        return redirect(url_for("entrance.home.home"))
    heading = _("Your vote is counted.")
    detail = _("Your vote is changed. Thank you.") if outcome.get("changed") else _("Thank you for voting.")
    return render_template("entrance/done.html", heading=heading, detail=detail,
                           idle_seconds=web().config.kiosk.done_seconds)


def forget() -> None:
    """The idle reset: whoever was voting is forgotten."""
    session.pop(VOTER_KEY, None)
