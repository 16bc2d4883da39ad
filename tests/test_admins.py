"""Admin accounts: scrypt hashes, pauses per (name, address) and per address (counted in memory), API tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from werkzeug.security import check_password_hash

from appliance.core.clock import ManualClock
from appliance.people import admins, lockout
from appliance.people.lockout import Lockout
from appliance.storage import audit
from appliance.storage.db import Database
from doorstep.agent import JOBS


def test_password_is_stored_as_a_scrypt_hash_werkzeug_can_read(db: Database, clock: ManualClock) -> None:
    admins.create(db.conn(), "alice", "correct horse", clock.now())
    stored = db.conn().execute("SELECT password_hash FROM admins WHERE name = 'alice'").fetchone()[0]
    assert stored.startswith("scrypt:") and "correct horse" not in stored
    assert check_password_hash(stored, "correct horse")
    assert not check_password_hash(stored, "correct horsE")
    assert admins.verify(db.conn(), "alice", "correct horse")
    assert not admins.verify(db.conn(), "alice", "wrong password")
    assert not admins.verify(db.conn(), "bob", "correct horse")


def test_two_hashes_of_one_password_differ(db: Database) -> None:
    assert admins.hash_password("same words") != admins.hash_password("same words")


@pytest.mark.parametrize(("name", "password", "message"), [
    ("alice", "short", "too short"),
    ("", "long enough", "must be"),
    ("has space", "long enough", "must be"),
])
def test_bad_accounts_are_refused_clearly(db: Database, clock: ManualClock, name: str, password: str,
                                          message: str) -> None:
    with pytest.raises(admins.AdminError, match=message):
        admins.create(db.conn(), name, password, clock.now())
    assert admins.names(db.conn()) == []


def test_a_name_is_used_once(db: Database, clock: ManualClock) -> None:
    admins.create(db.conn(), "alice", "correct horse", clock.now())
    with pytest.raises(admins.AdminError, match="already exists"):
        admins.create(db.conn(), "alice", "another one", clock.now())
    assert [e.action for e in audit.recent(db.conn())] == ["admin_created"]


LOGINS = Lockout("dashboard")


def _fail(db: Database, clock: ManualClock, times: int, name: str = "alice", address: str = "10.0.0.5",
          lockout: Lockout = LOGINS) -> None:
    for _ in range(times):
        result = admins.login(db.conn(), lockout, name, "wrong password", address, clock.now())
        assert not result.ok
        clock.advance(seconds=10)


@pytest.fixture
def logins() -> Lockout:
    return Lockout("dashboard")


def test_five_failures_pause_that_name_from_that_address(db: Database, clock: ManualClock, logins: Lockout) -> None:
    admins.create(db.conn(), "alice", "correct horse", clock.now())
    _fail(db, clock, 4, lockout=logins)
    fifth = admins.login(db.conn(), logins, "alice", "wrong again", "10.0.0.5", clock.now())
    assert fifth.outcome == "failed" and fifth.locked_until is not None
    # the right password from that address waits; from another address it works at once
    assert admins.login(db.conn(), logins, "alice", "correct horse", "10.0.0.5", clock.now()).outcome == "locked"
    assert admins.login(db.conn(), logins, "alice", "correct horse", "10.0.0.99", clock.now()).ok
    clock.advance(minutes=4, seconds=50)
    assert admins.login(db.conn(), logins, "alice", "correct horse", "10.0.0.5", clock.now()).outcome == "locked"
    clock.advance(seconds=11)
    assert admins.login(db.conn(), logins, "alice", "correct horse", "10.0.0.5", clock.now()).ok


def test_twenty_failures_from_one_address_pause_it_for_every_name(db: Database, clock: ManualClock,
                                                                  logins: Lockout) -> None:
    admins.create(db.conn(), "alice", "correct horse", clock.now())
    for i in range(20):  # twenty different names, one address
        _fail(db, clock, 1, name=f"name{i}", address="10.0.0.7", lockout=logins)
    assert admins.login(db.conn(), logins, "alice", "correct horse", "10.0.0.7", clock.now()).outcome == "locked"
    assert admins.login(db.conn(), logins, "alice", "correct horse", "10.0.0.8", clock.now()).ok


def test_failures_spread_over_more_than_five_minutes_do_not_lock(db: Database, clock: ManualClock,
                                                                 logins: Lockout) -> None:
    admins.create(db.conn(), "alice", "correct horse", clock.now())
    for _ in range(6):
        _fail(db, clock, 1, lockout=logins)
        clock.advance(seconds=70)
    assert admins.login(db.conn(), logins, "alice", "correct horse", "10.0.0.5", clock.now()).ok


def test_a_good_login_resets_the_count(db: Database, clock: ManualClock, logins: Lockout) -> None:
    admins.create(db.conn(), "alice", "correct horse", clock.now())
    _fail(db, clock, 4, lockout=logins)
    assert admins.login(db.conn(), logins, "alice", "correct horse", "10.0.0.5", clock.now()).ok
    _fail(db, clock, 4, lockout=logins)
    assert admins.login(db.conn(), logins, "alice", "correct horse", "10.0.0.5", clock.now()).ok


def test_a_pause_survives_a_restart(db: Database, clock: ManualClock, config, logins: Lockout) -> None:  # type: ignore[no-untyped-def]
    admins.create(db.conn(), "alice", "correct horse", clock.now())
    _fail(db, clock, 5, lockout=logins)
    fresh = Database(config.database.path, clock)  # a new process's view of the same file
    try:
        restarted = Lockout("dashboard")
        assert admins.login(fresh.conn(), restarted, "alice", "correct horse", "10.0.0.5", clock.now()).outcome == "locked"
        assert admins.login(fresh.conn(), restarted, "alice", "correct horse", "10.0.0.6", clock.now()).ok
    finally:
        fresh.close()


def test_memory_stays_bounded_under_a_flood_of_addresses(db: Database, clock: ManualClock) -> None:
    small = Lockout("dashboard", capacity=100)
    for i in range(1000):
        small.failed(db.conn(), "alice", f"10.1.{i // 250}.{i % 250}", clock.now())
    assert len(small._tries) <= 100


def test_ended_pauses_are_purged(db: Database, clock: ManualClock, logins: Lockout) -> None:
    _fail(db, clock, 5, lockout=logins)
    clock.advance(hours=2)
    assert lockout.purge_locks(db.conn(), clock.now() - timedelta(hours=1)) == 1


def test_api_token_is_stored_only_as_a_hash_and_can_be_revoked(db: Database, clock: ManualClock) -> None:
    admins.create(db.conn(), "alice", "correct horse", clock.now())
    token = admins.issue_token(db.conn(), "alice", clock.now())
    stored = db.conn().execute("SELECT api_token_hash FROM admins").fetchone()[0]
    assert stored == admins.hash_token(token) and token not in stored
    admins.revoke_token(db.conn(), "alice", clock.now())
    assert db.conn().execute("SELECT api_token_hash FROM admins").fetchone()[0] is None
    with pytest.raises(admins.AdminError, match="no admin"):
        admins.issue_token(db.conn(), "nobody", clock.now())
    assert [e.action for e in audit.recent(db.conn())][:2] == ["api_token_revoked", "api_token_issued"]


def test_audit_needs_an_admin_and_an_action(db: Database, clock: ManualClock) -> None:
    with pytest.raises(audit.AuditError):
        audit.record(db.conn(), "", "login", "", clock.now())


def _config_file(tmp_path, config) -> str:  # type: ignore[no-untyped-def]
    path = tmp_path / "doorstep.toml"
    path.write_text(f'[database]\npath = "{config.database.path}"\n', encoding="utf-8")
    return str(path)


def test_cli_admin_create_reads_the_password_from_stdin(tmp_path, config, db: Database) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from doorstep.cli import main

    cfg = _config_file(tmp_path, config)
    result = CliRunner().invoke(main, ["admin", "create", "alice", "--config", cfg], input="correct horse\n")
    assert result.exit_code == 0, result.output
    assert admins.verify(db.conn(), "alice", "correct horse")
    again = CliRunner().invoke(main, ["admin", "create", "alice", "--config", cfg], input="correct horse\n")
    assert again.exit_code == 1 and "already exists" in again.output
    short = CliRunner().invoke(main, ["admin", "create", "bob", "--config", cfg], input="short\n")
    assert short.exit_code == 1 and "too short" in short.output


def test_cli_admin_token_issues_and_revokes(tmp_path, config, db: Database, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from doorstep.cli import main

    admins.create(db.conn(), "alice", "correct horse", clock.now())
    cfg = _config_file(tmp_path, config)
    issued = CliRunner().invoke(main, ["admin", "token", "alice", "--config", cfg])
    assert issued.exit_code == 0
    token = issued.output.strip()
    assert db.conn().execute("SELECT api_token_hash FROM admins").fetchone()[0] == admins.hash_token(token)
    revoked = CliRunner().invoke(main, ["admin", "token", "alice", "--revoke", "--config", cfg])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert CliRunner().invoke(main, ["admin", "token", "nobody", "--config", cfg]).exit_code == 1


def test_an_issued_token_opens_the_api(tmp_path, config, db: Database, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    from flask import Flask

    from kiosk import create_app
    from kiosk.access import token_admin

    admins.create(db.conn(), "alice", "correct horse", clock.now())
    token = admins.issue_token(db.conn(), "alice", clock.now())
    app: Flask = create_app(config, clock=clock)
    try:
        with app.test_request_context(headers={"Authorization": f"Bearer {token}"}):
            assert token_admin() == "alice"
        with app.test_request_context(headers={"Authorization": "Bearer not-the-token"}):
            assert token_admin() is None
    finally:
        app.extensions["doorstep"].close()


def test_the_agent_forgets_ended_pauses(db: Database, config, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    from appliance.sensing import housekeeping

    _fail(db, clock, 5, lockout=Lockout("dashboard"))
    clock.advance(days=2)
    assert "lockout.forget_locks" in housekeeping.run_due(JOBS, db, config, clock, {})
    assert db.conn().execute("SELECT count(*) FROM login_locks").fetchone()[0] == 0


def test_set_password_replaces_the_old_one(db) -> None:  # type: ignore[no-untyped-def]

    conn = db.conn()
    admins.create(conn, "ada", "first-password-1", db.clock.now())
    admins.set_password(conn, "ada", "second-password-2", db.clock.now())
    assert admins.verify(conn, "ada", "second-password-2")
    assert not admins.verify(conn, "ada", "first-password-1")
    with pytest.raises(admins.AdminError):
        admins.set_password(conn, "nobody", "second-password-2", db.clock.now())
