"""Voting at the kiosk through Flask's client: by member number and surname, by fob (the
kiosk asks, the tap answers), one vote each, changing with the fob only, a page that
shows no choice once, and odd input answered in words (never a 5xx)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from csrf_support import csrf_token
from decisions_support import make_ballot
from kiosk_helpers import post

from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.core.events import FobRead
from appliance.decisions import ballots, comments, results
from appliance.people import register, taps, visits
from appliance.sensing.recorder import Recorder
from appliance.storage.db import Database
from doorstep.agent import RULES

LIMIT = 30 * 1024


@pytest.fixture
def people(db: Database, clock: ManualClock) -> dict[str, register.Person]:
    with db.write() as conn:
        ada = register.create(conn, clock.now(), name="Ada Lovelace", kind="member", member_number="M001")
        llyr = register.create(conn, clock.now(), name="Llŷr ap Gwyn", kind="member", member_number="2026")
        grace = register.create(conn, clock.now(), name="Grace Hopper", kind="volunteer", member_number="V002")
        register.assign_card(conn, ada.id, "card-ada")
    return {"ada": ada, "llyr": llyr, "grace": grace}


@pytest.fixture
def ballot(db: Database, clock: ManualClock, people: dict[str, register.Person]) -> ballots.Ballot:
    return make_ballot(db.conn(), clock.now(), comments="anonymous", comments_public=True)


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def by_number(client: Any, ballot_id: int, number: str = "2026", surname: str = "ap Gwyn") -> Any:
    return post(client, f"/kiosk/vote/{ballot_id}/who", {"number": number, "surname": surname})


def vote(client: Any, ballot_id: int, *options: str) -> Any:
    token = csrf_token(client, "/kiosk/")
    return client.post(f"/kiosk/vote/{ballot_id}/ballot", data={"csrf_token": token, "option": list(options)})


def tap(db: Database, config: Config, clock: ManualClock, card: str = "card-ada", key: str = "ada-key") -> str:
    Recorder(db, config, clock, RULES).write([FobRead(at=clock.now(), reader="cardreader", card_hash=card,
                                                      ballot_key=key)])
    found = taps.last_tap(db.conn())
    assert found is not None and found.outcome == "identified"
    return found.token


def test_the_open_question_is_on_the_home_screen(
    client: Any, db: Database, ballot: ballots.Ballot, clock: ManualClock
) -> None:
    home = text(client.get("/kiosk/"))
    assert "Members: have your say" in home and f"/kiosk/vote/{ballot.id}" in home and "Buy a new boiler" in home
    second = make_ballot(db.conn(), clock.now(), title="Paint the hall green")
    home = text(client.get("/kiosk/"))
    assert "2 votes open" in home and 'href="/kiosk/vote"' in home
    listed = text(client.get("/kiosk/vote"))
    assert f"/kiosk/vote/{ballot.id}" in listed and f"/kiosk/vote/{second.id}" in listed
    clock.advance(49 * 3600)
    assert "have your say" not in text(client.get("/kiosk/"))


def test_a_member_votes_by_number_and_surname_and_the_choice_is_not_left_on_screen(
    client: Any, db: Database, ballot: ballots.Ballot
) -> None:
    question = client.get(f"/kiosk/vote/{ballot.id}")
    assert question.status_code == 200 and "30 years old" in text(question)
    assert question.headers["Cache-Control"] == "no-store"
    who = by_number(client, ballot.id)
    assert who.status_code == 303 and who.headers["Location"].endswith(f"/kiosk/vote/{ballot.id}/ballot")
    page = client.get(f"/kiosk/vote/{ballot.id}/ballot")
    assert 'value="0"' in text(page) and "Abstain" in text(page)
    cast = vote(client, ballot.id, "1")
    assert cast.status_code == 303 and cast.headers["Location"].endswith("/kiosk/vote/done")
    done = client.get("/kiosk/vote/done")
    assert "Your vote is counted." in text(done)
    assert not any(word in text(done) for word in ("Yes", "No<", "Abstain", "Llŷr"))
    assert client.get("/kiosk/vote/done").status_code == 302  # a reload shows nothing again
    again = vote(client, ballot.id, "0")  # the double tap on the button, or the back button and send again
    assert again.status_code == 409 and "again" in text(again)
    assert client.get(f"/kiosk/vote/{ballot.id}/ballot").status_code == 303  # back: the question, not the ballot
    assert results.counts(db.conn(), ballot) == [0, 1, 0]
    by_number(client, ballot.id)
    refused = client.get(f"/kiosk/vote/{ballot.id}/ballot")
    assert "You have already voted on this" in text(refused) and 'name="option"' not in text(refused)
    assert vote(client, ballot.id, "0").status_code == 409
    assert results.counts(db.conn(), ballot) == [0, 1, 0]


def test_a_member_votes_by_fob_and_the_tap_is_spent(
    client: Any, db: Database, config: Config, clock: ManualClock, ballot: ballots.Ballot,
    people: dict[str, register.Person]
) -> None:
    asked = post(client, f"/kiosk/vote/{ballot.id}/fob", {})
    assert f'<main id="main" data-vote-wait="/kiosk/vote/{ballot.id}/ballot">' in text(asked), text(asked)[text(asked).find("<main"):][:200]
    token = tap(db, config, clock)
    assert visits.signed_in_now(db.conn()) == []  # the tap said who is voting; it signed nobody in
    opened = client.get(f"/kiosk/vote/{ballot.id}/ballot?tap={token}")
    assert opened.status_code == 303 and "tap=" not in opened.headers["Location"]
    assert vote(client, ballot.id, "0").status_code == 303
    assert results.counts(db.conn(), ballot) == [1, 0, 0]
    last = taps.last_tap(db.conn())
    assert last is None  # whose tap it was is gone from the state
    wal = Path(config.database.path + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # the vote's frames did not stay in the -wal file
    assert "ballot_key" not in db.conn().execute("SELECT group_concat(value) FROM state").fetchone()[0]
    assert client.get(f"/kiosk/vote/{ballot.id}/ballot?tap={token}").status_code == 410


def test_with_changes_allowed_only_the_fob_changes_a_vote(
    client: Any, db: Database, config: Config, clock: ManualClock, people: dict[str, register.Person]
) -> None:
    changeable = make_ballot(db.conn(), clock.now(), changes=True, title="Paint the hall green")
    post(client, f"/kiosk/vote/{changeable.id}/fob", {})
    client.get(f"/kiosk/vote/{changeable.id}/ballot?tap={tap(db, config, clock)}")
    vote(client, changeable.id, "0")
    clock.advance(120)
    post(client, f"/kiosk/vote/{changeable.id}/fob", {})
    client.get(f"/kiosk/vote/{changeable.id}/ballot?tap={tap(db, config, clock)}")
    page = client.get(f"/kiosk/vote/{changeable.id}/ballot")
    assert "You may change it" in text(page)
    assert vote(client, changeable.id, "1").status_code == 303
    assert "Your vote is changed" in text(client.get("/kiosk/vote/done"))
    assert results.counts(db.conn(), changeable) == [0, 1, 0] and results.turnout(db.conn(), changeable.id) == 1
    by_number(client, changeable.id)  # Llŷr types his number: he may vote, not change it later
    vote(client, changeable.id, "0")
    by_number(client, changeable.id)
    assert "only by tapping the fob" in text(client.get(f"/kiosk/vote/{changeable.id}/ballot"))


def test_a_volunteer_is_politely_refused_a_members_vote(client: Any, ballot: ballots.Ballot) -> None:
    by_number(client, ballot.id, "V002", "Hopper")
    page = client.get(f"/kiosk/vote/{ballot.id}/ballot")
    assert "not open to you" in text(page) and 'name="option"' not in text(page)
    assert vote(client, ballot.id, "0").status_code == 409


def test_a_comment_is_anonymous_when_the_ballot_says_so(client: Any, db: Database, ballot: ballots.Ballot) -> None:
    by_number(client, ballot.id)
    said = post(client, f"/kiosk/vote/{ballot.id}/comment", {"comment": "Could we ask for three quotes?"})
    assert said.status_code == 303
    assert "your comment is added" in text(client.get(said.headers["Location"]))
    assert [(c.text, c.author) for c in comments.listed(db.conn(), ballot.id)] == [("Could we ask for three quotes?", "")]


@pytest.mark.parametrize(("field", "value"), [
    ("number", "%ED%A0%80"), ("surname", "%ED%A0%80"), ("surname", "x" * 121), ("number", "9" * 500),
    ("surname", "%00"), ("number", ""),
])
def test_odd_identification_gets_a_sentence(client: Any, db: Database, ballot: ballots.Ballot, field: str,
                                            value: str) -> None:
    token = csrf_token(client, "/kiosk/")
    values = {"number": "2026", "surname": "ap Gwyn", field: value}
    answer = client.post(f"/kiosk/vote/{ballot.id}/who", content_type="application/x-www-form-urlencoded",
                         data=f"csrf_token={token}&number={values['number']}&surname={values['surname']}")
    assert answer.status_code in (400, 429) and "Traceback" not in text(answer)
    assert 'class="error"' in text(answer)


@pytest.mark.parametrize("options", [(), ("7",), ("x",), ("0", "1"), ("-1",), ("9" * 400,)])
def test_odd_choices_get_a_sentence(client: Any, db: Database, ballot: ballots.Ballot, options: tuple[str, ...]) -> None:
    by_number(client, ballot.id)
    answer = vote(client, ballot.id, *options)
    assert answer.status_code == 400 and 'class="error"' in text(answer)
    assert results.turnout(db.conn(), ballot.id) == 0


def test_a_closed_or_unknown_ballot_says_so(client: Any, clock: ManualClock, ballot: ballots.Ballot) -> None:
    assert client.get("/kiosk/vote/999").status_code == 404
    by_number(client, ballot.id)
    clock.advance(49 * 3600)
    late = vote(client, ballot.id, "0")
    assert late.status_code == 409 and "not open" in text(late)
    assert client.get(f"/kiosk/vote/{ballot.id}").status_code == 409


def test_voting_pages_stay_light(client: Any, ballot: ballots.Ballot) -> None:
    by_number(client, ballot.id)
    for url in (f"/kiosk/vote/{ballot.id}", f"/kiosk/vote/{ballot.id}/ballot"):
        page = client.get(url)
        assert page.status_code == 200 and len(page.data) <= LIMIT, url
