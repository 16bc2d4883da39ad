"""A ballot: the question, its options, who may vote, when, and how it is decided.

Times are stored UTC; a ballot is *open* from ``opens_at`` until ``closes_at`` (by the
clock, whatever the close job has done yet), *closed* after it, and *annulled* when an
admin said so with a reason (which stays visible). It can be changed only before it
opens: once anyone could have voted, its question and rules are fixed.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from appliance.core.clock import Clock, iso, parse_iso
from appliance.core.config import Config
from appliance.core.inputs import FieldError, InputError, clean_text, parse_moment
from appliance.storage.db import Database, transaction

KINDS = {
    "proposal": "A proposal: yes, no or abstain",
    "single": "A poll: choose one option",
    "multiple": "A poll: choose up to a number of options",
}
ELECTORATES = {
    "members": "Members",
    "members_volunteers": "Members and volunteers",
    "signed_in": "Everyone with a record who is signed in when they vote",
}
THRESHOLDS = {
    "majority": "More yes than no",
    "two_thirds": "Two thirds of yes and no votes",
    "three_quarters": "Three quarters of yes and no votes",
}
COMMENTS = {"off": "No comments", "signed": "Comments signed with the member's name",
            "anonymous": "Anonymous comments"}
PROPOSAL_OPTIONS = ("Yes", "No", "Abstain")
MAX_TITLE = 120
MAX_BODY = 2000
MAX_OPTION = 80
MAX_OPTIONS = 12


class DecisionError(FieldError):
    """A ballot cannot be made, changed or voted on as asked."""


@dataclass(frozen=True)
class Plan:
    """A ballot as the admin's form gives it, checked."""

    title: str
    body: str
    kind: str
    options: tuple[str, ...]
    max_choices: int
    electorate: str
    opens_at: datetime
    closes_at: datetime
    quorum: int | None
    threshold: str
    changes_allowed: bool
    comments: str
    comments_public: bool
    open_tally: bool


@dataclass(frozen=True)
class Ballot(Plan):
    """One proposal or poll: its plan as the admin gave it, and what the database adds."""

    id: int
    salt: str
    closed_at: str | None
    annulled_at: str | None
    annul_reason: str | None
    created_at: str

    def is_open(self, now: datetime) -> bool:
        """Votes are taken now."""
        return self.annulled_at is None and self.opens_at <= now < self.closes_at

    def is_over(self, now: datetime) -> bool:
        """Its close time has passed (the result may be shown)."""
        return now >= self.closes_at

    def state(self, now: datetime) -> str:
        """'annulled', 'closed', 'open' or 'upcoming'."""
        if self.annulled_at is not None:
            return "annulled"
        if self.is_over(now):
            return "closed"
        return "open" if self.is_open(now) else "upcoming"

    @property
    def proposal(self) -> bool:
        """A yes/no/abstain proposal (passes or not), rather than a poll."""
        return self.kind == "proposal"


def _ballot(row: sqlite3.Row) -> Ballot:
    return Ballot(
        id=int(row["id"]), title=row["title"], body=row["body"], kind=row["kind"],
        options=tuple(json.loads(row["options"])), max_choices=int(row["max_choices"]),
        electorate=row["electorate"], opens_at=parse_iso(row["opens_at"]), closes_at=parse_iso(row["closes_at"]),
        quorum=row["quorum"], threshold=row["threshold"], changes_allowed=bool(row["changes_allowed"]),
        comments=row["comments"], comments_public=bool(row["comments_public"]), open_tally=bool(row["open_tally"]),
        salt=row["salt"], closed_at=row["closed_at"], annulled_at=row["annulled_at"],
        annul_reason=row["annul_reason"], created_at=row["created_at"],
    )


def get(conn: sqlite3.Connection, ballot_id: int) -> Ballot | None:
    """A ballot by id, or None."""
    row = conn.execute("SELECT * FROM decisions WHERE id = ?", (ballot_id,)).fetchone()
    return _ballot(row) if row is not None else None


def all_ballots(conn: sqlite3.Connection) -> list[Ballot]:
    """Every ballot, the latest closing first."""
    return [_ballot(r) for r in conn.execute("SELECT * FROM decisions ORDER BY closes_at DESC, id DESC")]


def open_now(conn: sqlite3.Connection, now: datetime) -> list[Ballot]:
    """Ballots taking votes now, the soonest closing first."""
    rows = conn.execute(
        "SELECT * FROM decisions WHERE annulled_at IS NULL AND opens_at <= ? AND closes_at > ?"
        " ORDER BY closes_at, id", (iso(now), iso(now)))
    return [_ballot(r) for r in rows]


def closed_since(conn: sqlite3.Connection, since: datetime, now: datetime) -> list[Ballot]:
    """Ballots whose close time is between ``since`` and ``now`` (annulled ones too), latest first."""
    rows = conn.execute("SELECT * FROM decisions WHERE closes_at <= ? AND closes_at > ? ORDER BY closes_at DESC, id DESC",
                        (iso(now), iso(since)))
    return [_ballot(r) for r in rows]


def _text(form: dict[str, Any], name: str, label: str, limit: int, *, required: bool = False,
          multiline: bool = False) -> str:
    try:
        return clean_text(form.get(name, ""), label, limit, required=required, multiline=multiline)
    except InputError as exc:
        raise DecisionError(str(exc), field=name) from None


def _choice(form: dict[str, Any], name: str, allowed: dict[str, str], label: str) -> str:
    value = str(form.get(name, ""))
    if value not in allowed:
        raise DecisionError(f"Choose the {label}: one of {', '.join(allowed)}.", field=name)
    return value


def _number(form: dict[str, Any], name: str, label: str, low: int, high: int) -> int | None:
    text = str(form.get(name, "") or "").strip()
    if not text:
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        raise DecisionError(f"The {label} must be a whole number from {low} to {high}, not {text[:20]!r}.", field=name)
    return int(text)


def _moment(form: dict[str, Any], name: str, label: str, zone: Any) -> datetime:
    try:
        return parse_moment(form.get(name, ""), zone, label)
    except InputError as exc:
        raise DecisionError(str(exc), field=name) from None


def read_plan(form: dict[str, Any], zone: Any) -> Plan:
    """Check the dashboard's form (times in the site's ``zone``); :class:`DecisionError`
    naming the first field that cannot be used."""
    title = _text(form, "title", "title", MAX_TITLE, required=True)
    body = _text(form, "body", "text", MAX_BODY, required=True, multiline=True)
    kind = _choice(form, "kind", KINDS, "kind of ballot")
    if kind == "proposal":
        options: tuple[str, ...] = PROPOSAL_OPTIONS
    else:
        raw = str(form.get("options", "") or "")
        lines: list[str] = []
        for line in raw.replace("\r\n", "\n").split("\n"):
            try:
                cleaned = clean_text(line, "option", MAX_OPTION)
            except InputError as exc:
                raise DecisionError(str(exc), field="options") from None
            if cleaned and cleaned.casefold() not in {o.casefold() for o in lines}:
                lines.append(cleaned)
        if not 2 <= len(lines) <= MAX_OPTIONS:
            raise DecisionError(f"A poll needs from 2 to {MAX_OPTIONS} different options, one a line"
                                f" (this has {len(lines)}).", field="options")
        options = tuple(lines)
    max_choices = 1
    if kind == "multiple":
        max_choices = _number(form, "max_choices", "most options a voter may choose", 1, len(options)) or len(options)
    electorate = _choice(form, "electorate", ELECTORATES, "who may vote")
    opens_at = _moment(form, "opens_at", "opening time", zone)
    closes_at = _moment(form, "closes_at", "closing time", zone)
    if closes_at <= opens_at:
        raise DecisionError("The closing time must be after the opening time.", field="closes_at")
    quorum = _number(form, "quorum", "quorum", 1, 100000) if kind == "proposal" else None
    threshold = _choice(form, "threshold", THRESHOLDS, "threshold") if kind == "proposal" else "majority"
    comments = _choice(form, "comments", COMMENTS, "comments setting")
    return Plan(title, body, kind, options, max_choices, electorate, opens_at, closes_at, quorum, threshold,
                bool(form.get("changes_allowed")), comments, bool(form.get("comments_public")) and comments != "off",
                bool(form.get("open_tally")) and kind != "proposal")


def _values(plan: Plan) -> dict[str, Any]:
    return {
        "title": plan.title, "body": plan.body, "kind": plan.kind, "options": json.dumps(list(plan.options)),
        "max_choices": plan.max_choices, "electorate": plan.electorate, "opens_at": iso(plan.opens_at),
        "closes_at": iso(plan.closes_at), "quorum": plan.quorum, "threshold": plan.threshold,
        "changes_allowed": int(plan.changes_allowed), "comments": plan.comments,
        "comments_public": int(plan.comments_public), "open_tally": int(plan.open_tally),
    }


def _zero_tally(conn: sqlite3.Connection, ballot_id: int, plan: Plan) -> None:
    conn.executemany("INSERT INTO decision_tally (decision_id, option, count) VALUES (?, ?, 0)",
                     [(ballot_id, index) for index in range(len(plan.options))])


def _written(conn: sqlite3.Connection, ballot_id: int) -> Ballot:
    """The ballot this transaction just wrote."""
    ballot = get(conn, ballot_id)
    assert ballot is not None
    return ballot


def create(conn: sqlite3.Connection, plan: Plan, now: datetime) -> Ballot:
    """Add a ballot (call inside a transaction); its counts start at nought."""
    values = {**_values(plan), "salt": secrets.token_hex(32), "created_at": iso(now), "updated_at": iso(now)}
    cur = conn.execute(f"INSERT INTO decisions ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                       tuple(values.values()))
    ballot_id = int(cur.lastrowid or 0)
    _zero_tally(conn, ballot_id, plan)
    conn.execute("INSERT INTO decision_turnout (decision_id, cast_votes) VALUES (?, 0)", (ballot_id,))
    return _written(conn, ballot_id)


def change(conn: sqlite3.Connection, ballot_id: int, plan: Plan, now: datetime) -> Ballot:
    """Change a ballot that has not opened yet (call inside a transaction)."""
    ballot = get(conn, ballot_id)
    if ballot is None:
        raise DecisionError(f"There is no ballot #{ballot_id}.", code="missing")
    if ballot.opens_at <= now or ballot.annulled_at is not None:
        raise DecisionError("This ballot has opened, so it can no longer be changed; annul it with a reason"
                            " and start a new one if it was wrong.", code="fixed")
    values = {**_values(plan), "updated_at": iso(now)}
    conn.execute(f"UPDATE decisions SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
                 (*values.values(), ballot_id))
    conn.execute("DELETE FROM decision_tally WHERE decision_id = ?", (ballot_id,))
    _zero_tally(conn, ballot_id, plan)
    return _written(conn, ballot_id)


def annul(conn: sqlite3.Connection, ballot_id: int, reason: object, now: datetime) -> Ballot:
    """Annul a ballot with a reason that stays visible (call inside a transaction)."""
    ballot = get(conn, ballot_id)
    if ballot is None:
        raise DecisionError(f"There is no ballot #{ballot_id}.", code="missing")
    if ballot.annulled_at is not None:
        raise DecisionError("This ballot is already annulled.", code="annulled")
    try:
        why = clean_text(reason, "reason", 500, required=True)
    except InputError as exc:
        raise DecisionError(str(exc), field="reason") from None
    conn.execute("UPDATE decisions SET annulled_at = ?, annul_reason = ?, updated_at = ? WHERE id = ?",
                 (iso(now), why, iso(now), ballot_id))
    return _written(conn, ballot_id)


def close_due(conn: sqlite3.Connection, now: datetime) -> list[int]:
    """Mark ballots whose close time has passed as closed (call inside a transaction);
    their results are then published. Returns their ids."""
    ids = [int(r[0]) for r in conn.execute(
        "SELECT id FROM decisions WHERE closed_at IS NULL AND closes_at <= ?", (iso(now),))]
    for ballot_id in ids:
        conn.execute("UPDATE decisions SET closed_at = ?, updated_at = ? WHERE id = ?", (iso(now), iso(now), ballot_id))
    return ids


def close_job(db: Database, config: Config, clock: Clock) -> None:
    """Housekeeping: close the ballots whose time is up (their results are then published)."""
    conn = db.conn()
    now = clock.now()
    if conn.execute("SELECT 1 FROM decisions WHERE closed_at IS NULL AND closes_at <= ? LIMIT 1", (iso(now),)).fetchone():
        with transaction(conn):
            close_due(conn, now)
