"""Admin accounts: scrypt hashes, lockout per account and per address (in the database), API tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from werkzeug.security import check_password_hash

from appliance import admins, audit
from appliance.clock import ManualClock
from appliance.db import Database


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


def _fail(db: Database, clock: ManualClock, times: int, name: str = "alice", address: str = "10.0.0.5") -> None:
    for _ in range(times):
        result = admins.login(db.conn(), name, "wrong password", address, clock.now())
        assert not result.ok
        clock.advance(seconds=10)


def test_five_failures_lock_the_account_for_five_minutes(db: Database, clock: ManualClock) -> None:
    admins.create(db.conn(), "alice", "correct horse", clock.now())
    _fail(db, clock, 4)
    assert admins.login(db.conn(), "alice", "wrong again", "10.0.0.5", clock.now()).locked_until is not None
    # even the right password, from another address, is refused while the account is locked
    locked = admins.login(db.conn(), "alice", "correct horse", "10.0.0.99", clock.now())
    assert locked.outcome == "locked" and locked.locked_until is not None
    clock.advance(minutes=4, seconds=50)
    assert admins.login(db.conn(), "alice", "correct horse", "10.0.0.99", clock.now()).outcome == "locked"
    clock.advance(seconds=11)
    assert admins.login(db.conn(), "alice", "correct horse", "10.0.0.99", clock.now()).ok


def test_five_failures_from_one_address_lock_that_address_for_every_name(db: Database, clock: ManualClock) -> None:
    admins.create(db.conn(), "alice", "correct horse", clock.now())
    for name in ("a", "b", "c", "d", "e"):  # five different names, one address
        _fail(db, clock, 1, name=name, address="10.0.0.7")
    assert admins.login(db.conn(), "alice", "correct horse", "10.0.0.7", clock.now()).outcome == "locked"
    assert admins.login(db.conn(), "alice", "correct horse", "10.0.0.8", clock.now()).ok


def test_failures_spread_over_more_than_five_minutes_do_not_lock(db: Database, clock: ManualClock) -> None:
    admins.create(db.conn(), "alice", "correct horse", clock.now())
    for _ in range(6):
        _fail(db, clock, 1)
        clock.advance(seconds=70)
    assert admins.login(db.conn(), "alice", "correct horse", "10.0.0.5", clock.now()).ok


def test_a_good_login_resets_the_account_count(db: Database, clock: ManualClock) -> None:
    admins.create(db.conn(), "alice", "correct horse", clock.now())
    _fail(db, clock, 4, address="10.0.0.1")
    assert admins.login(db.conn(), "alice", "correct horse", "10.0.0.2", clock.now()).ok
    _fail(db, clock, 4, address="10.0.0.3")
    assert admins.login(db.conn(), "alice", "correct horse", "10.0.0.4", clock.now()).ok


def test_the_lockout_survives_a_restart(db: Database, clock: ManualClock, config) -> None:  # type: ignore[no-untyped-def]
    admins.create(db.conn(), "alice", "correct horse", clock.now())
    _fail(db, clock, 5)
    fresh = Database(config.database.path, clock)  # a new process's view of the same file
    try:
        assert admins.login(fresh.conn(), "alice", "correct horse", "10.0.0.9", clock.now()).outcome == "locked"
    finally:
        fresh.close()


def test_old_attempts_are_purged(db: Database, clock: ManualClock) -> None:
    _fail(db, clock, 3)
    clock.advance(hours=2)
    assert admins.purge_attempts(db.conn(), clock.now() - timedelta(hours=1)) == 3


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

    from appliance.cli import main

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

    from appliance.cli import main

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


def test_the_agent_forgets_old_login_attempts(db: Database, config, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    from appliance import housekeeping

    _fail(db, clock, 2)
    clock.advance(days=2)
    assert "admins.forget_login_attempts" in housekeeping.run_due(db, config, clock, {})
    assert db.conn().execute("SELECT count(*) FROM login_attempts").fetchone()[0] == 0


def test_set_password_replaces_the_old_one(db) -> None:  # type: ignore[no-untyped-def]
    from appliance import admins

    conn = db.conn()
    admins.create(conn, "ada", "first-password-1", db.clock.now())
    admins.set_password(conn, "ada", "second-password-2", db.clock.now())
    assert admins.verify(conn, "ada", "second-password-2")
    assert not admins.verify(conn, "ada", "first-password-1")
    with pytest.raises(admins.AdminError):
        admins.set_password(conn, "nobody", "second-password-2", db.clock.now())
