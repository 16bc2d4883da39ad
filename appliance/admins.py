"""Admin accounts: the people who run the space and may open the dashboard.

Passwords are hashed with scrypt (memory-hard) from the standard library, written in
werkzeug's ``scrypt:N:r:p$salt$hex`` format so werkzeug's own ``check_password_hash``
reads them too; this module stays free of web libraries (see tests/test_layering.py).

Login attempts are rows in ``login_attempts``, so a lockout holds across restarts of
the web role: five failures in five minutes lock the account name, and separately the
address they came from, for five minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from appliance import audit
from appliance.clock import Clock, iso, parse_iso
from appliance.config import Config
from appliance.db import Database, transaction
from appliance.housekeeping import job

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=5)
MIN_PASSWORD = 8
KEEP_ATTEMPTS = timedelta(days=1)  # only minutes matter for the lockout; a day helps spot an attack
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


# A hash to check against when the name is unknown, so a wrong name costs as long as a
# wrong password and timing does not tell which names exist.
_DUMMY = hash_password(secrets.token_hex(8))


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


def set_password(conn: sqlite3.Connection, name: str, password: str, at: datetime) -> None:
    """Give an existing admin a new password; raise AdminError if unknown or too short."""
    if len(password) < MIN_PASSWORD:
        raise AdminError(f"the password for {name!r} is too short: use at least {MIN_PASSWORD} characters")
    password_hash = hash_password(password)
    with transaction(conn):
        cur = conn.execute("UPDATE admins SET password_hash = ? WHERE name = ?", (password_hash, name))
        if cur.rowcount == 0:
            raise AdminError(f"there is no admin called {name!r}")
        audit.record(conn, name, "password_changed", "", at)


def names(conn: sqlite3.Connection) -> list[str]:
    """Every admin's name, sorted."""
    return [r["name"] for r in conn.execute("SELECT name FROM admins ORDER BY name")]


def verify(conn: sqlite3.Connection, name: str, password: str) -> bool:
    """Whether ``name`` is an admin with this password (no lockout; see :func:`login`)."""
    row = conn.execute("SELECT password_hash FROM admins WHERE name = ?", (name,)).fetchone()
    if row is None:
        check_password(_DUMMY, password)
        return False
    return check_password(row["password_hash"], password)


def _locked_until(conn: sqlite3.Connection, column: str, value: str, now: datetime) -> datetime | None:
    """When the lock on this name or address lifts, or None if it is not locked.

    Five failures within five minutes lock for five minutes from the fifth. For an
    account only failures after its last good login count (a volunteer who mistyped
    twice and then got in starts afresh). Refused attempts while locked do not count,
    so a lock always ends.
    """
    since = iso(now - 2 * LOCKOUT)
    if column == "name":
        last_ok = conn.execute("SELECT MAX(at) FROM login_attempts WHERE name = ? AND outcome = 'ok'",
                               (value,)).fetchone()[0]
        since = max(since, last_ok or "")
    rows = conn.execute(
        f"SELECT at FROM login_attempts WHERE {column} = ? AND outcome = 'failed' AND at > ? "
        "ORDER BY at DESC, id DESC LIMIT ?",
        (value, since, MAX_FAILURES),
    ).fetchall()
    if len(rows) < MAX_FAILURES:
        return None
    newest, oldest = parse_iso(rows[0]["at"]), parse_iso(rows[-1]["at"])
    if newest - oldest > LOCKOUT:
        return None
    until = newest + LOCKOUT
    return until if until > now else None


def lock_state(conn: sqlite3.Connection, name: str, address: str, now: datetime) -> datetime | None:
    """When a lock on this account name or address lifts (the later of the two), or None."""
    locks = [t for t in (_locked_until(conn, "name", name, now), _locked_until(conn, "address", address, now))
             if t is not None]
    return max(locks) if locks else None


def login(conn: sqlite3.Connection, name: str, password: str, address: str, at: datetime) -> LoginResult:
    """Try a login from ``address``: checks the lockout, then the password, and records the attempt."""
    locked = lock_state(conn, name, address, at)
    if locked is not None:
        outcome = "locked"
    elif verify(conn, name, password):
        outcome = "ok"
    else:
        outcome = "failed"
    record_attempt(conn, name, address, outcome, at)
    if outcome == "failed":
        # the fifth failure locks at once: say so now rather than on the next try
        locked = lock_state(conn, name, address, at)
    return LoginResult(outcome, name, locked)


def record_attempt(conn: sqlite3.Connection, name: str, address: str, outcome: str, at: datetime) -> None:
    """Record one attempt ('ok', 'failed' or 'locked'); also used for the kiosk's roll-call PIN."""
    with transaction(conn):
        conn.execute("INSERT INTO login_attempts (at, name, address, outcome) VALUES (?, ?, ?, ?)",
                     (iso(at), name[:100], address, outcome))


def purge_attempts(conn: sqlite3.Connection, before: datetime) -> int:
    """Forget login attempts older than ``before`` (they only matter for minutes); returns how many."""
    with transaction(conn):
        return conn.execute("DELETE FROM login_attempts WHERE at < ?", (iso(before),)).rowcount


@job("admins.forget_login_attempts", every_seconds=3600)
def _forget_attempts(db: Database, config: Config, clock: Clock) -> None:
    purge_attempts(db.conn(), clock.now() - KEEP_ATTEMPTS)


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
