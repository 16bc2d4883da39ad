"""The Pi-budget benchmark's pure helpers: cgroup files read and written, the fallback's
duty cycle, the calibration against published Pi figures, percentiles."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bench.bench_pi import percentile, pi_core_fraction
from bench.cpubudget import (
    cpu_max_line,
    detect,
    duty_cycle,
    parse_cfs,
    parse_cpu_max,
    parse_cpu_stat,
)


def test_cpu_max_round_trips_an_eighth_of_a_cpu() -> None:
    line = cpu_max_line(0.125, 10_000)
    assert line == "1250 10000"
    assert parse_cpu_max(line) == 0.125


def test_cpu_max_without_a_limit() -> None:
    assert cpu_max_line(None, 10_000) == "max 10000"
    assert parse_cpu_max("max 100000\n") is None


def test_cpu_max_never_goes_below_the_kernels_minimum_quota() -> None:
    assert cpu_max_line(0.01, 10_000) == "1000 10000"  # the kernel refuses quotas under 1 ms


def test_cpu_max_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        cpu_max_line(0, 10_000)
    with pytest.raises(ValueError):
        parse_cpu_max("1 2 3")


def test_cfs_files() -> None:
    assert parse_cfs("12500\n", "100000\n") == 0.125
    assert parse_cfs("-1\n", "100000\n") is None


def test_cpu_stat_counters() -> None:
    text = "nr_periods 2616\nnr_throttled 2151\nthrottled_time 123456789\nnonsense\n"
    assert parse_cpu_stat(text) == {"nr_periods": 2616, "nr_throttled": 2151, "throttled_time": 123456789}


def test_duty_cycle_splits_the_period() -> None:
    run, stop = duty_cycle(0.125, 0.1)
    assert run == pytest.approx(0.0125) and stop == pytest.approx(0.0875)
    with pytest.raises(ValueError):
        duty_cycle(1.5, 0.1)


def _cgroup_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_detect_prefers_cgroup_v2_with_the_cpu_controller(tmp_path: Path) -> None:
    root = _cgroup_tree(tmp_path, {"cgroup.controllers": "cpuset cpu io memory pids\n"})
    kind = detect(root)
    assert (kind.name, kind.path) == ("cgroup v2", root)


def test_detect_finds_v1_when_v2_lacks_cpu(tmp_path: Path) -> None:
    # a hybrid layout: the unified half holds no cpu controller, the v1 cpu hierarchy does
    root = _cgroup_tree(tmp_path, {
        "unified/cgroup.controllers": "hugetlb\n",
        "cpu/cpu.cfs_quota_us": "-1\n",
    })
    kind = detect(root)
    assert (kind.name, kind.path) == ("cgroup v1", root / "cpu")


def test_detect_falls_back_when_there_is_no_cgroup(tmp_path: Path) -> None:
    assert detect(tmp_path).path is None


def test_pi_fraction_scales_the_published_figures() -> None:
    pi = pi_core_fraction(40.0)
    # Pi 4 158.26 s, a Pi 3+ core 1477.83/687.45 slower, a Pi 3 B at 1.2 of the 3+'s 1.4 GHz
    assert pi["pi3_seconds"] == pytest.approx(158.26 * 1477.83 / 687.45 * 1.4 / 1.2)
    assert pi["pi3_fraction"] == pytest.approx(40.0 / pi["pi3_seconds"])
    assert pi["zero2w_fraction"] < pi["pi3_fraction"]  # the Zero 2 W is the slower


def test_percentile_by_nearest_rank() -> None:
    samples = [float(i) for i in range(1, 101)]
    assert percentile(samples, 99) == 99.0
    assert percentile(samples, 50) == 50.0
    assert percentile([3.0], 99) == 3.0
    assert math.isnan(percentile([], 99))


def test_the_fallback_pins_to_one_cpu_and_a_cgroup_enters_before_exec(tmp_path: Path) -> None:
    from bench.cpubudget import CpuBudget, Kind

    fallback = CpuBudget("t", 0.125, kind=Kind("taskset + SIGSTOP/SIGCONT", None))
    assert fallback.wrap(["python", "-m", "doorstep"]) == ["taskset", "-c", "0", "python", "-m", "doorstep"]
    unlimited = CpuBudget("t", None, kind=Kind("taskset + SIGSTOP/SIGCONT", None))
    assert unlimited.wrap(["python"]) == ["python"]
    grouped = CpuBudget("t", 0.125, kind=Kind("cgroup v1", tmp_path), path=tmp_path / "t")
    command = grouped.wrap(["python", "-m", "doorstep"])
    assert command[:2] == ["/bin/sh", "-c"] and str(tmp_path / "t" / "cgroup.procs") in command[2]
    assert command[-3:] == ["python", "-m", "doorstep"] and "exec" in command[2]


def test_a_v1_group_gets_its_period_and_quota(tmp_path: Path) -> None:
    from bench.cpubudget import CpuBudget, Kind

    # a stand-in hierarchy: plain files where the kernel would have made them
    budget = CpuBudget("g", 0.125, kind=Kind("cgroup v1", tmp_path), period_us=10_000)
    budget.open()
    group = tmp_path / "g"
    assert parse_cfs((group / "cpu.cfs_quota_us").read_text(), (group / "cpu.cfs_period_us").read_text()) == 0.125
    for name in ("cpu.cfs_quota_us", "cpu.cfs_period_us"):  # the kernel's files go with the group
        (group / name).unlink()
    budget.close()
    assert not group.exists()


@pytest.mark.parametrize("role", ["agent", "web"])
def test_bench_pi_starts_each_role_as_its_unit_does(role: str, tmp_path: Path) -> None:
    """Under the budget as on a Pi: the unit's Environment= (glibc's arena and mmap settings),
    and systemd's notify socket, so that READY is what is timed."""
    from bench.bench_pi import role_proc
    from bench.cpubudget import CpuBudget, Kind
    from bench.procs import unit_environment

    budget = CpuBudget("unused", None, kind=Kind("taskset + SIGSTOP/SIGCONT", None))
    proc = role_proc(budget, role, tmp_path / "config.toml", tmp_path / "notify.sock")
    assert proc.env is not None
    assert unit_environment(role).items() <= proc.env.items()
    assert proc.env["MALLOC_MMAP_THRESHOLD_"] == "131072"
    assert proc.env["NOTIFY_SOCKET"] == str(tmp_path / "notify.sock")
    assert proc.args[-4:] == ["doorstep", role, "--config", str(tmp_path / "config.toml")]
