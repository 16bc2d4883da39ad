"""Member decisions on the dashboard through Flask's client: creating a proposal, turnout
while open (never the counts), the result and the printable sheet after closing, a closed
ballot fixed, annulling with a reason that stays, and the dashboard's live section."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from csrf_support import csrf_token
from dashboard_support import log_in, make_admin
from decisions_support import local

from appliance.core.clock import ManualClock
from appliance.decisions import ballots, voting
from appliance.people import register
from appliance.storage.db import Database, transaction


@pytest.fixture
def admin(client: Any, db: Database, clock: ManualClock) -> Any:
    make_admin(db, clock.now())
    log_in(client)
    return client


def post(client: Any, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client, "/dashboard/manage/decisions/new"), **data})


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def form(clock: ManualClock, **change: str) -> dict[str, str]:
    return {"title": "Buy a new boiler", "body": "The old one failed twice.\nQuotes are on the noticeboard.",
            "kind": "proposal", "electorate": "members", "opens_at": local(clock.now()),
            "closes_at": local(clock.now() + timedelta(days=7)), "quorum": "2", "threshold": "two_thirds",
            "comments": "signed", **change}


def test_an_admin_creates_a_proposal_sees_turnout_then_the_result_sheet(
    admin: Any, db: Database, clock: ManualClock
) -> None:
    made = post(admin, "/dashboard/manage/decisions/new", form(clock))
    assert made.status_code == 303
    [ballot] = ballots.all_ballots(db.conn())
    assert (ballot.kind, ballot.quorum, ballot.threshold, ballot.comments) == ("proposal", 2, "two_thirds", "signed")
    conn = db.conn()
    with transaction(conn):
        ids = [register.create(conn, clock.now(), name=f"Member {n}", kind="member").id for n in range(3)]
    for person_id, choice in zip(ids, (0, 0, 1), strict=True):
        voting.cast(conn, ballot.id, person_id, [choice], clock.now())
    page = text(admin.get(f"/dashboard/manage/decisions/{ballot.id}"))
    assert "Turnout: <strong>3</strong> of 3" in page and "secret until voting closes" in page
    assert 'id="counts"' not in page
    assert "voted: 3 of 3" in text(admin.get("/dashboard/"))
    clock.advance(7 * 24 * 3600)
    log_in(admin)  # a week later
    sheet = text(admin.get(f"/dashboard/manage/decisions/{ballot.id}/sheet"))
    assert "Quotes are on the noticeboard." in sheet and "<td>Yes</td><td>2</td>" in sheet
    assert "<td>No</td><td>1</td>" in sheet and "Quorum: 2 (met)" in sheet and "Passed" in sheet
    assert "passed (3 voted)" in text(admin.get("/dashboard/"))


def test_a_closed_ballot_cannot_be_changed_and_an_annulment_keeps_its_reason(
    admin: Any, db: Database, clock: ManualClock
) -> None:
    post(admin, "/dashboard/manage/decisions/new", form(clock))
    [ballot] = ballots.all_ballots(db.conn())
    changed = post(admin, f"/dashboard/manage/decisions/{ballot.id}/edit", form(clock, title="Something else"))
    assert changed.status_code == 409 and "can no longer be changed" in text(changed)
    empty = post(admin, f"/dashboard/manage/decisions/{ballot.id}/annul", {"reason": " "})
    assert empty.status_code == 400 and "reason" in text(empty)
    assert post(admin, f"/dashboard/manage/decisions/{ballot.id}/annul",
                {"reason": "The notice went out late"}).status_code == 303
    page = text(admin.get(f"/dashboard/manage/decisions/{ballot.id}"))
    assert "Annulled" in page and "The notice went out late" in page
    assert post(admin, f"/dashboard/manage/decisions/{ballot.id}/annul", {"reason": "again"}).status_code == 400


@pytest.mark.parametrize(("change", "words"), [
    ({"title": ""}, "title"), ({"title": "x" * 121}, "too long"), ({"kind": "single", "options": "Only one"}, "2 to 12"),
    ({"closes_at": "2026-03-01T09:00"}, "after the opening"), ({"opens_at": "0001-01-01T00:00"}, "outside"),
    ({"quorum": "-3"}, "whole number"), ({"electorate": "everyone"}, "who may vote"), ({"body": "a\x00b"}, "NUL"),
])
def test_bad_input_is_named_never_a_5xx(admin: Any, db: Database, clock: ManualClock, change: dict[str, str],
                                        words: str) -> None:
    answer = post(admin, "/dashboard/manage/decisions/new", form(clock, **change))
    assert answer.status_code == 400 and words in text(answer)
    assert ballots.all_ballots(db.conn()) == []


def test_unknown_ballots_are_404(admin: Any) -> None:
    for url in ("/dashboard/manage/decisions/999", "/dashboard/manage/decisions/999/sheet"):
        assert admin.get(url).status_code == 404
