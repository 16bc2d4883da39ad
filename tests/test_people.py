"""People: exact lookups only, cards with one holder, deactivation keeps visits."""

from __future__ import annotations

import pytest

from appliance.core.clock import ManualClock
from appliance.people import register
from appliance.storage.db import Database


def test_create_and_find_by_number_and_whole_name(db: Database, clock: ManualClock) -> None:
    with db.write() as conn:
        ada = register.create(conn, clock.now(), name="  Ada   Lovelace ", kind="member", member_number="M001")
    conn = db.conn()
    assert ada.name == "Ada Lovelace"
    assert register.by_member_number(conn, "m001") == ada
    assert register.identify(conn, "ada lovelace") == ada
    assert register.identify(conn, "M001") == ada


def test_partial_names_find_nobody(db: Database, clock: ManualClock) -> None:
    with db.write() as conn:
        register.create(conn, clock.now(), name="Ada Lovelace", kind="member")
    conn = db.conn()
    for partial in ("Ada", "Love", "ada l", "A", "", "   "):
        assert register.identify(conn, partial) is None, partial
        assert register.by_exact_name(conn, partial) == []


def test_two_people_with_one_name_are_not_guessed_between(db: Database, clock: ManualClock) -> None:
    with db.write() as conn:
        register.create(conn, clock.now(), name="Sam Jones", kind="member", member_number="1")
        register.create(conn, clock.now(), name="Sam Jones", kind="volunteer", member_number="2")
    assert register.identify(db.conn(), "Sam Jones") is None
    assert register.identify(db.conn(), "2") is not None


def test_bad_input_is_refused_with_a_reason(db: Database, clock: ManualClock) -> None:
    with db.write() as conn:
        register.create(conn, clock.now(), name="Ada", kind="member", member_number="M1")
        with pytest.raises(register.PeopleError, match="name"):
            register.create(conn, clock.now(), name=" ", kind="member")
        with pytest.raises(register.PeopleError, match="visitor"):
            register.create(conn, clock.now(), name="Bob", kind="visitor")
        with pytest.raises(register.PeopleError, match="taken"):
            register.create(conn, clock.now(), name="Bob", kind="member", member_number="m1")
        with pytest.raises(register.PeopleError, match="No person"):
            register.update(conn, 999, name="X")
    assert [p.name for p in register.list_people(db.conn())] == ["Ada"]


def test_cards_have_one_holder_and_deactivation_drops_the_card(db: Database, clock: ManualClock) -> None:
    with db.write() as conn:
        ada = register.create(conn, clock.now(), name="Ada", kind="member")
        bob = register.create(conn, clock.now(), name="Bob", kind="volunteer")
        register.assign_card(conn, ada.id, "hash-1")
        with pytest.raises(register.PeopleError, match="already belongs"):
            register.assign_card(conn, bob.id, "hash-1")
        assert register.by_card(conn, "hash-1") is not None
        register.deactivate(conn, ada.id)
        assert register.by_card(conn, "hash-1") is None
        register.assign_card(conn, bob.id, "hash-1")
    assert register.by_card(db.conn(), "hash-1").name == "Bob"  # type: ignore[union-attr]
    assert [p.name for p in register.list_people(db.conn())] == ["Bob"]
    assert len(register.list_people(db.conn(), include_inactive=True)) == 2


def test_update_changes_only_what_is_given(db: Database, clock: ManualClock) -> None:
    with db.write() as conn:
        ada = register.create(conn, clock.now(), name="Ada", kind="member", member_number="M1", contact="a@x")
        changed = register.update(conn, ada.id, kind="volunteer", member_number="")
    assert (changed.name, changed.kind, changed.member_number, changed.contact) == ("Ada", "volunteer", None, "a@x")
