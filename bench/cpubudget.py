"""A Pi-sized CPU budget for benchmark processes: a cgroup with a CPU quota, or a crude
stand-in when this machine offers none.

Three ways, in the order they are tried (see :func:`detect`):

- cgroup v2 (``cgroup.controllers`` lists ``cpu``; the quota is ``cpu.max``);
- cgroup v1 (a ``cpu`` hierarchy with ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``);
- neither writable: every process pinned to one CPU with ``taskset`` and a thread that
  stops and continues them (SIGSTOP/SIGCONT) so they run for the fraction of each period.

A process is put in the budget *before* it runs any Python (``wrap`` prefixes its command
with a shell that moves itself into the cgroup and then ``exec``s), so start-up imports
are paid inside the budget as on a Pi. Children inherit the cgroup.

The period is short (10 ms by default, not the kernel's 100 ms): a quota with a long
period lets a process run at full speed for a burst and then stalls it, which looks like
a fast machine that freezes, not like a slow one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PERIOD_US = 10_000


class BudgetError(Exception):
    """The CPU budget could not be set up."""


# -- pure helpers (unit-tested in tests/test_bench_cpubudget.py) -----------------------------


def cpu_max_line(fraction: float | None, period_us: int = PERIOD_US) -> str:
    """cgroup v2 ``cpu.max`` for a fraction of one CPU (``None``: no limit)."""
    if fraction is None:
        return f"max {period_us}"
    if fraction <= 0:
        raise ValueError(f"a CPU fraction must be positive, not {fraction}")
    return f"{max(1000, round(fraction * period_us))} {period_us}"


def parse_cpu_max(text: str) -> float | None:
    """The fraction of one CPU a v2 ``cpu.max`` allows (``None``: unlimited)."""
    parts = text.split()
    if not parts or len(parts) > 2:
        raise ValueError(f"not a cpu.max line: {text!r}")
    period = int(parts[1]) if len(parts) == 2 else 100_000
    if parts[0] == "max":
        return None
    return int(parts[0]) / period


def parse_cfs(quota_us: str, period_us: str) -> float | None:
    """The fraction of one CPU a v1 ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` allows."""
    quota = int(quota_us.strip())
    return None if quota < 0 else quota / int(period_us.strip())


def parse_cpu_stat(text: str) -> dict[str, int]:
    """``cpu.stat`` (v1 or v2) as a dict of its counters."""
    found: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            found[parts[0]] = int(parts[1])
    return found


def duty_cycle(fraction: float, period_s: float) -> tuple[float, float]:
    """(seconds running, seconds stopped) in each period of the SIGSTOP/SIGCONT fallback."""
    if not 0 < fraction <= 1:
        raise ValueError(f"the fallback can give a fraction in (0, 1], not {fraction}")
    return fraction * period_s, (1 - fraction) * period_s


@dataclass(frozen=True)
class Kind:
    """Which mechanism this machine offers, and where."""

    name: str  # "cgroup v2", "cgroup v1", "taskset + SIGSTOP/SIGCONT"
    path: Path | None  # the hierarchy to make groups in (None for the fallback)


def detect(root: Path = CGROUP_ROOT) -> Kind:
    """The best CPU-limiting mechanism here (see the module docstring)."""
    candidates = [root, root / "unified"]  # unified: the v2 half of a hybrid layout
    for base in candidates:
        controllers = base / "cgroup.controllers"
        with contextlib.suppress(OSError):
            if "cpu" in controllers.read_text().split() and os.access(base, os.W_OK):
                return Kind("cgroup v2", base)
    for name in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):
        base = root / name
        if (base / "cpu.cfs_quota_us").exists() and os.access(base, os.W_OK):
            return Kind("cgroup v1", base)
    return Kind("taskset + SIGSTOP/SIGCONT", None)


# -- the budget -------------------------------------------------------------------------------


@dataclass
class CpuBudget:
    """A named group of processes limited to ``fraction`` of one CPU (``None``: unlimited, the
    same mechanism with no quota, so both runs start their processes the same way)."""

    name: str
    fraction: float | None
    kind: Kind = field(default_factory=detect)
    period_us: int = PERIOD_US
    path: Path | None = None
    _pids: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> CpuBudget:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        """Make the group and set its quota."""
        if self.kind.path is None:
            if self.fraction is not None and shutil.which("taskset") is None:
                raise BudgetError("no writable cgroup and no taskset: cannot limit the CPU here")
            if self.fraction is not None and self.fraction < 1:
                self._thread = threading.Thread(target=self._throttle, name="cpu-budget", daemon=True)
                self._thread.start()
            return
        self.path = self.kind.path / self.name
        try:
            self.path.mkdir(exist_ok=True)
            if self.kind.name == "cgroup v2":
                (self.path / "cpu.max").write_text(cpu_max_line(self.fraction, self.period_us))
            else:
                # the period first: a quota is checked against the period in force
                (self.path / "cpu.cfs_quota_us").write_text("-1")
                (self.path / "cpu.cfs_period_us").write_text(str(self.period_us))
                quota = -1 if self.fraction is None else max(1000, round(self.fraction * self.period_us))
                (self.path / "cpu.cfs_quota_us").write_text(str(quota))
        except OSError as exc:
            raise BudgetError(f"could not set up {self.path}: {exc}") from exc

    def wrap(self, args: list[str]) -> list[str]:
        """The command that runs ``args`` inside this budget from its first instruction."""
        if self.path is not None:
            procs = self.path / "cgroup.procs"
            # On one CPU as well: a quota shared by threads on two CPUs is handed out in
            # 5 ms slices, four times the whole 1.25 ms budget, which throttles more than the
            # fraction asks; one core is also what the floor run is given.
            pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
            return ["/bin/sh", "-c", f'echo $$ > "{procs}" && exec "$@"', "cpu-budget", *pin, *args]
        if self.fraction is not None:
            return ["taskset", "-c", "0", *args]  # one core, throttled below it when fraction < 1
        return list(args)

    def track(self, pid: int) -> None:
        """For the fallback: a process whose time the throttle thread rations."""
        self._pids.append(pid)

    def _signal_all(self, sig: int) -> None:
        for pid in list(self._pids):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                self._pids.remove(pid)

    def _throttle(self) -> None:
        assert self.fraction is not None
        run, stop = duty_cycle(self.fraction, self.period_us / 1e6 * 10)  # signals are coarse: 100 ms
        while not self._stop.is_set():
            time.sleep(run)
            self._signal_all(signal.SIGSTOP)
            time.sleep(stop)
            self._signal_all(signal.SIGCONT)

    def stats(self) -> dict[str, int]:
        """The group's cpu.stat (throttled periods and time); empty for the fallback."""
        if self.path is None:
            return {}
        with contextlib.suppress(OSError):
            return parse_cpu_stat((self.path / "cpu.stat").read_text())
        return {}

    def describe(self) -> str:
        """How the budget is made, in words (for a figure's note)."""
        share = "no limit" if self.fraction is None else f"{self.fraction:.3g} of a CPU"
        if self.path is None:
            return f"{share}, {self.kind.name} (no writable cgroup here)"
        return f"{share}, {self.kind.name}, period {self.period_us // 1000} ms"

    def close(self) -> None:
        """Stop throttling and remove the group (its processes must have ended)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._signal_all(signal.SIGCONT)
        if self.path is not None:
            for _ in range(50):  # the kernel drops exited tasks a moment after they are reaped
                try:
                    self.path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)
