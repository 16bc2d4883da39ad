"""The SQLite database: the only channel between the agent and the web role.

WAL mode so readers never block the writer; foreign keys on; a busy timeout so the
two roles wait for each other instead of failing.

Durability is chosen per role, deliberately. In WAL mode every committed transaction
survives a crash or SIGKILL of either process (it is in the WAL file). Against a
power cut:

- the web role's connections use ``synchronous=FULL``: each commit is synced to the
  card before the screen says "welcome" or shows a booking reference, so what a
  person was told has been kept survives a power cut too. These writes are few.
- the agent's use ``synchronous=NORMAL``: sensor events come many times a minute, and
  an fsync each would wear a cheap SD card out. A power cut can lose the last ~30 s
  of counts (until the OS or the next checkpoint writes them), never corrupt the file.
  The web role's next synced commit also syncs the agent's earlier WAL frames.

docs/OPERATIONS.md says the same for volunteers.

Migrations are numbered SQL files in ``appliance/storage/migrations``; whichever role
starts first applies them inside one ``BEGIN IMMEDIATE`` transaction, so two roles
starting at once cannot both apply one.

Every write goes through :func:`transaction` (one convention: it joins the caller's
transaction when one is open). A role may give its :class:`Database` a
:class:`CommitHook`: work run once, just before COMMIT, in any transaction that changed
one of the hook's tables. Each role installs appliance.publishing's derived-topic
refresh this way, so domain code never has to remember to publish. Changes are noticed
by TEMP triggers (this connection only; nothing is written to the file for them) that
call back into Python, so a transaction that touches none of the tables pays nothing.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from appliance.core.clock import Clock, SystemClock, iso

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class DatabaseError(Exception):
    """The database cannot be opened or migrated."""


@dataclass(frozen=True)
class Migration:
    """One numbered schema change."""

    number: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """Every migration shipped with the package, in order."""
    found = []
    for entry in resources.files("appliance.storage.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.number)
    numbers = [m.number for m in found]
    if len(numbers) != len(set(numbers)):
        raise DatabaseError(f"two migrations share a number: {numbers}")
    return found


def _statements(script: str) -> Iterator[str]:
    """Split a script into statements (executescript would commit our transaction)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer
            buffer = ""
    if buffer.strip() and not buffer.strip().startswith("--"):
        raise DatabaseError(f"incomplete SQL statement at the end of a migration: {buffer[:60]!r}")


SYNCHRONOUS = ("NORMAL", "FULL")


@dataclass(frozen=True)
class CommitHook:
    """Work done inside a write transaction just before it commits, when the transaction
    changed (inserted, updated or deleted rows of) one of ``tables``."""

    tables: tuple[str, ...]
    run: Callable[[sqlite3.Connection], object]


class Connection(sqlite3.Connection):
    """sqlite3's connection, carrying the role's :class:`CommitHook` (if any) and the
    tables the open transaction changed."""

    hook: CommitHook | None = None

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.changed: set[str] = set()

    def install(self, hook: CommitHook) -> None:
        """Watch the hook's tables on this connection (TEMP triggers) and run it before COMMIT."""
        self.create_function("doorstep_changed", 1, self.changed.add)
        for table in hook.tables:
            for operation in ("INSERT", "UPDATE", "DELETE"):
                self.execute(
                    f'CREATE TEMP TRIGGER IF NOT EXISTS "changed_{table}_{operation.lower()}"'
                    f' AFTER {operation} ON main."{table}" BEGIN SELECT doorstep_changed(\'{table}\'); END'
                )
        self.hook = hook


def connect(path: str | Path, synchronous: str = "NORMAL") -> Connection:
    """Open a connection with Doorstep's settings (autocommit; use :func:`transaction`).

    ``synchronous`` is "NORMAL" (the agent) or "FULL" (the web role): see the module doc.
    """
    if synchronous not in SYNCHRONOUS:
        raise DatabaseError(f"synchronous must be one of {SYNCHRONOUS}, not {synchronous!r}")
    try:
        conn = sqlite3.connect(
            str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False,
            factory=Connection,
        )
    except sqlite3.OperationalError as exc:
        raise DatabaseError(f"cannot open the database {path}: {exc}") from None
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    for attempt in range(50):
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            break
        except sqlite3.OperationalError as exc:  # another process is creating the file
            if "locked" not in str(exc) or attempt == 49:
                raise DatabaseError(f"cannot open the database {path}: {exc}") from None
            time.sleep(0.05)
    conn.execute("PRAGMA foreign_keys = ON")
    # Deleted content is overwritten, not left in free pages: a removed "has voted" mark or
    # an erased person leaves nothing behind in the file (docs/DECISIONS.md).
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    return conn


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction taken at once (BEGIN IMMEDIATE): commit on success, roll back on error.

    Inside a transaction already open on ``conn`` it joins that one (a recorder rule, or
    a domain function called by another): the outermost commits or rolls back. Just
    before COMMIT, the connection's :class:`CommitHook` runs if the transaction changed
    one of its tables.
    """
    if conn.in_transaction:
        yield conn
        return
    hook: CommitHook | None = getattr(conn, "hook", None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        if hook is not None:
            conn.changed.clear()  # type: ignore[attr-defined]
        yield conn
        if hook is not None and conn.changed:  # type: ignore[attr-defined]
            hook.run(conn)
            conn.changed.clear()  # type: ignore[attr-defined]
        conn.execute("COMMIT")
    except BaseException:
        # Also when COMMIT itself failed (a full disk, an I/O error): SQLite may or may not
        # have rolled back already, and a connection left inside a transaction would refuse
        # every later BEGIN.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


class Database:
    """The database file, with a connection per thread."""

    def __init__(
        self, path: str | Path, clock: Clock | None = None, synchronous: str = "NORMAL",
        hook: CommitHook | None = None,
    ) -> None:
        self.path = Path(path)
        self.synchronous = synchronous
        self.clock = clock or SystemClock()
        self.hook = hook
        self._migrated = False
        self._local = threading.local()
        self._all: list[Connection] = []
        self._lock = threading.Lock()

    def conn(self) -> Connection:
        """This thread's connection, opened on first use (with the hook, once migrated)."""
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, self.synchronous)
            if self.hook is not None and self._migrated:
                conn.install(self.hook)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def write(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """A write transaction on this thread's connection."""
        return transaction(self.conn())

    def migrate(self) -> list[int]:
        """Apply every migration not yet applied; return the numbers applied now."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self.conn()
        applied_now = []
        with transaction(conn):
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            done = {row[0] for row in conn.execute("SELECT number FROM schema_migrations")}
            for migration in migrations():
                if migration.number in done:
                    continue
                log.info("applying migration %04d %s", migration.number, migration.name)
                for statement in _statements(migration.sql):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (number, name, applied_at) VALUES (?, ?, ?)",
                    (migration.number, migration.name, iso(self.clock.now())),
                )
                applied_now.append(migration.number)
        # The hook's triggers name tables that exist only now.
        self._migrated = True
        if self.hook is not None and conn.hook is None:
            conn.install(self.hook)
        return applied_now

    def data_version(self) -> int:
        """Changes whenever another connection commits (SQLite's PRAGMA data_version)."""
        return int(self.conn().execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        """Close every connection this object opened."""
        with self._lock:
            for conn in self._all:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._all.clear()
        self._local = threading.local()


def get_setting(conn: sqlite3.Connection, name: str, default: str | None = None) -> str | None:
    """A value from the settings table."""
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (name,)).fetchone()
    return row[0] if row else default


def put_setting(conn: sqlite3.Connection, name: str, value: str, at: str) -> None:
    """Store a value in the settings table."""
    conn.execute(
        "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        (name, value, at),
    )
