"""A data subject's requests: erase everything about a person, or export it to them.

**Erase** removes a person from every table while every count stays right:

1. their visits lose the person link and any name (kind and times stay, so daily and
   anonymous visit counts do not move); visits a visitor made under the same name are
   anonymised the same way;
2. bookings and series they organised lose organiser, contact and person link (room,
   times and group stay for room-use reports);
3. any other column referring to ``people(id)`` is cleared, whichever module added it;
4. their people row goes, and with it the card hash;
5. finally every TEXT column of every table is swept for what identifies them (name,
   contact, member number, card hash) and each mention is replaced by ``[erased]``:
   free text (a booking title "Ada's birthday", an old audit line, a JSON state value)
   is where a name hides that no rule above knows about.

``daily_counts`` is never touched: it holds no one's details.

**Export** gathers what Doorstep holds about one person (their record, their visits,
bookings they organised, when their fob was assigned) as JSON, or as a zip of CSV
files. Nothing about anyone else is included: rows are selected by the person's id or
their exact name, and only the fields about the booking or visit itself are copied.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from appliance import people
from appliance.clock import iso
from appliance.reports import spreadsheet_safe

if TYPE_CHECKING:
    import sqlite_utils

REDACTED = "[erased]"
# Shorter identifiers would match inside ordinary words ("Al" in "Main Hall").
MIN_TERM_LENGTH = 3
FOB_ASSIGNED_ACTION = "fob_assigned"
# Tables left out of the sweep: the schema's own bookkeeping, and admin accounts (an
# admin who is also a member keeps their login; removing it is a separate act).
_SKIP_TABLES = {"schema_migrations", "sqlite_sequence", "admins"}


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


def _terms(person_row: sqlite3.Row) -> list[str]:
    """What identifies the person in free text."""
    values = [person_row["name"], person_row["contact"], person_row["member_number"], person_row["card_hash"]]
    return [v.strip() for v in values if v and len(v.strip()) >= MIN_TERM_LENGTH]


def _pattern(terms: list[str]) -> re.Pattern[str]:
    # Whole words only, any case, any run of whitespace inside a name.
    alternatives = ["\\s+".join(re.escape(part) for part in term.split()) for term in terms]
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


def _schema(conn: sqlite3.Connection) -> sqlite_utils.Database:
    """sqlite-utils' reading of the schema (tables, columns, keys, foreign keys) through our
    connection: it sets no pragma on it and loads no plugins.

    Imported here, not at the top: it brings ~130 modules (~13 MiB) that the web role
    would otherwise carry from start-up for an erase that happens a few times a year.
    """
    import sqlite_utils

    return sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)


def text_columns(conn: sqlite3.Connection) -> list[tuple[str, str, bool]]:
    """Every (table, column, is_primary_key) whose declared type is text, in every table."""
    found = []
    for table in sorted(_schema(conn).tables, key=lambda t: t.name):
        if table.name in _SKIP_TABLES:
            continue
        for column in table.columns:
            declared = (column.type or "").upper()
            if "CHAR" in declared or "TEXT" in declared or "CLOB" in declared or declared == "":
                found.append((table.name, column.name, bool(column.is_pk)))
    return found


def _references_to_people(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(table, column) pairs with a foreign key to people(id)."""
    return [
        (fk.table, str(fk.column))
        for table in _schema(conn).tables if table.name != "people"
        for fk in table.foreign_keys if fk.other_table == "people" and fk.column
    ]


def _sweep(conn: sqlite3.Connection, terms: list[str], state_terms: list[str], erased: Erased) -> None:
    """Replace every mention of ``terms`` in every text column (keys left alone).

    The state table also loses ``state_terms`` (a first name a kiosk greeting keeps).
    """
    schema = _schema(conn)
    row_keys: dict[str, list[str]] = {}
    for table, column, is_key in text_columns(conn):
        if is_key:
            continue  # ids and state keys are made by the software, not typed names
        if table not in row_keys:
            # Rows are addressed by their primary key, or by rowid in a table without one.
            row_keys[table] = schema.table(table).pks
        _sweep_column(conn, table, column, row_keys[table], terms + (state_terms if table == "state" else []), erased)


def _sweep_column(
    conn: sqlite3.Connection, table: str, column: str, keys: list[str], terms: list[str], erased: Erased
) -> None:
    if not terms:
        return
    pattern = _pattern(terms)
    like = " OR ".join(f'"{column}" LIKE ? ESCAPE \'\\\'' for _ in terms)
    args = ["%" + re.sub(r"([%_\\])", r"\\\1", t) + "%" for t in terms]
    key_sql = ", ".join(f'"{k}"' for k in keys)
    match_sql = " AND ".join(f'"{k}" IS ?' for k in keys)
    rows = conn.execute(f'SELECT {key_sql}, "{column}" FROM "{table}" WHERE {like}', args).fetchall()
    for row in rows:
        value = row[len(keys)]
        if not isinstance(value, str):
            continue
        cleaned = pattern.sub(REDACTED, value)
        if cleaned != value:
            conn.execute(f'UPDATE "{table}" SET "{column}" = ? WHERE {match_sql}', (cleaned, *tuple(row)[:len(keys)]))
            erased.add(table, 1)


def erase(conn: sqlite3.Connection, person_id: int, now: datetime) -> Erased:
    """Remove a member or volunteer from every table (call inside a transaction).

    Raises :class:`PrivacyError` when there is no such person.
    """
    row = conn.execute("SELECT * FROM people WHERE id = ?", (person_id,)).fetchone()
    if row is None:
        raise PrivacyError(f"There is no person #{person_id} (already erased?).")
    at = iso(now)
    erased = Erased(person_id)
    erased.add("visits", conn.execute(
        "UPDATE visits SET person_id = NULL, name = NULL, visiting = '', anonymised_at = ? WHERE person_id = ?",
        (at, person_id),
    ).rowcount)
    _erase_name_and_bookings(conn, row["name"], row["contact"], person_id, at, erased)
    for table, column in _references_to_people(conn):
        erased.add(table, conn.execute(
            f'UPDATE "{table}" SET "{column}" = NULL WHERE "{column}" = ?', (person_id,)
        ).rowcount)
    conn.execute("DELETE FROM people WHERE id = ?", (person_id,))
    erased.add("people", 1)
    first = row["name"].split()[0] if row["name"].split() else ""
    _sweep(conn, _terms(row), [first] if len(first) >= MIN_TERM_LENGTH else [], erased)
    return erased


def erase_visitor(conn: sqlite3.Connection, name: str, now: datetime) -> Erased:
    """Remove a visitor (someone with no member record) by their whole name, before the
    retention purge would (call inside a transaction).

    Their visits are anonymised, bookings organised under that name lose the organiser,
    and every other mention of the name is swept. A member or volunteer with that name
    is refused: erase them from their record, so their fob and record go too.
    """
    clean = " ".join(name.split())
    if len(clean) < MIN_TERM_LENGTH or len(clean.split()) < 2:
        raise PrivacyError("Type the visitor's whole name (first and last), as they signed in.")
    key = people.normalise_name(clean)
    if any(people.normalise_name(r["name"]) == key for r in conn.execute("SELECT name FROM people")):
        raise PrivacyError("A member or volunteer has that name: erase them from their own record instead.")
    erased = Erased(None)
    _erase_name_and_bookings(conn, clean, "", None, iso(now), erased)
    _sweep(conn, [clean], [], erased)
    return erased


def _erase_name_and_bookings(conn: sqlite3.Connection, name: str, contact: str, person_id: int | None, at: str,
                             erased: Erased) -> None:
    """Anonymise visitor visits under ``name`` and clear bookings and series that are theirs."""
    name_key = people.normalise_name(name)
    visitor_ids = [
        int(r["id"]) for r in conn.execute("SELECT id, name FROM visits WHERE person_id IS NULL AND name IS NOT NULL")
        if people.normalise_name(r["name"]) == name_key
    ]
    for visit_id in visitor_ids:
        erased.add("visits", conn.execute(
            "UPDATE visits SET name = NULL, visiting = '', anonymised_at = ? WHERE id = ?", (at, visit_id)
        ).rowcount)
    tables = _schema(conn).table_names()
    for table in ("bookings", "booking_series"):
        if table not in tables:
            continue
        ids = [int(r["id"]) for r in conn.execute(f"SELECT id, organiser, contact, person_id FROM {table}")
               if _is_theirs(r, person_id, name_key, contact)]
        for booking_id in ids:
            conn.execute(
                f"UPDATE {table} SET organiser = '', contact = '', person_id = NULL, updated_at = ? WHERE id = ?",
                (at, booking_id),
            )
        erased.add(table, len(ids))


def _is_theirs(row: sqlite3.Row, person_id: int | None, name_key: str, contact: str) -> bool:
    """A booking is the person's when linked to them, organised under their name or with their contact."""
    return (
        (person_id is not None and row["person_id"] == person_id)
        or (bool(row["organiser"]) and people.normalise_name(row["organiser"]) == name_key)
        or (bool(contact.strip()) and row["contact"].strip().casefold() == contact.strip().casefold())
    )


# -- export --------------------------------------------------------------------------------

_VISIT_FIELDS = ("signed_in_at", "signed_out_at", "kind", "activity", "visiting", "source", "end_reason")
_BOOKING_FIELDS = ("reference", "room_id", "start_at", "end_at", "title", "public", "organiser", "contact",
                   "group_name", "headcount", "status", "created_at")


def export(conn: sqlite3.Connection, person_id: int, now: datetime) -> dict[str, Any]:
    """Everything held about one person, as JSON-ready data (times are stored UTC)."""
    row = conn.execute("SELECT * FROM people WHERE id = ?", (person_id,)).fetchone()
    if row is None:
        raise PrivacyError(f"There is no person #{person_id}.")
    name_key = people.normalise_name(row["name"])
    visits = [
        {f: r[f] for f in _VISIT_FIELDS}
        for r in conn.execute("SELECT * FROM visits WHERE person_id = ? ORDER BY signed_in_at", (person_id,))
    ]
    bookings = [
        {f: r[f] for f in _BOOKING_FIELDS}
        for r in conn.execute("SELECT * FROM bookings ORDER BY start_at")
        if _is_theirs(r, person_id, name_key, row["contact"])
    ]
    assigned = conn.execute(
        "SELECT at FROM audit_log WHERE action = ? AND detail = ? ORDER BY at DESC LIMIT 1",
        (FOB_ASSIGNED_ACTION, fob_detail(person_id)),
    ).fetchone()
    return {
        "exported_at": iso(now),
        "about": "Everything this Doorstep holds about one person. Times are UTC (ISO-8601).",
        "person": {
            "id": row["id"],
            "name": row["name"],
            "kind": row["kind"],
            "member_number": row["member_number"],
            "contact": row["contact"],
            "active": bool(row["active"]),
            "created_at": row["created_at"],
        },
        # The card's number is never stored (only a keyed hash), so there is none to give.
        "fob": {"has_fob": row["card_hash"] is not None,
                "assigned_at": assigned["at"] if assigned and row["card_hash"] is not None else None},
        "visits": visits,
        "bookings": bookings,
    }


def fob_detail(person_id: int) -> str:
    """The audit detail written when a fob is assigned (export reads the date back from it)."""
    return f"person #{person_id}"


def export_json(conn: sqlite3.Connection, person_id: int, now: datetime) -> bytes:
    """:func:`export` as a UTF-8 JSON file."""
    return json.dumps(export(conn, person_id, now), indent=2, ensure_ascii=False).encode("utf-8")


def export_zip(conn: sqlite3.Connection, person_id: int, now: datetime) -> bytes:
    """:func:`export` as a zip of CSV files (person.csv, fob.csv, visits.csv, bookings.csv)."""
    data = export(conn, person_id, now)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("person.csv", _csv([data["person"]], list(data["person"])))
        archive.writestr("fob.csv", _csv([data["fob"]], list(data["fob"])))
        archive.writestr("visits.csv", _csv(data["visits"], list(_VISIT_FIELDS)))
        archive.writestr("bookings.csv", _csv(data["bookings"], list(_BOOKING_FIELDS)))
        archive.writestr("README.txt", data["about"] + f"\nExported at {data['exported_at']}.\n")
    return buffer.getvalue()


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({c: spreadsheet_safe(r.get(c)) for c in columns})
    return out.getvalue()
