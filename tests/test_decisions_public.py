"""What the public surfaces say of member decisions: /display/ and /status.json show an
open ballot's turnout (never its counts, unless an open poll), a closed one's result, and
public comments' words without who wrote them."""

from __future__ import annotations

from typing import Any

from decisions_support import make_ballot

from appliance.core.clock import ManualClock
from appliance.decisions import comments, voting
from appliance.people import register
from appliance.storage.db import Database, transaction


def test_turnout_while_open_the_result_after_and_never_a_name(client: Any, db: Database, clock: ManualClock) -> None:
    conn = db.conn()
    ballot = make_ballot(conn, clock.now(), hours=3, comments="signed", comments_public=True)
    with transaction(conn):
        ada = register.create(conn, clock.now(), name="Ada Lovelace", kind="member")
        llyr = register.create(conn, clock.now(), name="Llŷr ap Gwyn", kind="member")
    voting.cast(conn, ballot.id, ada.id, [0], clock.now())
    voting.cast(conn, ballot.id, llyr.id, [1], clock.now())
    with transaction(conn):
        comments.add(conn, ballot.id, ada.id, "Three quotes first, please", clock.now())
    [item] = client.get("/status.json").get_json()["decisions"]
    assert (item["state"], item["turnout"], item["options"], item["passed"]) == ("open", 2, None, None)
    assert item["closes_at"] == "2026-03-02T12:00:00+00:00" and item["comments"] == ["Three quotes first, please"]
    board = client.get("/display/").get_data(as_text=True)
    assert "Voting now: 2 voted so far / 2" in board and "Three quotes first, please" in board
    clock.advance(3 * 3600)
    [closed] = client.get("/status.json").get_json()["decisions"]
    assert closed["state"] == "closed" and closed["passed"] is False  # 1 yes, 1 no: no majority
    assert closed["options"] == [{"option": "Yes", "count": 1}, {"option": "No", "count": 1},
                                 {"option": "Abstain", "count": 0}]
    board = client.get("/display/").get_data(as_text=True)
    assert "Not passed" in board and "Yes: 1" in board
    for surface in (board, client.get("/status.json").get_data(as_text=True), client.get("/status.txt").get_data(as_text=True)):
        assert "Ada" not in surface and "Lovelace" not in surface and "Gwyn" not in surface


def test_an_open_poll_shows_its_counts_while_voting(client: Any, db: Database, clock: ManualClock) -> None:
    conn = db.conn()
    poll = make_ballot(conn, clock.now(), kind="single", options="Quiz\nCeilidh", open_tally=True,
                       electorate="members_volunteers")
    with transaction(conn):
        sian = register.create(conn, clock.now(), name="Siân Evans", kind="volunteer")
    voting.cast(conn, poll.id, sian.id, [1], clock.now())
    [item] = client.get("/status.json").get_json()["decisions"]
    assert item["options"] == [{"option": "Quiz", "count": 0}, {"option": "Ceilidh", "count": 1}]
