"""A data subject's requests: erase a person or a visitor; link a row an admin confirmed.

**Erase** touches only the rows that belong to the person by key
(appliance.privacy.holdings), so every count stays right and nothing else moves:

1. their visits lose the person link and any name (kind and times stay, so daily and
   anonymous visit counts do not move);
2. bookings and series linked to them lose organiser, contact and the link (room, times
   and group stay for room-use reports); their titles, free text, lose the person's whole
   name, and only in those rows;
3. any other column with a foreign key to ``people(id)`` is cleared, whichever module added it,
   and a row that cannot exist without the person (the column is NOT NULL: a rota sign-up,
   the activities they volunteer for) is deleted;
4. the kiosk's note of their last fob tap goes;
5. their people row goes, and with it the card hash.

Rows that only carry the same name or contact (name-only matches) are left alone: the
confirmation page lists them, and an admin links those the person confirms are theirs
(:func:`link`) before erasing. No table is swept for words: a person called "Hall", or
with member number 2026, leaves every other row byte-for-byte as it was.

``daily_counts`` is never touched: it holds no one's details.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from appliance.core.clock import iso
from appliance.decisions import voting
from appliance.people import identify, register
from appliance.people.taps import LAST_FOB_KEY, LAST_UNKNOWN_KEY
from appliance.privacy.holdings import NoSuchPerson, holdings
from appliance.storage import state

REDACTED = "[erased]"


class PrivacyError(Exception):
    """A subject request cannot be carried out as asked."""


@dataclass
class Erased:
    """What one erasure changed, by table (rows), for the confirmation page and the audit log."""

    person_id: int | None  # None: a visitor, erased by name
    rows: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, count: int) -> None:
        """Count changed rows under a table name."""
        if count:
            self.rows[table] = self.rows.get(table, 0) + count

    @property
    def summary(self) -> str:
        """One line without the person's name (it goes in the audit log)."""
        parts = ", ".join(f"{table}: {count}" for table, count in sorted(self.rows.items()))
        who = f"person #{self.person_id}" if self.person_id is not None else "a visitor"
        return f"{who} erased ({parts or 'nothing else held'})"


def whole_name(name: str) -> re.Pattern[str]:
    """The whole name as a pattern: whole words, any case, any run of whitespace inside it."""
    parts = "\\s+".join(re.escape(part) for part in name.split())
    return re.compile(rf"(?<!\w){parts}(?!\w)", re.IGNORECASE)


def _without_name(text: str, pattern: re.Pattern[str] | None) -> str:
    return pattern.sub(REDACTED, text) if pattern is not None and text else text


def erase(conn: sqlite3.Connection, person_id: int, now: datetime) -> Erased:
    """Remove a member or volunteer from the rows that are theirs by key (call inside a
    transaction). Raises :class:`PrivacyError` when there is no such person."""
    try:
        held = holdings(conn, person_id)
    except NoSuchPerson as exc:
        raise PrivacyError(str(exc)) from None
    at = iso(now)
    erased = Erased(person_id)
    name = whole_name(held.person["name"]) if held.person["name"].split() else None
    for visit_id in held.visit_ids:
        erased.add("visits", _anonymise_visit(conn, visit_id, at))
    for booking_id in held.booking_ids:
        erased.add("bookings", _clear_organiser(conn, "bookings", booking_id, name, at))
    for series_id in held.series_ids:
        erased.add("booking_series", _clear_organiser(conn, "booking_series", series_id, name, at))
    # Their "has voted" marks go; their votes stay in the counts (nothing links them).
    erased.add("decision_voters", voting.forget_voter(conn, person_id))
    for table, column in held.references:
        # a row that cannot exist without the person (the column is NOT NULL: a rota
        # sign-up, the activities they volunteer for) goes; elsewhere the link is cleared
        required = any(c["name"] == column and c["notnull"] for c in conn.execute(f'PRAGMA table_info("{table}")'))
        change = f'DELETE FROM "{table}"' if required else f'UPDATE "{table}" SET "{column}" = NULL'
        erased.add(table, conn.execute(f'{change} WHERE "{column}" = ?', (person_id,)).rowcount)
    erased.add("state", _forget_fob_notes(conn, person_id, held.person["card_hash"]))
    conn.execute("DELETE FROM people WHERE id = ?", (person_id,))
    erased.add("people", 1)
    return erased


def erase_visitor(conn: sqlite3.Connection, name: str, now: datetime) -> Erased:
    """Remove a visitor (someone with no member record) by their whole name, before the
    retention purge would (call inside a transaction).

    A visitor has no key but the name they typed: visits under that whole name are
    anonymised, and bookings under it that are linked to nobody lose the organiser and
    contact. A member or volunteer with that name is refused: erase them from their
    record, so their fob and record go too.
    """
    clean = " ".join(name.split())
    if len(clean) < 3 or len(clean.split()) < 2:
        raise PrivacyError("Type the visitor's whole name (first and last), as they signed in.")
    key = register.normalise_name(clean)
    if any(register.normalise_name(r["name"]) == key for r in conn.execute("SELECT name FROM people")):
        raise PrivacyError("A member or volunteer has that name: erase them from their own record instead.")
    at = iso(now)
    erased = Erased(None)
    for row in conn.execute("SELECT id, name FROM visits WHERE person_id IS NULL AND name IS NOT NULL").fetchall():
        if register.normalise_name(row["name"]) == key:
            erased.add("visits", _anonymise_visit(conn, int(row["id"]), at))
    pattern = whole_name(clean)
    for table in ("bookings", "booking_series"):
        rows = conn.execute(f"SELECT id, organiser FROM {table} WHERE person_id IS NULL AND organiser != ''").fetchall()
        for row in rows:
            if register.normalise_name(row["organiser"]) == key:
                erased.add(table, _clear_organiser(conn, table, int(row["id"]), pattern, at))
    return erased


def link(conn: sqlite3.Connection, person_id: int, *, booking_ids: Collection[int] = (),
         visit_ids: Collection[int] = ()) -> int:
    """Link name-only matches the person confirmed as theirs (call inside a transaction).

    Only rows that :func:`~appliance.privacy.holdings.holdings` lists as this person's
    name-only matches can be linked; a booking of a series links the series too. Returns
    how many rows were linked. Raises :class:`PrivacyError` for anything else.
    """
    try:
        held = holdings(conn, person_id)
    except NoSuchPerson as exc:
        raise PrivacyError(str(exc)) from None
    bookable = {b.id: b for b in held.name_only_bookings}
    visitable = {v.id for v in held.name_only_visits}
    wrong = [f"booking #{i}" for i in booking_ids if i not in bookable] + [f"visit #{i}" for i in visit_ids
                                                                            if i not in visitable]
    if wrong:
        raise PrivacyError(f"{', '.join(wrong)} cannot be linked: not a name-only match of person #{person_id}.")
    linked = 0
    for booking_id in booking_ids:
        linked += conn.execute("UPDATE bookings SET person_id = ? WHERE id = ?", (person_id, booking_id)).rowcount
        series_id = bookable[booking_id].series_id
        if series_id is not None:
            conn.execute("UPDATE booking_series SET person_id = ? WHERE id = ? AND person_id IS NULL",
                         (person_id, series_id))
    for visit_id in visit_ids:
        linked += conn.execute("UPDATE visits SET person_id = ? WHERE id = ?", (person_id, visit_id)).rowcount
    return linked


def _anonymise_visit(conn: sqlite3.Connection, visit_id: int, at: str) -> int:
    return conn.execute(
        "UPDATE visits SET person_id = NULL, name = NULL, visiting = '', anonymised_at = ? WHERE id = ?",
        (at, visit_id),
    ).rowcount


def _clear_organiser(conn: sqlite3.Connection, table: str, row_id: int, name: re.Pattern[str] | None, at: str) -> int:
    """Organiser, contact and link cleared; the whole name taken out of the title and group."""
    row = conn.execute(f"SELECT title, group_name FROM {table} WHERE id = ?", (row_id,)).fetchone()
    return conn.execute(
        f"UPDATE {table} SET organiser = '', contact = '', person_id = NULL, title = ?, group_name = ?,"
        " updated_at = ? WHERE id = ?",
        (_without_name(row["title"], name), _without_name(row["group_name"], name), at, row_id),
    ).rowcount


def _forget_fob_notes(conn: sqlite3.Connection, person_id: int, card_hash: str | None) -> int:
    """The kiosk's notes of the person's last tap and of their tap to book, and their card as
    the last unknown one."""
    gone = 0
    last = state.get(conn, LAST_FOB_KEY)
    if isinstance(last, dict) and last.get("person_id") == person_id:
        gone += conn.execute("DELETE FROM state WHERE key = ?", (LAST_FOB_KEY,)).rowcount
    answer = state.get(conn, identify.ANSWER_KEY)
    if isinstance(answer, dict) and answer.get("person_id") == person_id:
        gone += conn.execute("DELETE FROM state WHERE key = ?", (identify.ANSWER_KEY,)).rowcount
    unknown = state.get(conn, LAST_UNKNOWN_KEY)
    if card_hash and isinstance(unknown, dict) and unknown.get("card_hash") == card_hash:
        gone += conn.execute("DELETE FROM state WHERE key = ?", (LAST_UNKNOWN_KEY,)).rowcount
    return gone
