"""The database: WAL, foreign keys, migrations applied once even when both roles start together."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from appliance.db import Database, connect, migrations, transaction


def test_pragmas(db: Database) -> None:
    conn = db.conn()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_tables_exist_with_plain_names(db: Database) -> None:
    names = {r[0] for r in db.conn().execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table in ("rooms", "people", "visits", "bookings", "sensor_events", "outbox",
                  "daily_counts", "admins", "settings", "schema_migrations"):
        assert table in names


def test_migrations_are_numbered_and_applied_once(db: Database) -> None:
    numbers = [m.number for m in migrations()]
    assert numbers == sorted(numbers) and numbers[0] == 1
    assert db.migrate() == []
    recorded = [r[0] for r in db.conn().execute("SELECT number FROM schema_migrations ORDER BY number")]
    assert recorded == numbers


def _migrate(path: str) -> list[int]:
    return Database(path).migrate()


def test_two_processes_migrating_at_once_apply_each_migration_once(tmp_path: Path) -> None:
    path = str(tmp_path / "race.db")
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        results = pool.map(_migrate, [path] * 4)
    applied = sorted(n for result in results for n in result)
    assert applied == [m.number for m in migrations()]


def test_transaction_rolls_back_on_error(db: Database) -> None:
    conn = db.conn()
    with pytest.raises(RuntimeError), transaction(conn):
        conn.execute("INSERT INTO settings (key, value, updated_at) VALUES ('a', 'b', 'c')")
        raise RuntimeError("boom")
    assert conn.execute("SELECT count(*) FROM settings").fetchone()[0] == 0


def test_foreign_keys_are_enforced(db: Database) -> None:
    conn = db.conn()
    with pytest.raises(sqlite3.IntegrityError), transaction(conn):
        conn.execute(
            "INSERT INTO bookings (reference, room_id, start_at, end_at, block_start_at, block_end_at,"
            " title, organiser, status, cancel_code_hash, created_at, updated_at)"
            " VALUES ('R1', 'no-such-room', 'a', 'b', 'a', 'b', 't', 'o', 'confirmed', 'h', 'x', 'x')"
        )


def test_data_version_moves_when_another_connection_commits(db: Database) -> None:
    before = db.data_version()
    other = connect(db.path)
    with transaction(other):
        other.execute("INSERT INTO settings (key, value, updated_at) VALUES ('k', 'v', 't')")
    other.close()
    assert db.data_version() != before


def test_web_role_syncs_every_commit_and_the_agent_does_not(config, clock) -> None:  # type: ignore[no-untyped-def]
    from kiosk import create_app

    app = create_app(config, clock=clock)
    try:
        web_db = app.extensions["doorstep"].db
        assert web_db.conn().execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    finally:
        app.extensions["doorstep"].close()
    agent_db = Database(config.database.path, clock)
    assert agent_db.conn().execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    agent_db.close()


def test_an_unknown_synchronous_setting_is_refused(tmp_path: Path) -> None:
    from appliance.db import DatabaseError

    with pytest.raises(DatabaseError):
        connect(tmp_path / "x.db", "OFF")
