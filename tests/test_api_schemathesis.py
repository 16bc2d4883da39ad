"""schemathesis, the command-line tool, against /api/v1/openapi.json of the live web role:
every documented check (server errors, status codes, content types, response schemas,
schema-valid data accepted and invalid data refused, undeclared methods answered 405
with Allow, the declared token enforced) finds nothing.

The web role here trusts no kiosk network, so every write needs the admin's API token:
the run holds one, and the tool's own probes check that a missing or wrong token is
refused. tests/schemathesis.toml lists, per operation, the refusals JSON Schema cannot
express (a booking in the past or outside opening hours, a day beyond the days-ahead
limit)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.booking.rooms import Room, create_room
from appliance.core.config import Config
from appliance.people import admins


@pytest.fixture
def config(config: Config) -> Config:
    """No kiosk network: writes only with a token (the loopback test runner is not trusted)."""
    return config.with_changes(web=dataclasses.replace(config.web, kiosk_networks=("192.0.2.1/32",)))


def test_schemathesis_finds_nothing_wrong(live_server, db, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    create_room(db.conn(), Room(id="hall", name="Hall", capacity=50, cleanup_minutes=15), clock.now())
    create_room(db.conn(), Room(id="vestry", name="Vestry", needs_approval=True), clock.now())
    admins.create(db.conn(), "alice", "correct horse", clock.now())
    with db.write():
        token = admins.issue_token(db.conn(), "alice", clock.now())
    tool = Path(sys.executable).with_name("schemathesis")
    settings = Path(__file__).with_name("schemathesis.toml")
    run = subprocess.run(
        [str(tool), "--config-file", str(settings), "run", f"{live_server.url}api/v1/openapi.json",
         "--checks", "all", "--max-examples", "12", "--workers", "1", "--seed", "16",
         "--header", f"Authorization: Bearer {token}", "--request-timeout", "20"],
        capture_output=True, text=True, cwd=tmp_path, timeout=900,
    )
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
