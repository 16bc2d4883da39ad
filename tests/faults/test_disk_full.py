"""The data directory's disk fills up while the agent records a stream of passes: the
agent logs a clear error and keeps running, the file stays sound, and recording (and
publishing) resumes by itself once space returns.

The data directory is a small tmpfs mounted for the test (we run as root in CI); where
mounting a tmpfs is refused, a loop-mounted ext4 file system; where neither is allowed,
the test fails saying so (it is never skipped).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from faultkit import config_toml, integrity, scalar, wait_until

from bench.procs import driven_agent, running

pytestmark = pytest.mark.faults

SIZE_MIB = 8
EVENTS = "doorstep/faults/events"
PASSES = "SELECT count(*) FROM sensor_events WHERE kind = 'passed'"


def _mount(target: Path, image: Path) -> str:
    tmpfs = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE_MIB}m,mode=0755", "tmpfs", str(target)],
                           capture_output=True, text=True)
    if tmpfs.returncode == 0:
        return "tmpfs"
    with open(image, "wb") as f:
        f.truncate(SIZE_MIB * 1024 * 1024)
    made = subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], capture_output=True, text=True)
    loop = subprocess.run(["mount", "-o", "loop", str(image), str(target)], capture_output=True, text=True)
    if made.returncode == 0 and loop.returncode == 0:
        return "loop"
    pytest.fail(
        "cannot make a small file system for the disk-full test: "
        f"mount -t tmpfs said {tmpfs.stderr.strip()!r}; a loop mount said {(made.stderr + loop.stderr).strip()!r}. "
        "Run the fault suite as root (CI does)."
    )


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A directory on its own file system of SIZE_MIB MiB, unmounted afterwards."""
    target = tmp_path / "data"
    target.mkdir()
    _mount(target, tmp_path / "disk.img")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


def _fill(directory: Path) -> Path:
    """Fill the file system to the last byte with a ballast file (unbuffered, so the write
    that hits ENOSPC is ours to catch and nothing is left to flush)."""
    ballast = directory / "ballast"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        for size in (1 << 20, 65536, 4096, 512, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * size):
                    pass
    finally:
        os.close(fd)
    return ballast


def test_disk_full_is_survived_and_recovered_from(small_disk: Path, broker, durable_listener) -> None:  # type: ignore[no-untyped-def]
    db = small_disk / "doorstep.db"
    config = small_disk.parent / "config.toml"
    config.write_text(config_toml(db, broker=(broker.host, broker.port)), encoding="utf-8")
    agent = driven_agent(config, "beams", rate=50)
    with running(agent):
        wait_until(lambda: scalar(db, PASSES) >= 50, 60, "the first passes", agent)
        ballast = _fill(small_disk)
        assert shutil.disk_usage(small_disk).free < 64 * 1024
        # keep walking on a full disk for a while
        wait_until(lambda: "full" in agent.output().lower(), 30, "the agent to log that the disk is full", agent)
        time.sleep(3)
        assert agent.alive(), f"the agent died on a full disk:\n{agent.output()[-3000:]}"
        assert integrity(db) == "ok"
        full_log = [line for line in agent.output().splitlines() if "full" in line.lower()]
        assert any("ERROR" in line for line in full_log), f"no clear error was logged: {full_log[:5]}"
        lines = agent.output().splitlines()
        crashes = ["\n".join(lines[i:i + 30]) for i, line in enumerate(lines) if line.startswith("Traceback")]
        assert not crashes, "a thread of the agent crashed on the full disk:\n" + "\n\n".join(crashes)
        stuck_at = scalar(db, PASSES)

        ballast.unlink()  # space returns
        wait_until(lambda: scalar(db, PASSES) >= stuck_at + 100, 60, "recording to resume once space returned", agent)
        assert agent.alive()
        # and the broker link carries on: the newest passes reach the broker
        newest = {r for r in _ids_after(db, stuck_at)}
        wait_until(lambda: newest <= set(durable_listener.event_ids(EVENTS, "passed")), 60,
                   "passes recorded after the disk emptied to reach the broker", agent)
        assert agent.alive()
    assert integrity(db) == "ok"


def _ids_after(db: Path, n: int) -> list[str]:
    from faultkit import query

    return [r[0] for r in query(db, "SELECT id FROM sensor_events WHERE kind = 'passed' ORDER BY rowid LIMIT -1 OFFSET ?",
                                (n,))]
