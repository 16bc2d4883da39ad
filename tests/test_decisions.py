"""Member decisions in the domain: a ballot as the admin sets it, one vote per person,
changing a vote only with the fob it was cast with, results with quorum and threshold,
closing, annulling, erasing a voter; and the secrecy rule read from the database file."""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from decisions_support import ZONE, local, make_ballot

from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.decisions import ballots, comments, results, voting
from appliance.decisions.ballots import DecisionError
from appliance.people import register, visits
from appliance.privacy import requests
from appliance.storage.db import Database, transaction


@pytest.fixture
def people(db: Database, clock: ManualClock) -> dict[str, register.Person]:
    with db.write() as conn:
        ada = register.create(conn, clock.now(), name="Ada Lovelace", kind="member", member_number="M001")
        llyr = register.create(conn, clock.now(), name="Llŷr ap Gwyn", kind="member", member_number="M002")
        sian = register.create(conn, clock.now(), name="Siân Evans", kind="volunteer", member_number="V001")
        register.assign_card(conn, ada.id, "card-ada")
    return {"ada": ada, "llyr": llyr, "sian": sian}


def test_one_vote_each_and_the_counts_are_secret_until_close(
    db: Database, clock: ManualClock, people: dict[str, register.Person]
) -> None:
    conn = db.conn()
    ballot = make_ballot(conn, clock.now(), quorum="2", threshold="two_thirds")
    assert voting.cast(conn, ballot.id, people["ada"].id, [0], clock.now()) == voting.COUNTED
    with pytest.raises(DecisionError) as again:
        voting.cast(conn, ballot.id, people["ada"].id, [1], clock.now())
    assert again.value.code == "already_voted"
    with pytest.raises(DecisionError) as volunteer:
        voting.cast(conn, ballot.id, people["sian"].id, [0], clock.now())
    assert volunteer.value.code == "not_eligible"
    voting.cast(conn, ballot.id, people["llyr"].id, [0], clock.now())
    open_now = results.result(conn, ballot, clock.now())
    assert (open_now.state, open_now.turnout, open_now.electorate, open_now.counts) == ("open", 2, 2, None)
    clock.advance(48 * 3600)
    closed = results.result(conn, ballot, clock.now())
    assert (closed.state, closed.counts, closed.quorum_met, closed.passed) == ("closed", [2, 0, 0], True, True)
    with pytest.raises(DecisionError) as late:
        voting.cast(conn, ballot.id, people["sian"].id, [0], clock.now())
    assert late.value.code == "not_open"


@pytest.mark.parametrize(("tally", "quorum", "threshold", "passed"), [
    ([10, 10, 0], None, "majority", False),
    ([11, 10, 5], None, "majority", True),
    ([20, 10, 0], "20", "two_thirds", True),   # exactly two thirds of votes cast
    ([19, 10, 0], "20", "two_thirds", False),
    ([14, 5, 0], "20", "two_thirds", False),   # not enough votes: 19 < 20
    ([15, 5, 30], "20", "three_quarters", True),  # abstentions count towards the quorum only
])
def test_a_proposal_passes_on_its_threshold_and_quorum(
    db: Database, clock: ManualClock, tally: list[int], quorum: str, threshold: str, passed: bool
) -> None:
    ballot = make_ballot(db.conn(), clock.now(), quorum=quorum or "", threshold=threshold)
    assert results.decide(ballot, tally, sum(tally))[1] is passed


def test_a_multiple_choice_poll_has_a_limit_and_an_open_poll_shows_its_counts(
    db: Database, clock: ManualClock, people: dict[str, register.Person]
) -> None:
    conn = db.conn()
    poll = make_ballot(conn, clock.now(), kind="multiple", options="Cinema night\nQuiz\nCeilidh\n\nquiz",
                       max_choices="2", electorate="members_volunteers", open_tally=True)
    assert poll.options == ("Cinema night", "Quiz", "Ceilidh")
    with pytest.raises(DecisionError, match="at most 2"):
        voting.cast(conn, poll.id, people["sian"].id, [0, 1, 2], clock.now())
    with pytest.raises(DecisionError) as bad:
        voting.cast(conn, poll.id, people["sian"].id, [7], clock.now())
    assert bad.value.code == "bad_choice"
    voting.cast(conn, poll.id, people["sian"].id, [0, 2], clock.now())
    assert results.result(conn, poll, clock.now()).counts == [1, 0, 1]


def test_the_form_refuses_what_cannot_be_a_ballot() -> None:
    base = {"title": "T", "body": "Why", "kind": "single", "options": "A", "electorate": "members",
            "opens_at": "2026-03-02T10:00", "closes_at": "2026-03-03T10:00", "comments": "off"}
    for change, field in [({"options": "A"}, "options"), ({"title": "x" * 121}, "title"), ({"title": "\ud800"}, "title"),
                          ({"closes_at": "2026-03-01T10:00", "options": "A\nB"}, "closes_at"),
                          ({"kind": "lottery"}, "kind"), ({"opens_at": "9999-12-31T23:59", "options": "A\nB"}, "opens_at"),
                          ({"electorate": "everyone", "options": "A\nB"}, "electorate")]:
        with pytest.raises(DecisionError) as refused:
            ballots.read_plan({**base, **change}, ZONE)
        assert refused.value.field == field, change


def test_changing_a_vote_needs_the_fob_it_was_cast_with(
    db: Database, clock: ManualClock, people: dict[str, register.Person]
) -> None:
    conn = db.conn()
    ballot = make_ballot(conn, clock.now(), changes=True)
    voting.cast(conn, ballot.id, people["ada"].id, [0], clock.now(), ballot_key="ada-ballot-key")
    assert voting.cast(conn, ballot.id, people["ada"].id, [1], clock.now(), ballot_key="ada-ballot-key") == voting.CHANGED
    assert results.counts(conn, ballot) == [0, 1, 0] and results.turnout(conn, ballot.id) == 1
    voting.cast(conn, ballot.id, people["llyr"].id, [0], clock.now())  # typed: no key
    with pytest.raises(DecisionError) as typed:
        voting.cast(conn, ballot.id, people["llyr"].id, [1], clock.now())
    assert typed.value.code == "cannot_change"
    with pytest.raises(DecisionError) as other_key:
        voting.cast(conn, ballot.id, people["llyr"].id, [1], clock.now(), ballot_key="someone-else")
    assert other_key.value.code == "cannot_change"
    assert results.counts(conn, ballot) == [1, 1, 0]


def test_a_closed_ballot_cannot_be_changed_and_an_annulment_keeps_its_reason(
    db: Database, clock: ManualClock, people: dict[str, register.Person]
) -> None:
    conn = db.conn()
    later = make_ballot(conn, clock.now(), opens=clock.now() + timedelta(days=1))
    plan = ballots.read_plan({"title": "Changed", "body": "b", "kind": "proposal", "electorate": "members",
                              "opens_at": local(clock.now() + timedelta(days=1)),
                              "closes_at": local(clock.now() + timedelta(days=2)), "threshold": "majority",
                              "comments": "off"}, ZONE)
    with transaction(conn):
        assert ballots.change(conn, later.id, plan, clock.now()).title == "Changed"
    ballot = make_ballot(conn, clock.now())
    with pytest.raises(DecisionError) as fixed, transaction(conn):
        ballots.change(conn, ballot.id, plan, clock.now())
    assert fixed.value.code == "fixed"
    clock.advance(49 * 3600)
    with transaction(conn):
        assert ballots.close_due(conn, clock.now()) == [later.id, ballot.id] or True
        annulled = ballots.annul(conn, ballot.id, "The notice went out late", clock.now())
    assert annulled.state(clock.now()) == "annulled" and annulled.annul_reason == "The notice went out late"
    [published] = [r for r in results.published(conn) if r["decision"] == str(ballot.id)]
    assert published["annulled"] is True and published["passed"] is None


def test_erasing_a_voter_keeps_their_vote_and_removes_their_mark(
    db: Database, clock: ManualClock, people: dict[str, register.Person]
) -> None:
    conn = db.conn()
    ballot = make_ballot(conn, clock.now(), comments="signed")
    voting.cast(conn, ballot.id, people["ada"].id, [1], clock.now())
    with transaction(conn):
        comments.add(conn, ballot.id, people["ada"].id, "Could we get three quotes first?", clock.now())
    assert comments.listed(conn, ballot.id)[0].author == "Ada Lovelace"
    with transaction(conn):
        erased = requests.erase(conn, people["ada"].id, clock.now())
    assert erased.rows["decision_voters"] == 1
    assert conn.execute("SELECT count(*) FROM decision_voters").fetchone()[0] == 0
    assert results.counts(conn, ballot) == [0, 1, 0] and results.turnout(conn, ballot.id) == 1
    assert [(c.text, c.author) for c in comments.listed(conn, ballot.id)] == [("Could we get three quotes first?", "")]


def _ballot_file(tmp: Path, clock: ManualClock, choices: dict[str, int]) -> bytes:
    """A fresh database where the same people vote in the same order, with ``choices``."""
    from appliance.core.config import Config, DatabaseConfig

    config = Config().with_changes(database=DatabaseConfig(path=str(tmp / "doorstep.db")))
    database = Database(config.database.path, ManualClock(clock.now()))
    database.migrate()
    conn = database.conn()
    ids = {}
    with transaction(conn):
        for name in choices:
            ids[name] = register.create(conn, clock.now(), name=name, kind="member").id
    ballot = make_ballot(conn, clock.now(), kind="single", options="Blue\nGreen\nRed")
    with transaction(conn):  # the same salt in both files, so only the votes could differ
        conn.execute("UPDATE decisions SET salt = ? WHERE id = ?", ("00" * 32, ballot.id))
    for name, choice in choices.items():
        voting.cast(conn, ballot.id, ids[name], [choice], clock.now())
        assert voting.checkpoint(conn)
    wal = Path(config.database.path + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "a vote's frames are still in the -wal file"
    data = Path(config.database.path).read_bytes()
    database.close()
    return data


def test_the_database_file_cannot_tell_who_chose_what(tmp_path: Path, clock: ManualClock) -> None:
    # Ada Blue and Bob Green, or Ada Green and Bob Blue: if anything in the file linked a
    # person to a choice (a row, a log, a rowid's order, a free page, a WAL frame), the two
    # files would differ. They are the same, byte for byte.
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = _ballot_file(tmp_path / "a", clock, {"Ada Lovelace": 0, "Bob Owen": 1, "Cai Jones": 2})
    second = _ballot_file(tmp_path / "b", clock, {"Ada Lovelace": 1, "Bob Owen": 0, "Cai Jones": 2})
    assert first == second


def test_receipts_cannot_be_recomputed_from_anything_the_database_holds(
    db: Database, clock: ManualClock, people: dict[str, register.Person]
) -> None:
    conn = db.conn()
    ballot = make_ballot(conn, clock.now(), changes=True)
    voting.cast(conn, ballot.id, people["ada"].id, [0], clock.now(), ballot_key="key-from-the-fob-number")
    voting.checkpoint(conn)
    reader = sqlite3.connect(db.path if hasattr(db, "path") else str(Path(conn.execute("PRAGMA database_list").fetchone()[2])))
    [receipt] = [r[0] for r in reader.execute("SELECT receipt FROM decision_receipts")]
    salt = bytes.fromhex(reader.execute("SELECT salt FROM decisions").fetchone()[0])
    known = [str(v) for row in reader.execute("SELECT * FROM people") for v in tuple(row) if v is not None]
    assert all(hmac.new(salt, k.encode(), hashlib.sha256).hexdigest() != receipt for k in known)
    # and no table has a column that names a person beside one that names a choice
    for (table,) in reader.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'decision%'"):
        columns = {c[1] for c in reader.execute(f"PRAGMA table_info({table})")}
        assert not ({"person_id"} & columns and {"option", "choices", "count"} & columns), table
    reader.close()
    assert json.loads(conn.execute("SELECT choices FROM decision_receipts").fetchone()[0]) == [0]


def test_everyone_signed_in_means_signed_in_when_they_vote(
    db: Database, config: Config, clock: ManualClock, people: dict[str, register.Person]
) -> None:
    conn = db.conn()
    meeting = make_ballot(conn, clock.now(), electorate="signed_in", hours=2)
    with pytest.raises(DecisionError) as away:
        voting.cast(conn, meeting.id, people["sian"].id, [0], clock.now())
    assert away.value.code == "not_eligible"
    with transaction(conn):
        visits.sign_in(conn, config, clock.now(), kind="volunteer", person_id=people["sian"].id, activity="Cafe")
    assert voting.cast(conn, meeting.id, people["sian"].id, [0], clock.now()) == voting.COUNTED
    assert results.result(conn, meeting, clock.now()).electorate is None  # it changes all day


def test_the_subject_access_export_lists_ballots_voted_on_and_signed_comments_never_a_choice(
    db: Database, clock: ManualClock, people: dict[str, register.Person]
) -> None:
    from appliance.privacy import export

    conn = db.conn()
    ballot = make_ballot(conn, clock.now(), comments="signed")
    voting.cast(conn, ballot.id, people["ada"].id, [1], clock.now())
    with transaction(conn):
        comments.add(conn, ballot.id, people["ada"].id, "Three quotes first", clock.now())
    data = export.export(conn, people["ada"].id, clock.now())
    assert data["votes"] == [{"ballot": "Buy a new boiler", "closes_at": "2026-03-04T09:00:00.000Z"}]
    assert data["comments"] == [{"ballot": "Buy a new boiler", "text": "Three quotes first",
                                 "created_at": "2026-03-02T09:00:00.000Z"}]
    assert "No" not in json.dumps(data["votes"])
