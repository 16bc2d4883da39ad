"""Members and volunteers: the people who have a record (visitors only have visits).

Lookups are exact on purpose: a kiosk must never let a passer-by discover who else is a
member by typing part of a name, so there is no prefix or fuzzy search here.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from appliance.core.clock import iso
from appliance.core.inputs import InputError, clean_text

KINDS = ("member", "volunteer")
MAX_NAME = 120  # what the kiosk and the dashboard can show (long names wrap)
MAX_NUMBER = 40


class PeopleError(Exception):
    """A person could not be created, changed or found as asked."""


@dataclass(frozen=True)
class Person:
    """One member or volunteer."""

    id: int
    name: str
    kind: str
    member_number: str | None
    has_card: bool
    contact: str
    active: bool
    created_at: str

    @property
    def first_name(self) -> str:
        """The first word of the name: what the kiosk greets someone with after their own tap."""
        return self.name.split()[0] if self.name.split() else self.name


def _typed(value: str | None, label: str, max_length: int = MAX_NAME, required: bool = False) -> str:
    """A field as appliance.core.inputs cleans it; :class:`PeopleError` naming it if unusable."""
    try:
        text = clean_text(value, label, max_length, required=required)
    except InputError as exc:
        raise PeopleError("A person needs a name." if required and not (value or "").strip() else str(exc)) from None
    return text


def normalise_name(name: str) -> str:
    """How names are compared: case-folded, inner whitespace collapsed."""
    return " ".join(name.split()).casefold()


def _person(row: sqlite3.Row | None) -> Person | None:
    if row is None:
        return None
    return Person(
        id=int(row["id"]),
        name=str(row["name"]),
        kind=str(row["kind"]),
        member_number=row["member_number"],
        has_card=row["card_hash"] is not None,
        contact=str(row["contact"]),
        active=bool(row["active"]),
        created_at=str(row["created_at"]),
    )


def get(conn: sqlite3.Connection, person_id: int) -> Person | None:
    """A person by id (active or not), or None."""
    return _person(conn.execute("SELECT * FROM people WHERE id = ?", (person_id,)).fetchone())


def by_card(conn: sqlite3.Connection, card_hash: str) -> Person | None:
    """The active person holding the card with this keyed hash, or None."""
    row = conn.execute("SELECT * FROM people WHERE card_hash = ? AND active = 1", (card_hash,)).fetchone()
    return _person(row)


def by_member_number(conn: sqlite3.Connection, number: str) -> Person | None:
    """The active person with exactly this member number (case-insensitive), or None."""
    number = number.strip()
    if not number:
        return None
    row = conn.execute(
        "SELECT * FROM people WHERE member_number = ? COLLATE NOCASE AND active = 1", (number,)
    ).fetchone()
    return _person(row)


def by_exact_name(conn: sqlite3.Connection, name: str) -> list[Person]:
    """Active people whose whole name equals ``name`` (case and spacing ignored). Never partial."""
    wanted = normalise_name(name)
    if not wanted:
        return []
    rows = conn.execute("SELECT * FROM people WHERE active = 1 ORDER BY id")
    found = [_person(r) for r in rows if normalise_name(r["name"]) == wanted]
    return [p for p in found if p is not None]


def identify(conn: sqlite3.Connection, text: str) -> Person | None:
    """The one active person a typed member number or whole name means, or None.

    Two people with the same name are not guessed between: the caller asks for the number.
    """
    person = by_member_number(conn, text)
    if person is not None:
        return person
    matches = by_exact_name(conn, text)
    return matches[0] if len(matches) == 1 else None


def signed_in_by_name(conn: sqlite3.Connection, name: str) -> list[int]:
    """Ids of open visits whose person's or visitor's whole name equals ``name``.

    Only people signed in now are matched, so a typed name reveals nobody else.
    """
    wanted = normalise_name(name)
    if not wanted:
        return []
    rows = conn.execute(
        "SELECT v.id, COALESCE(p.name, v.name) AS name, p.member_number FROM visits v"
        " LEFT JOIN people p ON p.id = v.person_id"
        " WHERE v.signed_out_at IS NULL ORDER BY v.signed_in_at DESC"
    )
    return [
        int(r["id"])
        for r in rows
        if (r["name"] and normalise_name(r["name"]) == wanted)
        or (r["member_number"] and r["member_number"].casefold() == wanted)
    ]


def create(
    conn: sqlite3.Connection,
    now: datetime,
    *,
    name: str,
    kind: str,
    member_number: str | None = None,
    contact: str = "",
) -> Person:
    """Add a member or volunteer; returns the new record."""
    name = _typed(name, "name", required=True)
    contact = _typed(contact, "contact")
    if kind not in KINDS:
        raise PeopleError(f"Kind {kind!r} is not one of {', '.join(KINDS)}.")
    member_number = _typed(member_number, "member number", MAX_NUMBER) or None
    if member_number and by_member_number(conn, member_number) is not None:
        raise PeopleError(f"Member number {member_number!r} is already taken.")
    try:
        cur = conn.execute(
            "INSERT INTO people (name, kind, member_number, contact, created_at) VALUES (?, ?, ?, ?, ?)",
            (name, kind, member_number, contact, iso(now)),
        )
    except sqlite3.IntegrityError as exc:
        raise PeopleError(f"Could not add {name!r}: {exc}") from exc
    person = get(conn, int(cur.lastrowid or 0))
    assert person is not None
    return person


def update(
    conn: sqlite3.Connection,
    person_id: int,
    *,
    name: str | None = None,
    kind: str | None = None,
    member_number: str | None = None,
    contact: str | None = None,
) -> Person:
    """Change some fields of a person (None leaves a field as it is; '' clears a member number)."""
    person = get(conn, person_id)
    if person is None:
        raise PeopleError(f"No person with id {person_id}.")
    fields: dict[str, object] = {}
    if name is not None:
        fields["name"] = _typed(name, "name", required=True)
    if kind is not None:
        if kind not in KINDS:
            raise PeopleError(f"Kind {kind!r} is not one of {', '.join(KINDS)}.")
        fields["kind"] = kind
    if member_number is not None:
        fields["member_number"] = _typed(member_number, "member number", MAX_NUMBER) or None
    if contact is not None:
        fields["contact"] = _typed(contact, "contact")
    if fields:
        assignments = ", ".join(f"{column} = ?" for column in fields)
        try:
            conn.execute(f"UPDATE people SET {assignments} WHERE id = ?", (*fields.values(), person_id))
        except sqlite3.IntegrityError as exc:
            raise PeopleError(f"Could not change person {person_id}: that member number is taken.") from exc
    changed = get(conn, person_id)
    assert changed is not None
    return changed


def list_people(conn: sqlite3.Connection, *, include_inactive: bool = False) -> list[Person]:
    """Everyone, by name (for the dashboard's people screens, never the kiosk)."""
    where = "" if include_inactive else "WHERE active = 1"
    rows = conn.execute(f"SELECT * FROM people {where} ORDER BY name COLLATE NOCASE, id")
    return [p for p in (_person(r) for r in rows) if p is not None]


def deactivate(conn: sqlite3.Connection, person_id: int) -> None:
    """Mark a person inactive and drop their card, keeping their visits for reports."""
    cur = conn.execute("UPDATE people SET active = 0, card_hash = NULL WHERE id = ?", (person_id,))
    if cur.rowcount == 0:
        raise PeopleError(f"No person with id {person_id}.")


def assign_card(conn: sqlite3.Connection, person_id: int, card_hash: str | None) -> None:
    """Give a person the card with this keyed hash (None takes it away); a card has one holder."""
    if get(conn, person_id) is None:
        raise PeopleError(f"No person with id {person_id}.")
    if card_hash is not None:
        holder = conn.execute("SELECT id FROM people WHERE card_hash = ?", (card_hash,)).fetchone()
        if holder is not None and int(holder["id"]) != person_id:
            raise PeopleError("That fob already belongs to someone else; take it from them first.")
    conn.execute("UPDATE people SET card_hash = ? WHERE id = ?", (card_hash, person_id))
