"""The audit log: a row for every admin action worth answering for later."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from appliance.core.clock import iso


class AuditError(Exception):
    """An audit entry cannot be written as asked."""


@dataclass(frozen=True)
class Entry:
    """One line of the audit log."""

    at: str
    admin: str
    action: str
    detail: str


def record(conn: sqlite3.Connection, admin: str, action: str, detail: str, at: datetime) -> None:
    """Append one entry; call it inside the transaction that does the action, so both or neither land."""
    if not admin or not action:
        raise AuditError(f"an audit entry needs an admin and an action (got {admin!r}, {action!r})")
    conn.execute(
        "INSERT INTO audit_log (at, admin, action, detail) VALUES (?, ?, ?, ?)",
        (iso(at), admin, action, detail),
    )


def recent(conn: sqlite3.Connection, limit: int = 100) -> list[Entry]:
    """The latest entries, newest first."""
    rows = conn.execute(
        "SELECT at, admin, action, detail FROM audit_log ORDER BY at DESC, id DESC LIMIT ?", (limit,)
    )
    return [Entry(r["at"], r["admin"], r["action"], r["detail"]) for r in rows]
