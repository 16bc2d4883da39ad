"""The shape every benchmark reports in, and the table `make bench` prints.

A benchmark module is ``bench/bench_<name>.py`` with a function ``run() -> list[Figure]``.
It measures its figure and its floor in the same run, on this machine, so the ratio
means something on a Pi and on a laptop alike. Benchmarks report; they never fail a
build for being slow, and a figure that cannot be measured here (a tool missing, a
registry unreachable) is a row saying so, not a crash.

``python -m bench`` runs every module; ``python -m bench bench_x`` runs one and merges
its rows into the same table. The rows live in ``bench/results.json`` (one entry per
module, with when and where it ran); ``bench/RESULTS.md`` is written from it.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import pkgutil
import platform
import statistics
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).parent
RESULTS_JSON = HERE / "results.json"
RESULTS_MD = HERE / "RESULTS.md"
NOTES_MD = HERE / "NOTES.md"  # hand-written: how figures were chosen, appended to RESULTS.md
CACHE = HERE / ".cache"  # gitignored: Node-RED's install, scratch databases


@dataclass(frozen=True)
class Figure:
    """One measured figure against its floor.

    ``value`` NaN means "could not be measured here"; ``note`` then says why.
    """

    name: str
    value: float
    floor: float
    unit: str
    goal: str  # e.g. "<= 2" or ">= 0.5"; "-" when the figure is informational
    floor_name: str = ""
    note: str = ""
    floor_unit: str = ""  # when the floor is in another unit than the value (rare)

    @classmethod
    def unavailable(cls, name: str, reason: str, goal: str = "-", floor_name: str = "") -> Figure:
        """A row for a figure this machine could not measure, saying why."""
        return cls(name, math.nan, math.nan, "", goal, floor_name=floor_name, note=f"not measured: {reason}")

    @property
    def measured(self) -> bool:
        """Both the figure and its floor were measured."""
        return not (math.isnan(self.value) or math.isnan(self.floor))

    @property
    def ratio(self) -> float:
        """value / floor (inf when the floor is zero, NaN when unmeasured)."""
        if not self.measured:
            return math.nan
        if self.floor == 0:
            return 0.0 if self.value == 0 else math.inf
        return self.value / self.floor

    @property
    def met(self) -> bool | None:
        """Whether the ratio meets the goal; None when the goal is informational or unmeasured."""
        goal = self.goal.strip()
        if not self.measured:
            return None
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


def concurrently(client: Callable[[int], list[float]], clients: int) -> list[float]:
    """Run ``client(n)`` for n in 0..clients-1 on that many threads at once; every timing
    they return, together. The first client that raised makes the figure not taken."""
    import threading

    timings: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def one(n: int) -> None:
        try:
            mine = client(n)
        except Exception as exc:  # noqa: BLE001 - raised below, once every thread has ended
            errors.append(exc)
            return
        with lock:
            timings.extend(mine)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(str(errors[0])) from errors[0]
    return timings


def discover() -> list[str]:
    """Names of every bench module."""
    import bench

    return sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_"))


def _first(path: str, prefix: str) -> str:
    try:
        for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def load_average() -> str:
    """The 1-minute load average (how busy the machine was: figures on a busy machine are noisy)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"


def machine() -> str:
    """A one-paragraph description of this machine: CPU, cores, memory, kernel, Python, disk."""
    cores = os.cpu_count()
    mem_kib = _first("/proc/meminfo", "MemTotal").split()[0]
    memory = f"{int(mem_kib) / 1024 / 1024:.1f} GiB" if mem_kib.isdigit() else "?"
    cpu = _first("/proc/cpuinfo", "model name")
    if cpu == "?":
        cpu = _first("/proc/cpuinfo", "Model")  # a Raspberry Pi names itself here
    disk = "?"
    try:
        # the file system the benchmarks write to, from /proc/mounts (longest matching mount point)
        target = str(CACHE.resolve())
        best = ("", "?", "?")
        for line in Path("/proc/mounts").read_text().splitlines():
            device, point, fstype = line.split()[:3]
            if target.startswith(point) and len(point) > len(best[0]):
                best = (point, device, fstype)
        disk = f"{best[2]} on {best[1].rsplit('/', 1)[-1]}"
    except (OSError, ValueError):
        pass
    return (
        f"{platform.machine()}, {cpu}, {cores} cores, {memory} RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, benchmark files on {disk}"
    )


def _number(value: float, unit: str) -> str:
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return f"inf {unit}".strip()
    # whole numbers and large ones read better without an exponent (10000 passes, 58390 B)
    text = f"{value:.0f}" if abs(value) >= 1000 or (value == int(value) and abs(value) < 1e15) else f"{value:.4g}"
    return f"{text} {unit}".strip()


def table(figures: list[Figure]) -> str:
    """The results as a Markdown table."""
    rows = ["| figure | value | floor | ratio | goal | met | note |", "|---|---|---|---|---|---|---|"]
    for f in figures:
        met = {True: "yes", False: "NO", None: "-"}[f.met]
        floor = _number(f.floor, f.floor_unit or f.unit) + (f" ({f.floor_name})" if f.floor_name else "")
        ratio = "n/a" if math.isnan(f.ratio) else f"{f.ratio:.3g}"
        rows.append(f"| {f.name} | {_number(f.value, f.unit)} | {floor} | {ratio} | {f.goal} | {met} | {f.note} |")
    return "\n".join(rows)


def _load_results() -> dict[str, dict]:
    try:
        data = json.loads(RESULTS_JSON.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _figures_of(entry: dict) -> list[Figure]:
    figures = []
    for raw in entry.get("figures", []):
        raw = {k: (math.nan if v is None and k in ("value", "floor") else v) for k, v in raw.items()}
        try:
            figures.append(Figure(**raw))
        except TypeError:
            continue  # a row from an older harness: dropped rather than crash
    return figures


def _json_figure(f: Figure) -> dict:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(f).items()}


def render(results: dict[str, dict]) -> str:
    """RESULTS.md from the stored results: the machine, the load, one table, what could not run."""
    figures: list[Figure] = []
    runs: list[str] = []
    problems: list[str] = []
    for name in sorted(results):
        entry = results[name]
        figures.extend(_figures_of(entry))
        runs.append(
            f"| {name} | {entry.get('ran_at', '?')} | {entry.get('seconds', 0):.0f} s "
            f"| {entry.get('load_before', '?')} / {entry.get('load_after', '?')} |"
        )
        if entry.get("problem"):
            problems.append(f"- {name}: {entry['problem']}")
    machines = sorted({results[n].get("machine", "?") for n in results})
    return (
        "# Benchmark results\n\n"
        "Written by `make bench` (`python -m bench`); do not edit by hand. Every figure is measured\n"
        "with its floor in the same run, on the same machine, and the goal applies to the ratio\n"
        "(value / floor), so the table means the same on a Raspberry Pi as on a laptop.\n"
        "A row marked n/a could not be measured on that machine; its note says why.\n\n"
        + "".join(f"Machine: {m}\n\n" for m in machines)
        + table(figures)
        + "\n\n## Runs\n\nLoad is the 1-minute load average before / after each benchmark: on a busy machine the\nabsolute numbers are noisy (the ratios less so, as floor and figure share the noise).\n\n"
        + "| benchmark | ran at (UTC) | took | load |\n|---|---|---|---|\n"
        + "\n".join(runs)
        + "\n"
        + ("\n## Could not measure\n\n" + "\n".join(problems) + "\n" if problems else "")
        + _notes()
    )


def _notes() -> str:
    """bench/NOTES.md (how some floors and budgets were chosen), kept across runs."""
    try:
        return "\n" + NOTES_MD.read_text(encoding="utf-8")
    except OSError:
        return ""


def run_one(name: str) -> dict:
    """Run one bench module; a crash becomes a recorded problem, never an exception."""
    entry: dict = {
        "ran_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "load_before": load_average(),
    }
    start = time.monotonic()
    figures: list[Figure] = []
    try:
        module = importlib.import_module(f"bench.{name}")
        figures = list(module.run())
    except Exception:
        entry["problem"] = traceback.format_exc().strip().splitlines()[-1]
        traceback.print_exc()
    entry["seconds"] = round(time.monotonic() - start, 1)
    entry["load_after"] = load_average()
    entry["figures"] = [_json_figure(f) for f in figures]
    return entry


def main(selected: list[str] | None = None) -> int:
    """Run the benchmarks, print the table, write bench/RESULTS.md. Always exits 0.

    ``--render`` only rewrites RESULTS.md from bench/results.json (no measuring).
    """
    if selected == ["--render"]:
        RESULTS_MD.write_text(render(_load_results()), encoding="utf-8")
        print(RESULTS_MD.read_text(encoding="utf-8"))
        return 0
    known = discover()
    names = selected or known
    # a full run starts afresh; a run of some modules replaces only their rows
    results = _load_results() if selected else {}
    for name in names:
        if name not in known:
            print(f"no benchmark named {name} (have: {', '.join(known)})")
            continue
        print(f"running {name} ...", flush=True)
        entry = run_one(name)
        results[name] = entry
        print(table(_figures_of(entry)), flush=True)
    results = {k: v for k, v in results.items() if k in known}
    text = render(results)
    print()
    print(text)
    RESULTS_JSON.write_text(json.dumps(results, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    RESULTS_MD.write_text(text, encoding="utf-8")
    return 0
