"""The browser-memory benchmark's pure helpers: smaps_rollup read and summed, Chromium's
flags taken from the kiosk unit, and the static twin of the kiosk page."""

from __future__ import annotations

import pytest

from bench.kiosk_browser import UNIT, flags_from_unit, static_twin
from bench.procs import doorstep, parse_rollup, unit_environment

ROLLUP = """55d0c3a1e000-7ffd2b1f4000 ---p 00000000 00:00 0                          [rollup]
Rss:                2224 kB
Pss:                 418 kB
Pss_Anon:            172 kB
Pss_File:            246 kB
Pss_Shmem:             0 kB
"""


def test_rollup_fields_in_kib() -> None:
    fields = parse_rollup(ROLLUP)
    assert fields["Pss"] == 418
    assert fields["Pss_Anon"] + fields["Pss_File"] + fields["Pss_Shmem"] == fields["Pss"]
    assert "55d0c3a1e000-7ffd2b1f4000" not in fields  # the header line is not a field


def test_flags_come_from_the_kiosk_unit_less_what_cannot_apply_here() -> None:
    flags = flags_from_unit(UNIT.read_text(encoding="utf-8"))
    assert "--kiosk" in flags
    assert any(f.startswith("--disk-cache-size=") for f in flags)
    assert not any(f.startswith(("--ozone-platform", "--user-data-dir")) for f in flags)
    assert all(f.startswith("--") for f in flags)  # no URL, no cage


def test_flags_need_a_chromium_exec_line() -> None:
    with pytest.raises(ValueError):
        flags_from_unit("[Service]\nExecStart=/usr/bin/true\n")


def test_static_twin_has_no_scripts_and_the_same_size() -> None:
    page = '<html><body><h1>Croeso – Welcome</h1><script src="/static/page.js"></script>\n<SCRIPT>x()</SCRIPT></body></html>'
    twin = static_twin(page)
    assert "<script" not in twin.lower()
    assert "Croeso – Welcome" in twin
    assert len(twin.encode()) == len(page.encode())
    short = "<body><script></script></body>"  # fewer bytes taken out than a comment needs
    assert len(static_twin(short).encode()) == len(short.encode())


@pytest.mark.parametrize("role", ["agent", "web"])
def test_the_roles_run_with_their_units_environment(role: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The benchmark starts each role as systemd does: with the unit's Environment=."""
    assert unit_environment(role)["MALLOC_ARENA_MAX"] == "2"
    proc = doorstep(role, tmp_path / "config.toml")
    assert proc.env is not None and proc.env["MALLOC_ARENA_MAX"] == "2"
