"""Admin accounts: the people who run the space and may open the dashboard.

Passwords are hashed with scrypt (memory-hard) from the standard library, written in
werkzeug's ``scrypt:N:r:p$salt$hex`` format so werkzeug's own ``check_password_hash``
reads them too; this module stays free of web libraries (see tests/test_layering.py).

Wrong passwords pause guessing per (name, address) and per address
(appliance/people/lockout.py); they are counted in memory, not written.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from appliance.core.clock import iso
from appliance.people import sessions
from appliance.people.lockout import Lockout
from appliance.storage import audit
from appliance.storage.db import transaction

MIN_PASSWORD = 8
# werkzeug's defaults for scrypt (n=2**15, r=8, p=1); maxmem must cover 128*n*r bytes
_N, _R, _P = 2**15, 8, 1
_MAXMEM = 128 * _N * _R * 2
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


class AdminError(Exception):
    """An admin account cannot be created or changed as asked."""


@dataclass(frozen=True)
class LoginResult:
    """What a login attempt came to: ``ok``, ``failed`` or ``locked`` (until when)."""

    outcome: str
    name: str
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        """The password was right and nothing was locked."""
        return self.outcome == "ok"


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password`` in werkzeug's format."""
    salt = secrets.token_urlsafe(12)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt.encode("utf-8"), n=_N, r=_R, p=_P,
                            maxmem=_MAXMEM)
    return f"scrypt:{_N}:{_R}:{_P}${salt}${digest.hex()}"


def check_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches a hash from :func:`hash_password` (constant-time compare)."""
    try:
        method, salt, expected = stored.split("$", 2)
        name, n, r, p = method.split(":")
        if name != "scrypt":
            return False
        digest = hashlib.scrypt(password.encode("utf-8"), salt=salt.encode("utf-8"), n=int(n), r=int(r),
                                p=int(p), maxmem=128 * int(n) * int(r) * 2)
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), expected)


@functools.cache
def _dummy() -> str:
    """A hash to check against when the name is unknown, so a wrong name costs as long as
    a wrong password and timing does not tell which names exist. Made on first use, not
    at import: scrypt costs ~0.2 s here (seconds on a Pi), and the agent imports this
    module only for a housekeeping job."""
    return hash_password(secrets.token_hex(8))


def hash_token(token: str) -> str:
    """How API tokens are stored (long random tokens need no salt, so a plain hash is enough)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_owner(conn: sqlite3.Connection, token: str) -> str | None:
    """The admin whose API token ``token`` is, or None (compared in constant time)."""
    digest = hash_token(token)
    for row in conn.execute("SELECT name, api_token_hash FROM admins WHERE api_token_hash IS NOT NULL"):
        if hmac.compare_digest(row["api_token_hash"], digest):
            return str(row["name"])
    return None


def create(conn: sqlite3.Connection, name: str, password: str, at: datetime) -> None:
    """Add an admin; raise AdminError for a bad name, a short password or a name in use."""
    if not _NAME.match(name):
        raise AdminError(f"admin name {name!r} must be 1-64 letters, digits, '.', '_', '@' or '-'")
    if len(password) < MIN_PASSWORD:
        raise AdminError(f"the password for {name!r} is too short: use at least {MIN_PASSWORD} characters")
    password_hash = hash_password(password)
    with transaction(conn):
        if conn.execute("SELECT 1 FROM admins WHERE name = ?", (name,)).fetchone():
            raise AdminError(f"an admin called {name!r} already exists")
        conn.execute("INSERT INTO admins (name, password_hash, created_at) VALUES (?, ?, ?)",
                     (name, password_hash, iso(at)))
        audit.record(conn, name, "admin_created", "", at)


def set_password(conn: sqlite3.Connection, name: str, password: str, at: datetime,
                 keep_session: str | None = None) -> int:
    """Give an existing admin a new password and end their sessions (all but
    ``keep_session``, the one changing it); raise AdminError if unknown or too short.
    Returns how many sessions ended."""
    if len(password) < MIN_PASSWORD:
        raise AdminError(f"the password for {name!r} is too short: use at least {MIN_PASSWORD} characters")
    password_hash = hash_password(password)
    with transaction(conn):
        cur = conn.execute("UPDATE admins SET password_hash = ? WHERE name = ?", (password_hash, name))
        if cur.rowcount == 0:
            raise AdminError(f"there is no admin called {name!r}")
        ended = sessions.end_all(conn, name, keep=keep_session)
        audit.record(conn, name, "password_changed", f"{ended} other session(s) ended", at)
    return ended


def remove(conn: sqlite3.Connection, name: str, at: datetime, by: str | None = None) -> None:
    """Remove admin ``name``: their sessions and API token end with them. The last admin
    cannot be removed (nobody could then log in to add one)."""
    with transaction(conn):
        if conn.execute("SELECT 1 FROM admins WHERE name = ?", (name,)).fetchone() is None:
            raise AdminError(f"there is no admin called {name!r}")
        if conn.execute("SELECT count(*) FROM admins").fetchone()[0] <= 1:
            raise AdminError(f"{name!r} is the last admin and cannot be removed: add another admin first")
        sessions.end_all(conn, name)
        conn.execute("DELETE FROM admins WHERE name = ?", (name,))
        audit.record(conn, by or name, "admin_removed", name, at)


@dataclass(frozen=True)
class Account:
    """An admin as the lists show it: never a hash."""

    name: str
    created_at: str
    has_token: bool
    sessions: int


def accounts(conn: sqlite3.Connection) -> list[Account]:
    """Every admin with when they were added, whether they hold an API token and how many
    sessions they have (ended ones included until housekeeping deletes them), by name."""
    rows = conn.execute(
        "SELECT a.name, a.created_at, a.api_token_hash IS NOT NULL AS has_token,"
        " (SELECT count(*) FROM admin_sessions s WHERE s.admin = a.name) AS sessions"
        " FROM admins a ORDER BY a.name")
    return [Account(r["name"], r["created_at"], bool(r["has_token"]), int(r["sessions"])) for r in rows]


def names(conn: sqlite3.Connection) -> list[str]:
    """Every admin's name, sorted."""
    return [r["name"] for r in conn.execute("SELECT name FROM admins ORDER BY name")]


def verify(conn: sqlite3.Connection, name: str, password: str) -> bool:
    """Whether ``name`` is an admin with this password (no lockout; see :func:`login`)."""
    row = conn.execute("SELECT password_hash FROM admins WHERE name = ?", (name,)).fetchone()
    if row is None:
        check_password(_dummy(), password)
        return False
    return check_password(row["password_hash"], password)


def login(conn: sqlite3.Connection, lockout: Lockout, name: str, password: str, address: str,
          at: datetime) -> LoginResult:
    """Try a login from ``address``: refused at once while paused (nothing checked, nothing
    written), else the password is checked and a wrong one counted."""
    locked = lockout.locked_until(conn, name, address, at)
    if locked is not None:
        return LoginResult("locked", name, locked)
    if verify(conn, name, password):
        lockout.succeeded(name, address)
        return LoginResult("ok", name)
    return LoginResult("failed", name, lockout.failed(conn, name, address, at))


def issue_token(conn: sqlite3.Connection, name: str, at: datetime) -> str:
    """A new API token for ``name`` (replacing any old one); only its hash is stored."""
    token = secrets.token_urlsafe(32)
    with transaction(conn):
        cur = conn.execute("UPDATE admins SET api_token_hash = ? WHERE name = ?", (hash_token(token), name))
        if cur.rowcount == 0:
            raise AdminError(f"there is no admin called {name!r}")
        audit.record(conn, name, "api_token_issued", "", at)
    return token


def revoke_token(conn: sqlite3.Connection, name: str, at: datetime) -> None:
    """Remove ``name``'s API token, so requests carrying it are refused."""
    with transaction(conn):
        cur = conn.execute("UPDATE admins SET api_token_hash = NULL WHERE name = ?", (name,))
        if cur.rowcount == 0:
            raise AdminError(f"there is no admin called {name!r}")
        audit.record(conn, name, "api_token_revoked", "", at)
