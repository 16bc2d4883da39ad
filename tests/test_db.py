"""The database: WAL, foreign keys, migrations applied once even when both roles start together."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from appliance.storage.db import Database, connect, migrations, transaction


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


def test_a_commit_that_fails_leaves_the_connection_usable(db: Database) -> None:
    conn = db.conn()
    with pytest.raises(sqlite3.IntegrityError), transaction(conn):
        conn.execute("PRAGMA defer_foreign_keys = ON")  # the broken reference fails at COMMIT
        conn.execute(
            "INSERT INTO bookings (reference, room_id, start_at, end_at, block_start_at, block_end_at,"
            " title, organiser, status, cancel_code_hash, created_at, updated_at)"
            " VALUES ('R1', 'no-such-room', 'a', 'b', 'a', 'b', 't', 'o', 'confirmed', 'h', 'x', 'x')"
        )
    assert not conn.in_transaction
    with transaction(conn):
        conn.execute("INSERT INTO settings (key, value, updated_at) VALUES ('a', 'b', 'c')")
    assert conn.execute("SELECT count(*) FROM bookings").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM settings").fetchone()[0] == 1


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
    from appliance.storage.db import DatabaseError

    with pytest.raises(DatabaseError):
        connect(tmp_path / "x.db", "OFF")


def test_the_lean_event_tables_migration_keeps_every_row_and_the_commit_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import appliance.storage.db

    everything = migrations()
    monkeypatch.setattr(appliance.storage.db, "migrations", lambda: [m for m in everything if m.number < 60])
    db = Database(tmp_path / "upgrade.db")
    db.migrate()
    conn = db.conn()
    ids = [f"e{n}" for n in range(5)]
    with transaction(conn):
        for n, event_id in enumerate(ids):  # committed in an order that is not the ids' order
            conn.execute("INSERT INTO sensor_events (id, at, kind, sensor, data) VALUES (?, ?, 'passed', 'main', '{}')",
                         (event_id, f"2026-03-02T09:00:0{4 - n}.000Z"))
        conn.execute("INSERT INTO state (key, value, updated_at) VALUES ('door/front', '{\"state\": \"open\"}', 'x')")
        conn.execute("INSERT INTO daily_counts (day, sensor, metric, value) VALUES ('2026-03-02', 'main', 'in', 7)")
        conn.execute("INSERT INTO outbox (topic, payload, created_at) VALUES ('t', 'p', 'x')")
    monkeypatch.setattr(appliance.storage.db, "migrations", lambda: everything)
    assert 60 in db.migrate()
    assert [r[0] for r in conn.execute("SELECT id FROM sensor_events ORDER BY rowid")] == ids
    assert conn.execute("SELECT value FROM state WHERE key = 'door/front'").fetchone()[0] == '{"state": "open"}'
    assert conn.execute("SELECT value FROM daily_counts").fetchone()[0] == 7
    assert [tuple(r) for r in conn.execute("SELECT topic, payload FROM outbox")] == [("t", "p")]
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "sensor_events_at" in indexes and "outbox_topic" not in indexes
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
