"""The shape every benchmark reports in, and the table `make bench` prints.

A benchmark module is ``bench/bench_<name>.py`` with a function ``run() -> list[Figure]``.
It measures its figure and its floor in the same run, on this machine, so the ratio
means something on a Pi and on a laptop alike. Benchmarks report; they never fail a
build for being slow.
"""

from __future__ import annotations

import importlib
import pkgutil
import platform
import statistics
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    """One measured figure against its floor."""

    name: str
    value: float
    floor: float
    unit: str
    goal: str  # e.g. "<= 2" or ">= 0.5"
    floor_name: str = ""
    note: str = ""

    @property
    def ratio(self) -> float:
        """value / floor (inf when the floor is zero)."""
        return self.value / self.floor if self.floor else float("inf")

    @property
    def met(self) -> bool | None:
        """Whether the ratio meets the goal; None when the goal is informational."""
        goal = self.goal.strip()
        for op, check in (("<=", lambda r, g: r <= g), (">=", lambda r, g: r >= g)):
            if goal.startswith(op):
                return bool(check(self.ratio, float(goal[len(op):])))
        return None


def median_seconds(fn: Callable[[], object], repeat: int = 21) -> float:
    """Median wall time of ``fn`` over ``repeat`` runs."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def discover() -> list[str]:
    """Names of every bench module."""
    import bench

    return sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_"))


def machine() -> str:
    """A one-line description of this machine."""
    try:
        import os

        cores = os.cpu_count()
        mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
        memory = f"{int(mem) // 1024 // 1024} GiB"
    except (OSError, IndexError, ValueError):
        cores, memory = None, "?"
    return f"{platform.machine()}, {cores} cores, {memory}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def table(figures: list[Figure]) -> str:
    """The results as a Markdown table."""
    rows = ["| figure | value | floor | ratio | goal | met |", "|---|---|---|---|---|---|"]
    for f in figures:
        met = {True: "yes", False: "NO", None: "-"}[f.met]
        floor = f"{f.floor:.4g} {f.unit}" + (f" ({f.floor_name})" if f.floor_name else "")
        rows.append(
            f"| {f.name} | {f.value:.4g} {f.unit} | {floor} | {f.ratio:.3g} | {f.goal} | {met} |"
            + (f" {f.note}" if f.note else "")
        )
    return "\n".join(rows)


def main(selected: list[str] | None = None) -> int:
    """Run the benchmarks, print the table, write bench/RESULTS.md. Always exits 0."""
    figures: list[Figure] = []
    problems: list[str] = []
    for name in selected or discover():
        print(f"running {name} ...", flush=True)
        try:
            module = importlib.import_module(f"bench.{name}")
            figures.extend(module.run())
        except Exception:
            problems.append(f"{name}: {traceback.format_exc().strip().splitlines()[-1]}")
            traceback.print_exc()
    text = table(figures)
    print()
    print(text)
    for problem in problems:
        print(f"could not measure: {problem}")
    out = Path(__file__).parent / "RESULTS.md"
    out.write_text(
        "# Benchmark results\n\n"
        f"Machine: {machine()}\n\n"
        "Every figure is measured with its floor in the same run; the ratio is what the goal applies to.\n\n"
        + text
        + "\n"
        + "".join(f"\nCould not measure: {p}\n" for p in problems),
        encoding="utf-8",
    )
    return 0
