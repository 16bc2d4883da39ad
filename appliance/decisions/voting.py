"""Casting a vote, secret by construction.

One transaction writes the "has voted" mark (``decision_voters``: ballot, person) and adds
one to each chosen option's count (``decision_tally``) and to the turnout; nothing written
names both the person and the choice, and no row carries an order or a time that could
line the two up (both tables are WITHOUT ROWID, in key order). Deleted bytes are
overwritten (``PRAGMA secure_delete``, appliance/storage/db.py), and after each vote the
WAL is checkpointed with TRUNCATE, so the frames of a vote's transaction (in which the
mark and the counts sit side by side) do not outlive it in the -wal file
(:func:`checkpoint`; the agent's ``decisions.checkpoint`` job catches any that a busy
moment left).

Changing a vote, when the ballot allows it, needs the previous choice without a link in
the database: a fob voter's receipt is keyed by HMAC(ballot salt, ballot key), the ballot
key being what the agent derives from the fob's number with its fob secret
(appliance/people/fobs.py ``ballot_key``), held by neither the database nor the kiosk
page. A person who typed their member number has no such key, and is refused politely.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta

from appliance.core.clock import Clock, iso
from appliance.core.config import Config
from appliance.decisions.ballots import Ballot, DecisionError, get
from appliance.people import register
from appliance.people.visits import open_visit_of
from appliance.storage.db import Database, transaction

COUNTED = "counted"
CHANGED = "changed"


def may_vote(conn: sqlite3.Connection, ballot: Ballot, person_id: int) -> bool:
    """Whether this person is in the ballot's electorate (an active record of the right
    kind; for 'signed_in', signed in now)."""
    person = register.get(conn, person_id)
    if person is None or not person.active:
        return False
    if ballot.electorate == "members":
        return person.kind == "member"
    if ballot.electorate == "members_volunteers":
        return person.kind in ("member", "volunteer")
    return open_visit_of(conn, person_id) is not None


def has_voted(conn: sqlite3.Connection, ballot_id: int, person_id: int) -> bool:
    """Whether this person's vote on this ballot is counted."""
    row = conn.execute("SELECT 1 FROM decision_voters WHERE decision_id = ? AND person_id = ?",
                       (ballot_id, person_id)).fetchone()
    return row is not None


def check_choices(ballot: Ballot, choices: Sequence[int]) -> list[int]:
    """The chosen options' indexes, checked: at least one, each once, within the ballot's
    options, no more than it allows."""
    chosen = sorted(set(choices))
    if not chosen:
        raise DecisionError("Choose an option first.", code="no_choice")
    if any(not 0 <= c < len(ballot.options) for c in chosen) or len(chosen) != len(choices):
        raise DecisionError("That is not one of this ballot's options.", code="bad_choice")
    if len(chosen) > ballot.max_choices:
        raise DecisionError(f"Choose at most {ballot.max_choices}.", code="too_many")
    return chosen


def receipt_of(ballot: Ballot, ballot_key: str) -> str:
    """The receipt's key for a fob voter on this ballot."""
    return hmac.new(bytes.fromhex(ballot.salt), ballot_key.encode("utf-8"), hashlib.sha256).hexdigest()


def _add(conn: sqlite3.Connection, ballot_id: int, chosen: Sequence[int], step: int) -> None:
    conn.executemany("UPDATE decision_tally SET count = count + ? WHERE decision_id = ? AND option = ?",
                     [(step, ballot_id, option) for option in chosen])


def cast(conn: sqlite3.Connection, ballot_id: int, person_id: int, choices: Sequence[int], now: datetime, *,
         ballot_key: str = "") -> str:
    """Count this person's vote (:data:`COUNTED`) or change it (:data:`CHANGED`), in one
    transaction (joins the caller's). :class:`DecisionError` with a ``code``: 'missing',
    'not_open', 'not_eligible', 'already_voted', 'cannot_change', or a choice's."""
    with transaction(conn):
        ballot = get(conn, ballot_id)
        if ballot is None:
            raise DecisionError(f"There is no ballot #{ballot_id}.", code="missing")
        if not ballot.is_open(now):
            raise DecisionError("This vote is not open.", code="not_open")
        if not may_vote(conn, ballot, person_id):
            raise DecisionError("This vote is not open to you.", code="not_eligible")
        chosen = check_choices(ballot, choices)
        receipt = receipt_of(ballot, ballot_key) if ballot.changes_allowed and ballot_key else ""
        if has_voted(conn, ballot_id, person_id):
            if not ballot.changes_allowed:
                raise DecisionError("You have already voted on this.", code="already_voted")
            row = conn.execute("SELECT choices FROM decision_receipts WHERE decision_id = ? AND receipt = ?",
                               (ballot_id, receipt)).fetchone() if receipt else None
            if row is None:
                raise DecisionError("Your vote is counted; it can be changed only with the fob you voted with.",
                                    code="cannot_change")
            _add(conn, ballot_id, json.loads(row["choices"]), -1)
            _add(conn, ballot_id, chosen, +1)
            conn.execute("UPDATE decision_receipts SET choices = ? WHERE decision_id = ? AND receipt = ?",
                         (json.dumps(chosen), ballot_id, receipt))
            return CHANGED
        conn.execute("INSERT INTO decision_voters (decision_id, person_id) VALUES (?, ?)", (ballot_id, person_id))
        conn.execute("UPDATE decision_turnout SET cast_votes = cast_votes + 1 WHERE decision_id = ?", (ballot_id,))
        _add(conn, ballot_id, chosen, +1)
        if receipt:
            conn.execute("INSERT INTO decision_receipts (decision_id, receipt, choices) VALUES (?, ?, ?)",
                         (ballot_id, receipt, json.dumps(chosen)))
        return COUNTED


def checkpoint(conn: sqlite3.Connection) -> bool:
    """Copy the WAL into the database file and empty it (TRUNCATE), so no frame of a vote's
    transaction stays in the -wal file; False when a writer or a reader kept it from
    finishing. It never waits (a checkpoint holding the write lock while it waits for a
    reader would hold up the agent's writer): the agent's job tries again within a minute."""
    timeout = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        row = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.OperationalError:
        return False
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout)}")
    return row is not None and int(row[0]) == 0


def forget_voter(conn: sqlite3.Connection, person_id: int) -> int:
    """Remove a person's "has voted" marks (erasing them); their votes stay in the counts."""
    return conn.execute("DELETE FROM decision_voters WHERE person_id = ?", (person_id,)).rowcount


def checkpoint_job(db: Database, config: Config, clock: Clock) -> None:
    """Housekeeping: empty the WAL (TRUNCATE) while a ballot is open or just closed, in case
    a vote's own checkpoint was kept from finishing by a reader; no frame of a vote
    outlives this by much more than a minute."""
    conn = db.conn()
    now = clock.now()
    recent = conn.execute("SELECT 1 FROM decisions WHERE opens_at <= ? AND closes_at > ? LIMIT 1",
                          (iso(now), iso(now - timedelta(hours=1)))).fetchone()
    if recent is not None:
        checkpoint(conn)
