"""Recovering from a leaked password (issue 15 item 5): `doorstep admin passwd|remove|list|
sessions`, and the same on the dashboard (add and remove admins, change your own
password; the last admin cannot be removed). CLI through click on a real database file;
the dashboard in real Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from live_support import PASSWORD, Browser
from playwright.sync_api import Page, expect

from appliance.core.clock import ManualClock, SystemClock
from appliance.core.config import Config
from appliance.people import admins, sessions
from appliance.storage.db import Database
from doorstep.cli import main


@pytest.fixture
def cfg_file(tmp_path: Path, config: Config) -> str:
    path = tmp_path / "doorstep.toml"
    path.write_text(f'[database]\npath = "{config.database.path}"\n', encoding="utf-8")
    return str(path)


@pytest.fixture
def alice(db: Database, clock: ManualClock) -> str:
    admins.create(db.conn(), "alice", PASSWORD, clock.now())
    return "alice"


def run(*args: str, stdin: str = "") -> Any:
    return CliRunner().invoke(main, ["admin", *args], input=stdin)


def test_cli_passwd_sets_a_new_password_and_ends_sessions(cfg_file: str, db: Database, clock: ManualClock,
                                                          alice: str) -> None:
    sessions.start(db.conn(), "alice", "192.0.2.5", clock.now())
    result = run("passwd", "alice", "--config", cfg_file, stdin="a brand new secret\n")
    assert result.exit_code == 0, result.output
    assert "1 session" in result.output
    assert admins.verify(db.conn(), "alice", "a brand new secret") and not admins.verify(db.conn(), "alice", PASSWORD)
    assert db.conn().execute("SELECT count(*) FROM admin_sessions").fetchone()[0] == 0
    assert run("passwd", "nobody", "--config", cfg_file, stdin="long enough one\n").exit_code == 1
    short = run("passwd", "alice", "--config", cfg_file, stdin="short\n")
    assert short.exit_code == 1 and "too short" in short.output


def test_cli_remove_but_never_the_last(cfg_file: str, db: Database, clock: ManualClock, alice: str) -> None:
    last = run("remove", "alice", "--config", cfg_file)
    assert last.exit_code == 1 and "last admin" in last.output
    admins.create(db.conn(), "bob", PASSWORD, clock.now())
    sessions.start(db.conn(), "alice", "192.0.2.5", clock.now())
    removed = run("remove", "alice", "--config", cfg_file)
    assert removed.exit_code == 0, removed.output
    assert admins.names(db.conn()) == ["bob"]
    assert db.conn().execute("SELECT count(*) FROM admin_sessions").fetchone()[0] == 0
    assert run("remove", "nobody", "--config", cfg_file).exit_code == 1


def test_cli_list_and_sessions(cfg_file: str, db: Database, clock: ManualClock, alice: str) -> None:
    admins.create(db.conn(), "bob", PASSWORD, clock.now())
    admins.issue_token(db.conn(), "bob", clock.now())
    now = SystemClock().now()  # the CLI reads the wall clock, as it does on the Pi
    sessions.start(db.conn(), "alice", "192.0.2.5", now)
    sessions.start(db.conn(), "alice", "192.0.2.6", now)
    listed = run("list", "--config", cfg_file)
    assert listed.exit_code == 0, listed.output
    lines = listed.output.strip().splitlines()
    assert lines[1].split()[0] == "alice" and "2" in lines[1].split() and lines[2].split()[0] == "bob"
    shown = run("sessions", "alice", "--config", cfg_file)
    assert shown.exit_code == 0 and "192.0.2.5" in shown.output and "192.0.2.6" in shown.output
    revoked = run("sessions", "alice", "--revoke", "--config", cfg_file)
    assert revoked.exit_code == 0 and "2 session" in revoked.output
    assert db.conn().execute("SELECT count(*) FROM admin_sessions").fetchone()[0] == 0


@pytest.mark.browser
def test_admins_manage_admins_on_the_dashboard(page: Page, live_server: Any, db: Database, alice: str) -> None:
    base = live_server.url
    elsewhere = Browser(base, source="127.0.0.40")  # alice also logged in on another device
    assert elsewhere.log_in() == 302
    page.goto(base + "dashboard/login")
    page.get_by_label("Name").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Manage").first.click()
    page.get_by_role("navigation", name="Manage").get_by_role("link", name="Admins").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Admins")

    # the last admin cannot be removed
    page.get_by_role("button", name="Remove alice").click()
    expect(page.locator(".error")).to_contain_text("last admin")

    # add Bob
    page.get_by_label("New admin's name").fill("bob")
    page.get_by_label("Their password", exact=True).fill("bobs long password")
    page.get_by_label("Their password again").fill("bobs long password")
    page.get_by_role("button", name="Add admin").click()
    expect(page.locator(".notice")).to_contain_text("bob")
    assert admins.names(db.conn()) == ["alice", "bob"]

    # change my own password: the other device is logged out, this one is not
    page.get_by_label("Your current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("alices new password")
    page.get_by_label("New password again").fill("alices new password")
    page.get_by_role("button", name="Change my password").click()
    expect(page.locator(".notice")).to_contain_text("password is changed")
    assert elsewhere.request("/dashboard/")[0] == 302
    assert admins.verify(db.conn(), "alice", "alices new password")

    # remove Bob
    page.get_by_role("button", name="Remove bob").click()
    expect(page.locator(".notice")).to_contain_text("removed")
    assert admins.names(db.conn()) == ["alice"]
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Admins")
