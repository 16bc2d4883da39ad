"""Short comments on a ballot, left at the kiosk by people who may vote on it: signed with
their name or anonymous, as the admin set the ballot. The dashboard shows them (with the
name when signed); the display shows only the words, and only when the admin made them
public. A comment is kept apart from votes: it says nothing of how its writer voted
unless they wrote so."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from appliance.core.clock import iso
from appliance.core.inputs import InputError, clean_text
from appliance.decisions.ballots import DecisionError, get

MAX_COMMENT = 280


@dataclass(frozen=True)
class Comment:
    """One comment; ``author`` is the person's name when signed (and not erased), else ''."""

    id: int
    text: str
    author: str
    created_at: str


def add(conn: sqlite3.Connection, ballot_id: int, person_id: int, text: object, now: datetime) -> Comment:
    """Leave a comment (call inside a transaction); the caller checked who is commenting."""
    ballot = get(conn, ballot_id)
    if ballot is None:
        raise DecisionError(f"There is no ballot #{ballot_id}.", code="missing")
    if ballot.comments == "off":
        raise DecisionError("This ballot takes no comments.", code="no_comments")
    if not ballot.is_open(now):
        raise DecisionError("This vote is not open.", code="not_open")
    try:
        words = clean_text(text, "comment", MAX_COMMENT, required=True)
    except InputError:
        raise DecisionError("Type a comment of up to 280 letters.", code="bad_comment") from None
    signed = person_id if ballot.comments == "signed" else None
    cur = conn.execute("INSERT INTO decision_comments (decision_id, person_id, text, created_at) VALUES (?, ?, ?, ?)",
                       (ballot_id, signed, words, iso(now)))
    return Comment(int(cur.lastrowid or 0), words, "", iso(now))


def listed(conn: sqlite3.Connection, ballot_id: int) -> list[Comment]:
    """A ballot's comments, oldest first, with the writer's name when signed."""
    rows = conn.execute(
        "SELECT c.id, c.text, c.created_at, p.name FROM decision_comments c LEFT JOIN people p ON p.id = c.person_id"
        " WHERE c.decision_id = ? ORDER BY c.id", (ballot_id,))
    return [Comment(int(r["id"]), r["text"], r["name"] or "", r["created_at"]) for r in rows]
