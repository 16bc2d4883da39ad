"""What Doorstep holds about one person, found by key, and what only looks like theirs.

A row is a person's when it points at their record: ``visits.person_id``,
``bookings.person_id`` and ``booking_series.person_id`` (set when they book by fob or an
admin links the booking to them), any other column with a foreign key to ``people(id)``,
audit entries about ``person #<id>``, and the kiosk's note of their last fob tap. Erase
and export work on exactly these rows.

Rows that only carry the same whole name or the same contact (a visitor visit typed with
their name, a booking typed at the kiosk under their name) may be someone else's: they
are listed apart, as *name-only matches*, for an admin to confirm. Confirming one links
it to the person (:func:`appliance.privacy.requests.link`), and from then on it is theirs
by key. Nothing here searches free text: a name that is also a year, a room id or a word
of a booking title matches nothing else.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field

from appliance.booking.bookings import Booking, from_row
from appliance.people import register

# The audit detail written when a fob is assigned (export reads the date back from it).
FOB_ASSIGNED_ACTION = "fob_assigned"


def fob_detail(person_id: int) -> str:
    """The audit detail that names a person: ``person #<id>`` (never their name)."""
    return f"person #{person_id}"


def mentions_person(detail: str, person_id: int) -> bool:
    """The audit detail refers to this person by id (``person #12``, not ``person #123``)."""
    return re.search(rf"\bperson #{person_id}(?!\d)", detail) is not None


@dataclass(frozen=True)
class VisitMatch:
    """A visitor visit typed with the person's whole name (not linked to them)."""

    id: int
    signed_in_at: str
    visiting: str


@dataclass
class Holdings:
    """One person's rows by key, and the name-only matches an admin may confirm."""

    person: sqlite3.Row
    visit_ids: list[int] = field(default_factory=list)
    booking_ids: list[int] = field(default_factory=list)
    series_ids: list[int] = field(default_factory=list)
    audit_ids: list[int] = field(default_factory=list)
    # other tables' columns with a foreign key to people(id): (table, column) -> row count
    references: dict[tuple[str, str], int] = field(default_factory=dict)
    name_only_visits: list[VisitMatch] = field(default_factory=list)
    name_only_bookings: list[Booking] = field(default_factory=list)

    @property
    def person_id(self) -> int:
        """The person's id."""
        return int(self.person["id"])


class NoSuchPerson(Exception):
    """There is no person with this id (already erased, or never added)."""


def people_references(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(table, column) pairs with a foreign key to people(id), other than those erase and
    export already handle by name (visits, bookings, booking_series)."""
    handled = {"people", "visits", "bookings", "booking_series"}
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    found = []
    for table in tables:
        if table in handled:
            continue
        for fk in conn.execute(f'PRAGMA foreign_key_list("{table}")'):
            if fk["table"] == "people" and fk["from"]:
                found.append((table, str(fk["from"])))
    return found


def holdings(conn: sqlite3.Connection, person_id: int) -> Holdings:
    """Everything held about a person by key, plus the name-only matches (:class:`NoSuchPerson`)."""
    person = conn.execute("SELECT * FROM people WHERE id = ?", (person_id,)).fetchone()
    if person is None:
        raise NoSuchPerson(f"There is no person #{person_id} (already erased?).")
    found = Holdings(person)
    found.visit_ids = [int(r[0]) for r in conn.execute(
        "SELECT id FROM visits WHERE person_id = ? ORDER BY signed_in_at", (person_id,))]
    found.booking_ids = [int(r[0]) for r in conn.execute(
        "SELECT id FROM bookings WHERE person_id = ? ORDER BY start_at", (person_id,))]
    found.series_ids = [int(r[0]) for r in conn.execute(
        "SELECT id FROM booking_series WHERE person_id = ? ORDER BY id", (person_id,))]
    found.audit_ids = [int(r["id"]) for r in conn.execute(
        "SELECT id, detail FROM audit_log WHERE detail LIKE ? ORDER BY id", (f"%person #{person_id}%",))
        if mentions_person(r["detail"], person_id)]
    for table, column in people_references(conn):
        count = conn.execute(f'SELECT count(*) FROM "{table}" WHERE "{column}" = ?', (person_id,)).fetchone()[0]
        if count:
            found.references[(table, column)] = int(count)
    name_key = register.normalise_name(person["name"])
    found.name_only_visits = [
        VisitMatch(int(r["id"]), str(r["signed_in_at"]), str(r["visiting"]))
        for r in conn.execute(
            "SELECT id, name, signed_in_at, visiting FROM visits WHERE person_id IS NULL AND name IS NOT NULL"
            " ORDER BY signed_in_at")
        if register.normalise_name(r["name"]) == name_key
    ]
    contact = " ".join(str(person["contact"] or "").split()).casefold()
    found.name_only_bookings = [
        from_row(r) for r in conn.execute("SELECT * FROM bookings WHERE person_id IS NULL ORDER BY start_at")
        if (r["organiser"] and register.normalise_name(r["organiser"]) == name_key)
        or (contact and " ".join(r["contact"].split()).casefold() == contact)
    ]
    return found
