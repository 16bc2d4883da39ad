"""The change watcher (appliance/storage/watcher.py) sees commits made by another process
(the agent writes, the web role's live pages follow), whether the system reports writes
to the database's folder (inotify) or not (it polls), and an idle one stays asleep.

A real SQLite file, written by a separate Python process as the agent would.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from appliance.storage import watcher as watcher_mod
from appliance.storage.watcher import ChangeWatcher


def commit_elsewhere(path: Path, value: str) -> None:
    """One committed row from another process."""
    subprocess.run([sys.executable, "-c", (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('PRAGMA journal_mode=WAL');"
        " c.execute('CREATE TABLE IF NOT EXISTS t (v TEXT)'); c.execute('INSERT INTO t VALUES (?)', (sys.argv[2],));"
        " c.commit(); c.close()"), str(path), value], check=True)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "doorstep.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (v TEXT)")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("notices", [True, False], ids=["inotify", "polling"])
def test_another_process_commit_moves_the_generation(database: Path, notices: bool,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    if not notices:
        monkeypatch.setattr(watcher_mod, "folder_writes", lambda path: None)
    watcher = ChangeWatcher(database)
    watcher.start()
    try:
        time.sleep(0.3)  # the watcher has read data_version once
        for n in range(3):
            seen = watcher.generation
            commit_elsewhere(database, f"Siân {n}")
            assert watcher.wait(seen, 10) != seen, f"commit {n} was not seen"
        assert (watcher._writes is not None) == notices
    finally:
        watcher.stop()
    assert watcher._writes is None  # its descriptors are closed


def test_a_missing_folder_falls_back_to_polling(tmp_path: Path) -> None:
    assert watcher_mod.folder_writes(tmp_path / "gone" / "doorstep.db") is None
    assert watcher_mod.folder_writes(":memory:") is None


def test_an_idle_watcher_reads_about_once_a_second(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Polling ten times a second cost an idle web role most of its CPU (bench_pi)."""
    reads: list[float] = []
    real_connect = watcher_mod.connect

    class Counting:
        def __init__(self, conn: sqlite3.Connection) -> None:
            self.conn = conn

        def execute(self, sql: str) -> sqlite3.Cursor:
            reads.append(time.monotonic())
            return self.conn.execute(sql)

        def close(self) -> None:
            self.conn.close()

    monkeypatch.setattr(watcher_mod, "connect", lambda path: Counting(real_connect(path)))
    watcher = ChangeWatcher(database)
    watcher.start()
    try:
        time.sleep(3.5)
    finally:
        watcher.stop()
    assert 2 <= len(reads) <= 6, f"{len(reads)} reads of data_version in 3.5 idle seconds"
