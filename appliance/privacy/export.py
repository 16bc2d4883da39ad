"""A subject-access export: everything Doorstep holds about one person, as JSON or as a
zip of CSV files.

Only rows that are theirs by key go in (appliance.privacy.holdings): their record, their
visits, the bookings and series linked to them, when their fob was assigned. A booking
typed under the same name but linked to nobody may be someone else's (with someone
else's contact details), so it is never exported: the person's page on the dashboard
lists such name-only matches for the admin, who links those the person confirms
(appliance.privacy.requests.link) and exports again.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import zipfile
from datetime import datetime
from typing import Any

from appliance.core.clock import iso
from appliance.privacy.holdings import (
    FOB_ASSIGNED_ACTION,
    Holdings,
    NoSuchPerson,
    fob_detail,
    holdings,
)
from appliance.views.reports import spreadsheet_safe

_SHIFT_FIELDS = ("day", "shift", "activity", "source", "taken_at")
_VOTE_FIELDS = ("ballot", "closes_at")
_COMMENT_FIELDS = ("ballot", "text", "created_at")
_VISIT_FIELDS = ("signed_in_at", "signed_out_at", "kind", "activity", "visiting", "source", "end_reason")
_BOOKING_FIELDS = ("reference", "room_id", "start_at", "end_at", "title", "public", "organiser", "contact",
                   "group_name", "headcount", "status", "created_at")


class ExportError(Exception):
    """An export cannot be made as asked."""


def _held(conn: sqlite3.Connection, person_id: int) -> Holdings:
    try:
        return holdings(conn, person_id)
    except NoSuchPerson:
        raise ExportError(f"There is no person #{person_id}.") from None


def export(conn: sqlite3.Connection, person_id: int, now: datetime) -> dict[str, Any]:
    """Everything held about one person by key, as JSON-ready data (times are stored UTC)."""
    held = _held(conn, person_id)
    row = held.person
    visits = [
        {f: r[f] for f in _VISIT_FIELDS}
        for r in conn.execute("SELECT * FROM visits WHERE person_id = ? ORDER BY signed_in_at", (person_id,))
    ]
    bookings = [
        {f: r[f] for f in _BOOKING_FIELDS}
        for r in conn.execute("SELECT * FROM bookings WHERE person_id = ? ORDER BY start_at", (person_id,))
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
        "volunteers_for": [r[0] for r in conn.execute(
            "SELECT activity FROM volunteer_activities WHERE person_id = ? ORDER BY activity", (person_id,))],
        "shifts": [
            {"day": r["day"], "shift": r["title"] or r["activity"], "activity": r["activity"], "source": r["source"],
             "taken_at": r["created_at"]}
            for r in conn.execute(
                "SELECT s.day, s.source, s.created_at, t.activity, t.title FROM shift_signups s"
                " JOIN shifts t ON t.id = s.shift_id WHERE s.person_id = ? ORDER BY s.day", (person_id,))
        ],
        # Which members' ballots they voted on; how they voted is not held (docs/DECISIONS.md).
        "votes": [
            {"ballot": r["title"], "closes_at": r["closes_at"]}
            for r in conn.execute(
                "SELECT d.title, d.closes_at FROM decision_voters v JOIN decisions d ON d.id = v.decision_id"
                " WHERE v.person_id = ? ORDER BY d.closes_at", (person_id,))
        ],
        "comments": [
            {"ballot": r["title"], "text": r["text"], "created_at": r["created_at"]}
            for r in conn.execute(
                "SELECT d.title, c.text, c.created_at FROM decision_comments c JOIN decisions d ON d.id = c.decision_id"
                " WHERE c.person_id = ? ORDER BY c.id", (person_id,))
        ],
    }


def export_json(conn: sqlite3.Connection, person_id: int, now: datetime) -> bytes:
    """:func:`export` as a UTF-8 JSON file."""
    return json.dumps(export(conn, person_id, now), indent=2, ensure_ascii=False).encode("utf-8")


def export_zip(conn: sqlite3.Connection, person_id: int, now: datetime) -> bytes:
    """:func:`export` as a zip of CSV files (person.csv, fob.csv, visits.csv, bookings.csv,
    shifts.csv, votes.csv, comments.csv)."""
    data = export(conn, person_id, now)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("person.csv", _csv([data["person"]], list(data["person"])))
        archive.writestr("fob.csv", _csv([data["fob"]], list(data["fob"])))
        archive.writestr("visits.csv", _csv(data["visits"], list(_VISIT_FIELDS)))
        archive.writestr("bookings.csv", _csv(data["bookings"], list(_BOOKING_FIELDS)))
        archive.writestr("shifts.csv", _csv(data["shifts"], list(_SHIFT_FIELDS)))
        archive.writestr("votes.csv", _csv(data["votes"], list(_VOTE_FIELDS)))
        archive.writestr("comments.csv", _csv(data["comments"], list(_COMMENT_FIELDS)))
        archive.writestr("README.txt", data["about"] + f"\nExported at {data['exported_at']}.\n")
    return buffer.getvalue()


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # a UTF-8 byte-order mark: Excel then shows accented names as typed
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({c: spreadsheet_safe(r.get(c)) for c in columns})
    return out.getvalue()
