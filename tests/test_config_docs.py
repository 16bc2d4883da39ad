"""docs/CONFIG.md and the CLI reference cannot drift from the code."""

from __future__ import annotations

from pathlib import Path

from appliance.core import config_reference as ref
from doorstep.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_config_reference_is_current() -> None:
    committed = (ROOT / "docs" / "CONFIG.md").read_text(encoding="utf-8")
    assert committed == ref.reference_markdown(), "docs/CONFIG.md is stale: run 'make docs'"


def test_every_cli_command_is_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8") + (ROOT / "docs" / "OPERATIONS.md").read_text(encoding="utf-8")

    def walk(group, prefix):  # type: ignore[no-untyped-def]
        for name, command in group.commands.items():
            full = f"{prefix} {name}"
            yield full
            if hasattr(command, "commands"):
                yield from walk(command, full)

    for command in walk(main, "doorstep"):
        assert f"`{command}" in readme, f"{command} is not documented in README.md or docs/OPERATIONS.md"
