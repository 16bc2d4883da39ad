"""What a ballot came to: turnout, the counts, whether a proposal passed, and the parts of
it that are public.

While a ballot is open only its turnout is shown, unless the admin chose an open poll
(``open_tally``); the counts appear when it closes. A proposal passes when its yes votes
reach the threshold of the yes and no votes (abstentions count towards the quorum, not
the threshold) and, when a quorum was set, at least that many people voted.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from appliance.core.clock import iso
from appliance.decisions import ballots, comments
from appliance.decisions.ballots import Ballot

FRACTIONS = {"majority": Fraction(1, 2), "two_thirds": Fraction(2, 3), "three_quarters": Fraction(3, 4)}
# Closed ballots stay on the display and /status.json this long after closing.
SHOWN_FOR = timedelta(days=14)


def turnout(conn: sqlite3.Connection, ballot_id: int) -> int:
    """How many people have voted (erased voters included)."""
    row = conn.execute("SELECT cast_votes FROM decision_turnout WHERE decision_id = ?", (ballot_id,)).fetchone()
    return int(row[0]) if row else 0


def counts(conn: sqlite3.Connection, ballot: Ballot) -> list[int]:
    """The count of each option, in the ballot's order."""
    found = {int(r["option"]): int(r["count"]) for r in conn.execute(
        "SELECT option, count FROM decision_tally WHERE decision_id = ?", (ballot.id,))}
    return [found.get(index, 0) for index in range(len(ballot.options))]


def electorate_size(conn: sqlite3.Connection, ballot: Ballot) -> int | None:
    """How many people may vote now (None for 'everyone signed in': it changes all day)."""
    if ballot.electorate == "members":
        return int(conn.execute("SELECT count(*) FROM people WHERE active = 1 AND kind = 'member'").fetchone()[0])
    if ballot.electorate == "members_volunteers":
        return int(conn.execute("SELECT count(*) FROM people WHERE active = 1").fetchone()[0])
    return None


@dataclass(frozen=True)
class Result:
    """A ballot's picture at a moment: counts only when they may be seen."""

    ballot: Ballot
    state: str  # 'upcoming', 'open', 'closed', 'annulled'
    turnout: int
    electorate: int | None
    counts: list[int] | None  # None while the counts are secret (open, not an open poll)
    quorum_met: bool | None  # proposals with a quorum
    passed: bool | None  # proposals, once closed (None for polls, or still open, or annulled)

    @property
    def rows(self) -> list[tuple[str, int]]:
        """(option, count) pairs, when the counts may be seen."""
        return list(zip(self.ballot.options, self.counts or [], strict=False))


def decide(ballot: Ballot, tally: list[int], cast: int) -> tuple[bool | None, bool | None]:
    """(quorum met, passed) of a proposal from its counts (polls: (None, None))."""
    if not ballot.proposal:
        return None, None
    quorum_met = None if ballot.quorum is None else cast >= ballot.quorum
    yes, no = tally[0], tally[1]
    need = FRACTIONS[ballot.threshold]
    if ballot.threshold == "majority":
        reached = yes > no
    else:
        reached = yes + no > 0 and Fraction(yes, yes + no) >= need
    return quorum_met, reached and quorum_met is not False


def result(conn: sqlite3.Connection, ballot: Ballot, now: datetime) -> Result:
    """The ballot as it stands at ``now``."""
    state = ballot.state(now)
    cast = turnout(conn, ballot.id)
    tally = counts(conn, ballot)
    shown = state == "closed" or (ballot.open_tally and state != "upcoming")
    quorum_met, passed = decide(ballot, tally, cast)
    if state != "closed":
        passed = None
    return Result(ballot, state, cast, electorate_size(conn, ballot), tally if shown else None, quorum_met, passed)


def public(conn: sqlite3.Connection, now: datetime) -> list[dict[str, Any]]:
    """What the display and /status.json show: open ballots with their turnout (counts
    only for an open poll) and ballots closed in the last :data:`SHOWN_FOR` with their
    result. Titles and options as the admin wrote them; never who voted or commented."""
    shown = ballots.open_now(conn, now) + ballots.closed_since(conn, now - SHOWN_FOR, now)
    return [public_result(conn, ballot, now) for ballot in shown]


def public_result(conn: sqlite3.Connection, ballot: Ballot, now: datetime) -> dict[str, Any]:
    """One ballot as the public may see it (and as the MQTT topic carries it once closed)."""
    found = result(conn, ballot, now)
    item: dict[str, Any] = {
        "id": ballot.id, "title": ballot.title, "kind": ballot.kind, "state": found.state,
        "closes_at": iso(ballot.closes_at), "turnout": found.turnout, "electorate": found.electorate,
        "quorum": ballot.quorum, "quorum_met": found.quorum_met, "passed": found.passed,
        "options": [{"option": label, "count": count} for label, count in found.rows] if found.counts is not None
        else None,
    }
    if ballot.comments_public:
        item["comments"] = [c.text for c in comments.listed(conn, ballot.id)][-3:]
    return item


def published(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The retained ``decisions/<id>`` payloads: every ballot the close job has closed
    (annulled ones say so), counts and turnout only."""
    items = []
    for row in conn.execute("SELECT id FROM decisions WHERE closed_at IS NOT NULL ORDER BY id"):
        ballot = ballots.get(conn, int(row[0]))
        assert ballot is not None
        tally = counts(conn, ballot)
        cast = turnout(conn, ballot.id)
        quorum_met, passed = decide(ballot, tally, cast)
        annulled = ballot.annulled_at is not None
        items.append({
            "decision": str(ballot.id), "title": ballot.title, "kind": ballot.kind, "closed_at": iso(ballot.closes_at),
            "options": [{"option": label, "count": count} for label, count in zip(ballot.options, tally, strict=True)],
            "turnout": cast, "quorum": ballot.quorum, "quorum_met": quorum_met,
            "passed": None if annulled else passed, "annulled": annulled,
        })
    return items
