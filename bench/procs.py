"""Real processes for the benchmarks and the fault suite (tests/faults): a config file,
the two roles started as the CLI starts them, and what the kernel says about them
(/proc/PID/status, smaps_rollup, io).

The benchmarks measure processes, not objects in this interpreter, so that the memory
and disk figures are the ones an operator would see with ``ps`` or ``iotop``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from appliance.core.config import Config, DatabaseConfig, MqttConfig

ROOT = Path(__file__).resolve().parents[1]


class ProcessError(Exception):
    """A benchmark process did not start or answer."""


def offline_config(folder: str | Path) -> Config:
    """The default config with its database in ``folder`` and no broker: a web app the
    benchmark drives in-process."""
    return Config().with_changes(
        database=DatabaseConfig(path=str(Path(folder) / "bench.db")),
        mqtt=MqttConfig(enabled=False),
    )


def config_toml(
    db: Path,
    *,
    web_port: int = 8080,
    broker: tuple[str, int] | None = None,
    simulate: bool = False,
    doors: tuple[tuple[str, int], ...] = (("front", 17),),
    beams: tuple[tuple[str, int, int], ...] = (),
    site: str = "bench",
    debounce_ms: int | None = None,
    https_port: int = 0,
) -> str:
    """A Doorstep config file: mock pins, the given database, broker and sensors."""
    lines = [
        "[site]",
        f'id = "{site}"',
        "[database]",
        f'path = "{db}"',
        "[web]",
        'host = "127.0.0.1"',
        f"port = {web_port}",
        f"https_port = {https_port}",  # 0: no HTTPS (never the default 8443 another run may hold)
        "[mqtt]",
    ]
    if broker:
        lines += [f'host = "{broker[0]}"', f"port = {broker[1]}", f'client_id = "doorstep-{site}"']
    else:
        lines += ["enabled = false"]
    lines += ["[hardware]", 'pin_factory = "mock"', f"simulate = {'true' if simulate else 'false'}"]
    for door_id, pin in doors:
        lines += ["[[doors]]", f'id = "{door_id}"', f"pin = {pin}"]
        if debounce_ms is not None:
            lines += [f"debounce_ms = {debounce_ms}"]
    for beam_id, outer, inner in beams:
        lines += ["[[beams]]", f'id = "{beam_id}"', f"outer_pin = {outer}", f"inner_pin = {inner}"]
    return "\n".join(lines) + "\n"


@dataclass
class Proc:
    """A child process whose output is drained into memory (so its log writes never count
    as its disk writes, and a full pipe never stalls it)."""

    args: list[str]
    env: dict[str, str] | None = None
    popen: subprocess.Popen[bytes] | None = None
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=2000))
    _reader: threading.Thread | None = None

    def start(self) -> Proc:
        """Start the process in the repository (so ``python -m bench.…`` resolves)."""
        self.popen = subprocess.Popen(
            self.args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=self.env,
        )
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        return self

    def _drain(self) -> None:
        assert self.popen is not None and self.popen.stdout is not None
        for line in self.popen.stdout:
            self.tail.append(line.decode("utf-8", errors="replace").rstrip())

    @property
    def pid(self) -> int:
        """The process id."""
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        """Still running."""
        return self.popen is not None and self.popen.poll() is None

    def output(self) -> str:
        """The last lines it printed."""
        return "\n".join(self.tail)

    def kill(self) -> None:
        """SIGKILL, as a power cut looks to the process, and reap it."""
        self.stop(signal.SIGKILL)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        """Stop it (SIGTERM, then SIGKILL) and reap it."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        if self._reader:
            self._reader.join(timeout=2)
        if self.popen.stdout:
            self.popen.stdout.close()


def unit_environment(role: str) -> dict[str, str]:
    """The ``Environment=`` settings of the role's systemd unit (systemd/doorstep-ROLE.service)."""
    unit = ROOT / "systemd" / f"doorstep-{role}.service"
    settings: dict[str, str] = {}
    if not unit.exists():
        return settings
    for line in unit.read_text(encoding="utf-8").splitlines():
        if line.startswith("Environment="):
            for pair in line.removeprefix("Environment=").split():
                name, _, value = pair.partition("=")
                settings[name] = value
    return settings


def doorstep(role: str, config: Path) -> Proc:
    """``python -m doorstep ROLE --config CONFIG`` as a process (not started), with the
    environment its systemd unit gives it."""
    return Proc([sys.executable, "-m", "doorstep", role, "--config", str(config)],
                env={**os.environ, **unit_environment(role)})


@contextlib.contextmanager
def running(*procs: Proc) -> Iterator[None]:
    """Start processes and always stop them."""
    try:
        for proc in procs:
            proc.start()
        yield
    finally:
        for proc in reversed(procs):
            proc.stop()


def driven_agent(config: Path, mode: str, rate: float, count: int = 10**9) -> Proc:
    """The real Agent in its own process with its mock pins driven (see bench/driven_agent.py)."""
    args = [sys.executable, "-m", "bench.driven_agent", str(config), mode, str(rate)]
    return Proc(args + ([str(count)] if mode == "beams" else []))


def wait_port(port: int, proc: Proc, timeout: float = 60) -> None:
    """Wait until something listens on the port, or fail with the process's output."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise ProcessError(f"{proc.args[-3:]} exited: {proc.output()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise ProcessError(f"nothing listened on port {port} within {timeout} s: {proc.output()[-2000:]}")


def wait_for(predicate: object, timeout: float, what: str, proc: Proc | None = None) -> None:
    """Poll ``predicate()`` until true, or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise ProcessError(f"process exited while waiting for {what}: {proc.output()[-2000:]}")
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise ProcessError(f"timed out waiting for {what}" + (f": {proc.output()[-2000:]}" if proc else ""))


def _kib(path: str, key: str) -> int | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def descendants(pid: int) -> list[int]:
    """The process and every process below it (Node-RED may fork; our roles do not)."""
    found = [pid]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        ppid = _kib(f"/proc/{entry.name}/status", "PPid")
        if ppid == pid:
            found += descendants(int(entry.name))
    return found


def rss_kib(pid: int) -> int:
    """Resident set size (VmRSS) of a process and its children, in KiB."""
    return sum(_kib(f"/proc/{p}/status", "VmRSS") or 0 for p in descendants(pid))


def pss_kib(pid: int) -> int | None:
    """Proportional set size (shared pages split among sharers) from smaps_rollup, in KiB."""
    values = [_kib(f"/proc/{p}/smaps_rollup", "Pss") for p in descendants(pid)]
    return None if any(v is None for v in values) else sum(v or 0 for v in values)


def parse_rollup(text: str) -> dict[str, int]:
    """/proc/PID/smaps_rollup as {field: KiB} (Rss, Pss, Pss_Anon, Pss_File, ...)."""
    found: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].endswith(":") and parts[2] == "kB" and parts[1].isdigit():
            found[parts[0][:-1]] = int(parts[1])
    return found


def rollup_kib(pid: int) -> dict[str, int] | None:
    """smaps_rollup of a process and every process below it, field by field, in KiB (None when
    one of them could not be read, e.g. it exited meanwhile)."""
    total: dict[str, int] = {}
    for p in descendants(pid):
        try:
            fields = parse_rollup(Path(f"/proc/{p}/smaps_rollup").read_text())
        except OSError:
            return None
        for key, value in fields.items():
            total[key] = total.get(key, 0) + value
    return total


def write_bytes(pid: int) -> int:
    """Bytes this process caused to be written to storage so far (/proc/PID/io write_bytes)."""
    value = None
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/io").read_text().splitlines():
            if line.startswith("write_bytes:"):
                value = int(line.split()[1])
    if value is None:
        raise ProcessError(f"/proc/{pid}/io is not readable (needs the same user, or root)")
    return value


def env_float(name: str, default: float) -> float:
    """A benchmark parameter from the environment (e.g. BENCH_WEAR_SECONDS=60)."""
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default
