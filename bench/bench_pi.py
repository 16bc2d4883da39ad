"""A Pi-sized CPU budget: both roles inside a cgroup limited to one eighth of a core, against
the same run at full speed.

Each run starts the agent and the web role as ``doorstep agent|web --config`` starts them
(run.py: READY through ``$NOTIFY_SOCKET`` once each really serves), on a seeded database,
with the simulator driving the pins at a busy Saturday's rate (its lunchtime peak), and a
private Mosquitto outside the budget. Then, with ten live pages open (SSE streams on
/live/status, /display/live, /kiosk/live), this process, outside the budget too:

- signs visitors in through the kiosk's form, one at a time as a touchscreen does (POST
  with the form's CSRF token, then the page the 303 leads to): the round trip;
- books rooms through ``POST /api/v1/bookings``: the round trip;
- replaces the simulated agent by the same agent with its beam pins driven at 20 passes a
  second for 60 s (bench.driven_agent) and counts the passes in the database and on the
  broker: none may be lost.

"Full speed" is one whole core of this machine (the same cgroup, quota 1.0): the budget is
a fraction of one core, so the ratio then says what taking 7/8 of that core away costs,
not also what losing the machine's second core costs (both roles start in parallel on
two cores, but share the one budget). Before the runs the project's modules are compiled
to bytecode, as pip does when install.sh installs the wheel on a Pi (here
PYTHONDONTWRITEBYTECODE may be set, and every start would compile 120-odd modules).

Start-up is from spawning both roles to the later of the agent's READY and the first 200
from /healthz. The budget's fraction comes from bench.nbody against published Pi timings
(:func:`pi_core_fraction`), an estimate that bench/RESULTS.md explains.

Parameters: BENCH_PI_FRACTION (default 0.125), BENCH_PI_SIGNINS (default 100),
BENCH_PI_BOOKINGS (default 60), BENCH_PI_PASS_RATE (20), BENCH_PI_PASS_SECONDS (60).
"""

from __future__ import annotations

import compileall
import contextlib
import http.client
import json
import math
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from appliance.storage.db import Database
from bench.bench_burst import EventCounter
from bench.bench_wear import LiveClient
from bench.cpubudget import BudgetError, CpuBudget
from bench.harness import CACHE, Figure
from bench.procs import (
    ROOT,
    Proc,
    ProcessError,
    config_toml,
    doorstep,
    driven_agent,
    env_float,
    unit_environment,
    wait_for,
)
from doorstep.broker import Mosquitto, free_port
from doorstep.seed import seed_demo

# Published single-core figures the budget is estimated from (cited in bench/RESULTS.md):
# n-body (5,000,000 steps, Python) on a Raspberry Pi 4 B at 1.5 GHz, performance governor:
# 158.26 s (chaitanyamehta.github.io, "Performance Analysis of Languages on Raspberry Pi").
PI4_NBODY_5M_SECONDS = 158.26
# sysbench cpu, one thread, events/s (leoncode.co.uk, "Raspberry Pi CPU Benchmarks"):
# Pi 4 1477.83, Pi 3+ 687.45. A Pi 3 B (1.2 GHz) and a Zero 2 W (1.0 GHz) have the Pi 3+'s
# Cortex-A53 cores at a lower clock (1.4 GHz on the 3+), so they are scaled by clock.
SYSBENCH_PI4 = 1477.83
SYSBENCH_PI3PLUS = 687.45
PI3PLUS_GHZ, PI3_GHZ, ZERO2W_GHZ = 1.4, 1.2, 1.0
NBODY_STEPS = 300_000

LIVE_PAGES = ("/live/status",) * 6 + ("/display/live",) * 2 + ("/kiosk/live",) * 2
FULL_SPEED = 1.0  # one whole core (see the module docstring)
PACKAGES = ("appliance", "sensors", "kiosk", "doorstep", "bench")
PACE = 0.25  # seconds between a visitor's sign-in and the next (a queue at the door)


def pi_core_fraction(here_5m_seconds: float) -> dict[str, float]:
    """Estimated n-body seconds (5M steps) on a Pi 3 B and a Zero 2 W, and the fraction of this
    machine's core each is worth (this machine's seconds / the Pi's)."""
    pi3plus = PI4_NBODY_5M_SECONDS * SYSBENCH_PI4 / SYSBENCH_PI3PLUS
    pi3 = pi3plus * PI3PLUS_GHZ / PI3_GHZ
    zero2w = pi3plus * PI3PLUS_GHZ / ZERO2W_GHZ
    return {
        "pi3_seconds": pi3, "zero2w_seconds": zero2w,
        "pi3_fraction": here_5m_seconds / pi3, "zero2w_fraction": here_5m_seconds / zero2w,
    }


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank: a value that was measured, never interpolated."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def compile_bytecode() -> None:
    """Compile the project's modules to __pycache__, as pip does for an installed wheel."""
    for package in PACKAGES:
        compileall.compile_dir(str(ROOT / package), quiet=1)


def nbody_here(repeat: int = 3) -> float:
    """Median seconds 5M n-body steps take on one core here (timed on fewer steps, scaled)."""
    times = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-m", "bench.nbody", str(NBODY_STEPS)], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
        times.append(float(out.strip()))
    return statistics.median(times) * 5_000_000 / NBODY_STEPS


class Browser:
    """A keep-alive HTTP client that keeps its cookies, as the kiosk's Chromium does."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, str, str]:
        """(status, Location, body text) of one request."""
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.conn.request(method, path, body=body, headers=sent)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", errors="replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        return response.status, response.getheader("Location") or "", text

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def _sign_ins(port: int, count: int, label: str) -> list[float]:
    """Round trips (s) of ``count`` kiosk sign-ins: the form's POST and the page it leads to."""
    browser = Browser(port)
    try:
        status, _, page = browser.request("GET", "/kiosk/signin/visitor")
        match = TOKEN.search(page)
        if status != 200 or not match:
            raise ProcessError(f"the sign-in form answered {status} without a CSRF token")
        token = match[1] or match[2]
        timings = []
        for i in range(count):
            form = urllib.parse.urlencode({"csrf_token": token, "name": f"Pi Visitor {label} {i}", "visiting": ""})
            start = time.perf_counter()
            status, location, _ = browser.request(
                "POST", "/kiosk/signin/visitor", form.encode(),
                {"Content-Type": "application/x-www-form-urlencoded"},
            )
            if status != 303:
                raise ProcessError(f"sign-in {i} answered {status}, not 303")
            status, _, _ = browser.request("GET", urllib.parse.urlsplit(location).path)
            timings.append(time.perf_counter() - start)
            if status != 200:
                raise ProcessError(f"the page after sign-in {i} answered {status}")
            time.sleep(PACE)
        return timings
    finally:
        browser.close()


def book_rooms(port: int, count: int, label: str, days_ahead: int = 2) -> list[float]:
    """Round trips (s) of ``count`` room bookings through the JSON API, each in a free slot."""
    browser = Browser(port)
    try:
        _, _, body = browser.request("GET", "/api/v1/rooms")
        rooms = [room["id"] for room in json.loads(body)]
        timings = []
        first = date.today() + timedelta(days=days_ahead)
        for i in range(count):
            # every room is open 10:00-18:00 every day: half an hour at each hour from 11:00
            # (an hour apart, so no room's setup and clean-up buffers clash)
            slot, room = divmod(i, len(rooms))
            day, hour = divmod(slot, 6)
            start_minute = (11 + hour) * 60
            when = first + timedelta(days=day)
            data = {
                "room": rooms[room], "title": f"Pi bench {label} {i}", "organiser": "Bench",
                "start": f"{when}T{start_minute // 60:02d}:{start_minute % 60:02d}:00",
                "end": f"{when}T{(start_minute + 30) // 60:02d}:{(start_minute + 30) % 60:02d}:00",
            }
            start = time.perf_counter()
            status, _, text = browser.request("POST", "/api/v1/bookings", json.dumps(data).encode(),
                                              {"Content-Type": "application/json"})
            timings.append(time.perf_counter() - start)
            if status != 201:
                raise ProcessError(f"booking {i} answered {status}: {text[:200]}")
            time.sleep(PACE)
        return timings
    finally:
        browser.close()


class ReadyListener:
    """A datagram socket standing in for systemd's: when READY=1 first arrived."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.5)
        self.ready_at: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                message = self.sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            if self.ready_at is None and b"READY=1" in message.split(b"\n"):
                self.ready_at = time.monotonic()

    def close(self) -> None:
        """Stop listening."""
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


def _healthz(port: int) -> bool:
    with contextlib.suppress(OSError, http.client.HTTPException):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            return conn.getresponse().status == 200
        finally:
            conn.close()
    return False


def _query(db: Path, sql: str) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)) as conn:
        return conn.execute(sql).fetchall()


def _broker_ok(db: Path) -> bool:
    with contextlib.suppress(sqlite3.Error):
        return bool(_query(db, "SELECT 1 FROM health WHERE component = 'broker' AND status = 'ok'"))
    return False


@dataclass
class Session:
    """What one run measured."""

    startup: float = math.nan
    agent_ready: float = math.nan
    web_healthz: float = math.nan
    signins: list[float] = field(default_factory=list)
    bookings: list[float] = field(default_factory=list)
    driven: int = 0
    lost_db: int = 0
    lost_broker: int = 0
    throttled: str = ""
    how: str = ""


def role_proc(budget: CpuBudget, role: str, config: Path, notify_socket: Path) -> Proc:
    """``doorstep ROLE --config CONFIG`` inside the budget, as its systemd unit starts it (the
    unit's Environment=, and a notify socket for READY); not started."""
    proc = doorstep(role, config)
    proc.args = budget.wrap(proc.args)
    proc.env = {**(proc.env or os.environ), "NOTIFY_SOCKET": str(notify_socket)}
    return proc


def _measure(label: str, fraction: float | None, directory: Path, broker: Mosquitto) -> Session:
    out = Session()
    db = directory / f"{label}.db"
    database = Database(str(db))
    database.migrate()
    seed_demo(database)
    database.close()
    port = free_port()
    simulated, driven = directory / f"{label}-simulated.toml", directory / f"{label}-driven.toml"
    for path, simulate in ((simulated, True), (driven, False)):
        path.write_text(config_toml(db, web_port=port, broker=(broker.host, broker.port), simulate=simulate,
                                    doors=(("front", 17),), beams=(("entrance", 5, 6),)), encoding="utf-8")
    signins = int(env_float("BENCH_PI_SIGNINS", 100))
    bookings = int(env_float("BENCH_PI_BOOKINGS", 60))
    rate = env_float("BENCH_PI_PASS_RATE", 20)
    seconds = env_float("BENCH_PI_PASS_SECONDS", 60)
    with CpuBudget(f"doorstep-bench-{label}-{os.getpid()}", fraction) as budget:
        out.how = budget.describe()
        listeners = {role: ReadyListener(directory / f"{label}-{role}.sock") for role in ("agent", "web")}
        procs: dict[str, Proc] = {}
        lives: list[LiveClient] = []
        try:
            start = time.monotonic()
            for role in ("agent", "web"):
                procs[role] = role_proc(budget, role, simulated, listeners[role].path)
                procs[role].start()
                budget.track(procs[role].pid)
            wait_for(lambda: _healthz(port), 300, "the web role's /healthz", procs["web"])
            out.web_healthz = time.monotonic() - start
            wait_for(lambda: listeners["agent"].ready_at is not None, 300, "the agent's READY", procs["agent"])
            out.agent_ready = (listeners["agent"].ready_at or math.nan) - start
            out.startup = max(out.web_healthz, out.agent_ready)
            wait_for(lambda: _broker_ok(db), 120, "the agent's broker link", procs["agent"])
            for page in LIVE_PAGES:
                lives.append(LiveClient(port, page))
                lives[-1].start()
            time.sleep(2)
            out.signins = _sign_ins(port, signins, label)
            out.bookings = book_rooms(port, bookings, label)
            # footfall: the same agent with its beams driven instead of simulated
            procs.pop("agent").stop()
            before = {row[0] for row in _query(db, "SELECT id FROM sensor_events WHERE kind = 'passed'")}
            counter = EventCounter(broker.host, broker.port, "doorstep/bench/events")
            try:
                count = int(rate * seconds)
                agent = driven_agent(driven, "beams", rate, count)
                agent.args = budget.wrap(agent.args)
                agent.env = {**os.environ, **unit_environment("agent")}
                procs["agent"] = agent.start()
                budget.track(agent.pid)
                wait_for(lambda: "driven " in agent.output(), seconds * 10 + 120, "the driver to finish", agent)
                found = re.search(r"driven (\d+)", agent.output())
                out.driven = int(found[1]) if found else count

                def passes() -> tuple[int, int]:
                    in_db = {row[0] for row in _query(db, "SELECT id FROM sensor_events WHERE kind = 'passed'")}
                    with counter.lock:
                        on_broker = set(counter.ids)
                    return len(in_db - before), len(on_broker - before)

                deadline = time.monotonic() + 180
                while time.monotonic() < deadline and min(passes()) < out.driven:
                    time.sleep(0.5)
                in_db, on_broker = passes()
                out.lost_db, out.lost_broker = out.driven - in_db, out.driven - on_broker
            finally:
                counter.close()
            stats = budget.stats()
            if stats.get("nr_periods"):
                out.throttled = f"throttled in {stats.get('nr_throttled', 0)} of {stats['nr_periods']} periods"
        finally:
            for live in lives:
                live.stop()
            for proc in procs.values():
                proc.stop()
            for listener in listeners.values():
                listener.close()
    return out


def _ms(seconds: float) -> float:
    return seconds * 1000


def run() -> list[Figure]:
    """Both runs (full speed, then the budget), the calibration, and one row per goal."""
    fraction = env_float("BENCH_PI_FRACTION", 0.125)
    CACHE.mkdir(parents=True, exist_ok=True)
    compile_bytecode()
    here = nbody_here()
    pi = pi_core_fraction(here)
    figures = [Figure(
        "Pi budget: n-body (5M steps, one core) here vs an estimated Pi 3 B", here, pi["pi3_seconds"], "s", "-",
        floor_name="Pi 3 B, estimated from published Pi 4 and sysbench figures",
        note=(f"a Pi 3 B core is about {pi['pi3_fraction']:.3g} of this core, a Zero 2 W about "
              f"{pi['zero2w_fraction']:.3g} (estimates; the runs below use {fraction:.3g})"),
    )]
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        directory = Path(tmp)
        broker = Mosquitto(directory / "broker")
        broker.start()
        try:
            full = _measure("full", FULL_SPEED, directory, broker)
            try:
                slow = _measure("quota", fraction, directory, broker)
            except BudgetError as exc:
                return [*figures, Figure.unavailable("Pi budget", str(exc))]
        finally:
            broker.stop()
    floor_name = "the same run on one whole core"
    sp = (percentile(slow.signins, 99), percentile(full.signins, 99))
    bp = (percentile(slow.bookings, 99), percentile(full.bookings, 99))
    figures += [
        Figure("Pi budget: kiosk sign-in round trip, p99", _ms(sp[0]), _ms(sp[1]), "ms", "<= 8", floor_name=floor_name,
               note=f"{len(slow.signins)} sign-ins each, one at a time, 10 live pages open; {slow.how}"),
        Figure("Pi budget: kiosk sign-in round trip, median", _ms(statistics.median(slow.signins)),
               _ms(statistics.median(full.signins)), "ms", "-", floor_name=floor_name),
        Figure("Pi budget: booking round trip (API), p99", _ms(bp[0]), _ms(bp[1]), "ms", "<= 8", floor_name=floor_name,
               note=f"{len(slow.bookings)} bookings each"),
        Figure("Pi budget: booking round trip (API), median", _ms(statistics.median(slow.bookings)),
               _ms(statistics.median(full.bookings)), "ms", "-", floor_name=floor_name),
        Figure("Pi budget: start-up, both roles (agent READY and first /healthz)", slow.startup, full.startup, "s",
               "<= 8", floor_name=floor_name,
               note=(f"agent READY {slow.agent_ready:.2f} s (one core {full.agent_ready:.2f} s), web /healthz "
                     f"{slow.web_healthz:.2f} s (one core {full.web_healthz:.2f} s)")),
        Figure("Pi budget: footfall 20 passes/s for 60 s, passes lost (database + broker)",
               slow.lost_db + slow.lost_broker, slow.driven, "passes", "<= 0", floor_name="passes driven",
               note=(f"under the budget: {slow.lost_db} missing in the database, {slow.lost_broker} on the broker"
                     f"; on one core: {full.lost_db + full.lost_broker} of {full.driven}"
                     + (f"; {slow.throttled}" if slow.throttled else ""))),
    ]
    return figures
