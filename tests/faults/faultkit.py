"""Helpers for the fault suite: its config file, waiting, read-only database looks.
Processes come from bench/procs.py and the MQTT subscriber from tests/mqttkit.py.
(A module of its own so the test files can import it.)"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from bench import procs


def config_toml(
    db: Path,
    *,
    web_port: int = 8080,
    broker: tuple[str, int] | None = None,
    simulate: bool = False,
    doors: tuple[tuple[str, int], ...] = (),
    beams: tuple[tuple[str, int, int], ...] = (("entrance", 5, 6),),
) -> str:
    """bench.procs.config_toml with the fault suite's defaults: site 'faults', the entrance
    beam pair and no door (doors without debounce, so a driven flip is never swallowed)."""
    return procs.config_toml(db, web_port=web_port, broker=broker, simulate=simulate, doors=doors, beams=beams,
                             site="faults", debounce_ms=0)


def wait_until(predicate: Callable[[], object], timeout: float, what: str, proc: procs.Proc | None = None) -> None:
    """Poll until ``predicate()`` is true; fail the test naming what never happened (with the
    process's output when it exited or the time ran out)."""
    try:
        procs.wait_for(predicate, timeout, what, proc)
    except procs.ProcessError as exc:
        pytest.fail(str(exc))


def query(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows from a read-only connection (sees only committed data, like any other reader)."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as conn:
        return [tuple(r) for r in conn.execute(sql, params)]


def scalar(db: Path, sql: str, params: tuple = ()) -> int:
    """One number from the database; 0 when the table does not exist yet."""
    try:
        rows = query(db, sql, params)
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc) or "unable to open" in str(exc):
            return 0
        raise
    return int(rows[0][0]) if rows else 0


def integrity(db: Path) -> str:
    """PRAGMA integrity_check's verdict ('ok' when the file is sound)."""
    with contextlib.closing(sqlite3.connect(str(db), timeout=30)) as conn:
        return "; ".join(str(r[0]) for r in conn.execute("PRAGMA integrity_check"))


def first_occurrences(ids: list[str]) -> list[str]:
    """The ids in the order each first arrived (at-least-once delivery may repeat some)."""
    seen: set[str] = set()
    order = []
    for i in ids:
        if i not in seen:
            seen.add(i)
            order.append(i)
    return order


# Rows a refused request may legitimately leave: a login pause, once it begins.
NOT_STORED_FROM_A_REQUEST = {"login_locks", "schema_migrations", "sqlite_sequence"}


def fingerprint(db: Path) -> dict[str, str]:
    """A digest of every table's rows, to tell whether a request stored anything."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        digest = {}
        for table in tables:
            if table in NOT_STORED_FROM_A_REQUEST:
                continue
            h = hashlib.sha256()
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                h.update(repr(tuple(row)).encode())
            digest[table] = h.hexdigest()
        return digest


# Figures a fault test measured, printed at the end of `make faults` (tests/faults/conftest.py).
FIGURES: list[str] = []


def report(*lines: str) -> None:
    """Keep figures for the summary at the end of the run (pytest hides a test's own output)."""
    FIGURES.extend(lines)


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Tables whose rows differ."""
    return sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))
