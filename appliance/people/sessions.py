"""Dashboard logins kept on the server: the browser holds a random id, the database only
its SHA-256, so neither a copy of the database nor the cookie-signing key is a login.

A session ends at logout, when its admin's password changes or the admin is removed,
after ``web.session_idle_minutes`` unused, and ``web.session_hours`` after it began.
When it was last used is written at most once a minute, to spare the SD card.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from appliance.core.clock import Clock, iso, parse_iso
from appliance.core.config import Config, WebConfig
from appliance.storage.db import Database, transaction

TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Session:
    """One open login, as the admin pages list it (never its id)."""

    id_hash: str
    admin: str
    address: str
    started_at: str
    seen_at: str


def hash_id(session_id: str) -> str:
    """How a session id is stored (a long random id needs no salt)."""
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def _limits(web: WebConfig) -> tuple[timedelta, timedelta]:
    return timedelta(minutes=web.session_idle_minutes), timedelta(hours=web.session_hours)


def _alive(row: sqlite3.Row, now: datetime, web: WebConfig) -> bool:
    idle, lifetime = _limits(web)
    return now - parse_iso(row["seen_at"]) <= idle and now - parse_iso(row["started_at"]) <= lifetime


def start(conn: sqlite3.Connection, admin: str, address: str, at: datetime) -> str:
    """Open a session for ``admin``; returns the id for the browser (only its hash is kept)."""
    session_id = secrets.token_urlsafe(32)
    with transaction(conn):
        conn.execute("INSERT INTO admin_sessions (id_hash, admin, address, started_at, seen_at) VALUES (?, ?, ?, ?, ?)",
                     (hash_id(session_id), admin, address[:64], iso(at), iso(at)))
    return session_id


def admin_for(conn: sqlite3.Connection, session_id: str, now: datetime, web: WebConfig) -> str | None:
    """The admin whose open session this id is, or None (an ended one is deleted)."""
    digest = hash_id(session_id)
    row = conn.execute("SELECT * FROM admin_sessions WHERE id_hash = ?", (digest,)).fetchone()
    if row is None:
        return None
    if not _alive(row, now, web):
        with transaction(conn):
            conn.execute("DELETE FROM admin_sessions WHERE id_hash = ?", (digest,))
        return None
    if now - parse_iso(row["seen_at"]) >= TOUCH_EVERY:
        with transaction(conn):
            conn.execute("UPDATE admin_sessions SET seen_at = ? WHERE id_hash = ?", (iso(now), digest))
    return str(row["admin"])


def still_open(conn: sqlite3.Connection, id_hashes: Iterable[str], now: datetime, web: WebConfig) -> set[str]:
    """Which of these session hashes are still open (a live dashboard ends with its session)."""
    wanted = list(id_hashes)
    if not wanted:
        return set()
    marks = ",".join("?" * len(wanted))
    rows = conn.execute(f"SELECT * FROM admin_sessions WHERE id_hash IN ({marks})", wanted)
    return {row["id_hash"] for row in rows if _alive(row, now, web)}


def end(conn: sqlite3.Connection, session_id: str) -> None:
    """End one session (logout)."""
    with transaction(conn):
        conn.execute("DELETE FROM admin_sessions WHERE id_hash = ?", (hash_id(session_id),))


def end_all(conn: sqlite3.Connection, admin: str, keep: str | None = None) -> int:
    """End every session of ``admin`` (but ``keep``, a session id, if given); how many ended."""
    with transaction(conn):
        return conn.execute("DELETE FROM admin_sessions WHERE admin = ? AND id_hash != ?",
                            (admin, hash_id(keep) if keep else "")).rowcount


def open_sessions(conn: sqlite3.Connection, admin: str, now: datetime, web: WebConfig) -> list[Session]:
    """``admin``'s open sessions, newest first."""
    rows = conn.execute("SELECT * FROM admin_sessions WHERE admin = ? ORDER BY started_at DESC", (admin,))
    return [Session(r["id_hash"], r["admin"], r["address"], r["started_at"], r["seen_at"])
            for r in rows if _alive(r, now, web)]


def purge_ended(conn: sqlite3.Connection, now: datetime, web: WebConfig) -> int:
    """Delete sessions past their idle timeout or lifetime; how many."""
    idle, lifetime = _limits(web)
    with transaction(conn):
        return conn.execute("DELETE FROM admin_sessions WHERE seen_at < ? OR started_at < ?",
                            (iso(now - idle), iso(now - lifetime))).rowcount


def forget_ended_job(db: Database, config: Config, clock: Clock) -> None:
    """Housekeeping: delete ended sessions."""
    purge_ended(db.conn(), clock.now(), config.web)
