"""Idle memory of the two roles, as real processes, against Node-RED idling with one MQTT
node on the same broker: the tool a volunteer would otherwise wire a front door with.

Each role is started as the CLI starts it (``python -m doorstep agent|web --config``)
with mock pins, no simulation, HTTPS on as on a Pi (its certificate already made) and a
private Mosquitto; Node-RED is installed once from
the npm registry into bench/.cache (gitignored) and started with a flow holding one
``mqtt in`` node. Each process is left to settle, then its VmRSS (and Pss, shared pages
split among sharers) is read from /proc. When Node-RED cannot be installed the floor is
a bare Python interpreter, and the row says so.

With the browser in: the whole appliance at idle with the kiosk page open in Chromium as
the kiosk unit runs it (bench/kiosk_browser.py), agent + web + every Chromium process,
Pss from smaps_rollup; less Chromium alone showing a static page of the same size (the
floor a FullPageOS-style kiosk would cost anyway) is Doorstep's share, set against
Node-RED's Pss measured in the same run.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from appliance.storage.db import Database
from bench import bench_pi, kiosk_browser
from bench.harness import CACHE, Figure, concurrently
from bench.procs import (
    Proc,
    ProcessError,
    config_toml,
    doorstep,
    env_float,
    pss_kib,
    rollup_kib,
    rss_kib,
    running,
    wait_for,
    wait_port,
)
from doorstep.broker import Mosquitto, free_port
from doorstep.seed import seed_demo

NODE_RED_DIR = CACHE / "node-red"
NODE_RED_JS = NODE_RED_DIR / "node_modules" / "node-red" / "red.js"


def install_node_red() -> str | None:
    """Install Node-RED once into bench/.cache; return why not when it cannot be."""
    if NODE_RED_JS.exists():
        return None
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        return "node/npm are not installed (apt-get install nodejs npm)"
    NODE_RED_DIR.mkdir(parents=True, exist_ok=True)
    print("installing Node-RED from the npm registry (once) ...", flush=True)
    try:
        done = subprocess.run(
            [npm, "install", "--prefix", str(NODE_RED_DIR), "--no-audit", "--no-fund", "node-red"],
            capture_output=True, text=True, timeout=900,
        )
    except subprocess.TimeoutExpired:
        return "npm install node-red took longer than 15 minutes"
    if done.returncode != 0 or not NODE_RED_JS.exists():
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["?"]
        return f"npm install node-red failed: {last[0][:200]}"
    return None


def _settled(pid: int, seconds: float) -> tuple[int, int | None]:
    """Median RSS and Pss over the last part of an idle wait."""
    time.sleep(seconds)
    rss, pss = [], []
    for _ in range(5):
        rss.append(rss_kib(pid))
        pss.append(pss_kib(pid))
        time.sleep(0.5)
    known = [p for p in pss if p is not None]
    return int(statistics.median(rss)), (int(statistics.median(known)) if known else None)


def _node_red(directory: Path, broker: Mosquitto, idle: float) -> tuple[int, int | None]:
    user = directory / "node-red"
    user.mkdir()
    flows = [
        {"id": "tab1", "type": "tab", "label": "Front door"},
        {
            "id": "broker1", "type": "mqtt-broker", "name": "community broker", "broker": broker.host,
            "port": str(broker.port), "clientid": "node-red-bench", "autoConnect": True, "usetls": False,
            "protocolVersion": "4", "keepalive": "60", "cleansession": True,
        },
        {
            "id": "in1", "type": "mqtt in", "z": "tab1", "name": "", "topic": "doorstep/#", "qos": "1",
            "datatype": "auto-detect", "broker": "broker1", "nl": False, "rap": True, "rh": 0, "inputs": 0,
            "x": 120, "y": 80, "wires": [[]],
        },
    ]
    (user / "flows.json").write_text(json.dumps(flows), encoding="utf-8")
    port = free_port()
    proc = Proc(
        [shutil.which("node") or "node", str(NODE_RED_JS), "--userDir", str(user), "--port", str(port), "flows.json"]
    )
    with running(proc):
        wait_port(port, proc, timeout=120)
        wait_for(lambda: "Connected to broker" in proc.output(), 60, "Node-RED to connect to the broker", proc)
        return _settled(proc.pid, idle)


def _bare_python(idle: float) -> tuple[int, int | None]:
    proc = Proc([sys.executable, "-c", "import time; time.sleep(3600)"])
    with running(proc):
        return _settled(proc.pid, min(idle, 3))


def _broker_ok(db: Path) -> bool:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            row = conn.execute("SELECT status FROM health WHERE component = 'broker'").fetchone()
        return bool(row and row[0] == "ok")
    except sqlite3.Error:
        return False


def _as_on_a_pi(db: Path, port: int, broker: Mosquitto) -> str:
    """The roles' config as a Pi runs them: HTTPS on (the default), its certificate made on
    an earlier start (making it is first-boot work, not what the roles hold every day)."""
    from appliance.core.config import Config, DatabaseConfig
    from kiosk import tls

    text = config_toml(db, web_port=port, broker=(broker.host, broker.port), beams=(("entrance", 5, 6),),
                       https_port=free_port())
    tls.ensure_certificate(Config().with_changes(database=DatabaseConfig(path=str(db))), datetime.now(UTC))
    return text


def _ours(directory: Path, broker: Mosquitto, idle: float) -> dict[str, tuple[int, int | None]]:
    db = directory / "doorstep.db"
    port = free_port()
    config = directory / "config.toml"
    config.write_text(
        _as_on_a_pi(db, port, broker),
        encoding="utf-8",
    )
    agent, web = doorstep("agent", config), doorstep("web", config)
    with running(agent, web):
        wait_port(port, web)
        wait_for(lambda: _broker_ok(db), 60, "the agent to connect to the broker", agent)
        # both settle in the same wait: read the agent after it, the web right after
        agent_figures = _settled(agent.pid, idle)
        web_figures = _settled(web.pid, 0)
        if not (agent.alive() and web.alive()):
            raise ProcessError(f"a role died while idling: {agent.output()[-500:]} {web.output()[-500:]}")
        _a_mornings_use(port)
        used = _settled(web.pid, idle / 3)
        return {"agent": agent_figures, "web": web_figures, "web used": used}


USE_PAGES = ("kiosk/", "kiosk/signin", "kiosk/whatson", "kiosk/book", "healthz", "status.json")
USE_CLIENTS = 12  # more than the screen and a few phones at once: every waitress thread serves some


def _a_mornings_use(port: int, loads: int = 40) -> None:
    """Page loads from several clients at once, as the screen and phones make in a morning,
    so that every waitress thread has served pages (each keeps what it took)."""

    def client(n: int) -> list[float]:
        for i in range(loads):
            path = USE_PAGES[(n + i) % len(USE_PAGES)]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/{path}", timeout=30) as response:
                response.read()
        return []

    concurrently(client, USE_CLIENTS)


BOOKING_CLIENTS = 6
BOOKINGS_EACH = 10


def book_from_phones(port: int, clients: int = BOOKING_CLIENTS, each: int = BOOKINGS_EACH) -> None:
    """Room bookings through the API from several clients at once, as phones make them
    (bench_pi's booking client, one per phone, each on days of its own): each booking
    hashes its cancel code with scrypt, 16 MiB for a moment, on purpose."""
    days_each = 1 + each // 6  # bench_pi's client books six slots a day per room at least
    concurrently(lambda n: bench_pi.book_rooms(port, each, f"Côr {n}", days_ahead=3 + n * days_each), clients)


def web_after_bookings(directory: Path, clients: int = BOOKING_CLIENTS, each: int = BOOKINGS_EACH) -> tuple[int, int]:
    """RSS (KiB) of a web role on a seeded database, idle and then after bookings from
    several phones at once, started as its unit starts it."""
    db = directory / "bookings.db"
    database = Database(str(db))
    database.migrate()
    seed_demo(database)
    database.close()
    port = free_port()
    config = directory / "bookings.toml"
    config.write_text(config_toml(db, web_port=port), encoding="utf-8")
    web = doorstep("web", config)
    with running(web):
        wait_port(port, web)
        before = _settled(web.pid, 2)[0]
        book_from_phones(port, clients, each)
        return before, _settled(web.pid, 2)[0]


def _with_browser(directory: Path, broker: Mosquitto, idle: float) -> dict[str, dict[str, int]]:
    """smaps_rollup (summed over each tree) of agent, web and the kiosk's Chromium at idle, and
    of Chromium on the kiosk page's static twin (see bench/kiosk_browser.py), all read at the
    same moments: both browsers run at once, because the Chromium binary's pages are shared
    by every Chromium on the machine and Pss splits them among all of them."""
    db = directory / "browser.db"
    port = free_port()
    config = directory / "browser.toml"
    config.write_text(
        _as_on_a_pi(db, port, broker),
        encoding="utf-8",
    )
    agent, web = doorstep("agent", config), doorstep("web", config)
    url = f"http://127.0.0.1:{port}/kiosk/"
    with running(agent, web):
        wait_port(port, web)
        wait_for(lambda: _broker_ok(db), 60, "the agent to connect to the broker", agent)
        with urllib.request.urlopen(url, timeout=30) as response:
            html = response.read().decode("utf-8")
        site = directory / "static-site"
        shutil.copytree(Path(kiosk_browser.ROOT, "kiosk", "static"), site / "static")
        (site / "index.html").write_text(kiosk_browser.static_twin(html), encoding="utf-8")
        static_port = free_port()
        server = Proc([sys.executable, "-m", "http.server", str(static_port), "--bind", "127.0.0.1",
                       "--directory", str(site)])
        with running(server):
            wait_port(static_port, server)
            kiosk = kiosk_browser.kiosk_chromium(url, directory / "profile-kiosk")
            floor = kiosk_browser.kiosk_chromium(f"http://127.0.0.1:{static_port}/", directory / "profile-static")
            with running(kiosk, floor):
                time.sleep(max(idle, 20))  # Chromium's first seconds are far above its idle
                procs = {"agent": agent, "web": web, "chromium": kiosk, "floor": floor}
                samples: dict[str, list[dict[str, int]]] = {name: [] for name in procs}
                for _ in range(7):
                    for name, proc in procs.items():
                        if not proc.alive():
                            raise ProcessError(f"{name} exited while idling: {proc.output()[-500:]}")
                        found = rollup_kib(proc.pid)
                        if found is not None:
                            samples[name].append(found)
                    time.sleep(1)
    result: dict[str, dict[str, int]] = {}
    for name, taken in samples.items():
        if not taken:
            raise ProcessError(f"no smaps_rollup of {name} could be read")
        result[name] = {key: int(statistics.median(s.get(key, 0) for s in taken)) for key in ("Pss", "Pss_Anon")}
    return result


def _browser_figures(directory: Path, broker: Mosquitto, idle: float, node_red_pss: int | None,
                     floor_name: str, goal: str) -> list[Figure]:
    name = "idle memory with the kiosk in Chromium: Doorstep's share (Pss)"
    if kiosk_browser.chromium() is None:
        return [Figure.unavailable(name, "chromium is not installed")]
    try:
        got = _with_browser(directory, broker, idle)
    except (ProcessError, OSError) as exc:
        return [Figure.unavailable(name, f"Chromium did not run: {str(exc)[:200]}")]
    if node_red_pss is None:
        return [Figure.unavailable(name, "the floor's Pss could not be read")]
    pss = {k: v["Pss"] for k, v in got.items()}
    total = pss["agent"] + pss["web"] + pss["chromium"]
    share = total - pss["floor"]
    anon = got["agent"]["Pss_Anon"] + got["web"]["Pss_Anon"] + got["chromium"]["Pss_Anon"] - got["floor"]["Pss_Anon"]
    mib = 1024.0
    note = (f"Pss MiB: agent {_mib(pss['agent'])}, web {_mib(pss['web'])}, Chromium with the kiosk "
            f"{_mib(pss['chromium'])}; Chromium alone on the page's static twin {_mib(pss['floor'])} (both at "
            f"once); the share in anonymous memory only {_mib(anon)}; Chromium headless at 800x480 with the "
            "kiosk unit's flags (no cage here)")
    return [
        Figure(name, share / mib, node_red_pss / mib, "MiB", "<= 0.6" if goal != "-" else "-",
               floor_name=floor_name.replace("idling", "idling (Pss)"), note=note),
        Figure("idle memory, whole appliance with the kiosk in Chromium (Pss)", total / mib,
               pss["floor"] / mib, "MiB", "-", floor_name="Chromium alone, static page of the same size"),
    ]


def _mib(kib: int | None) -> str:
    return "?" if kib is None else f"{kib / 1024:.0f}"


def run() -> list[Figure]:
    """Idle RSS of agent, web and both, each against the floor measured in the same run."""
    idle = env_float("BENCH_IDLE_SECONDS", 15)
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        directory = Path(tmp)
        broker = Mosquitto(directory / "broker")
        broker.start()
        try:
            ours = _ours(directory, broker, idle)
            problem = install_node_red()
            if problem is None:
                try:
                    floor_rss, floor_pss = _node_red(directory, broker, idle)
                    floor_name = "Node-RED idling, one MQTT node"
                    goal = "<= 1"
                except ProcessError as exc:
                    problem = f"Node-RED did not start: {str(exc)[:200]}"
            if problem is not None:
                floor_rss, floor_pss = _bare_python(idle)
                floor_name = "bare Python interpreter, NOT Node-RED"
                goal = "-"
            browser = _browser_figures(directory, broker, idle, floor_pss, floor_name, goal)
            booked = web_after_bookings(directory)
        finally:
            broker.stop()
    agent_rss, agent_pss = ours["agent"]
    web_rss, web_pss = ours["web"]
    used_pss = ours["web used"][1]
    both_pss = None if agent_pss is None or web_pss is None else agent_pss + web_pss
    note = (
        f"Pss MiB: agent {_mib(agent_pss)}, web {_mib(web_pss)}, floor {_mib(floor_pss)}"
        + (f"; Node-RED not measured: {problem}" if problem else "")
    )
    mib = 1024.0
    return [
        Figure("idle memory, agent + web together (RSS)", (agent_rss + web_rss) / mib, floor_rss / mib, "MiB", goal,
               floor_name=floor_name, note=note),
        Figure("idle memory, agent role (RSS)", agent_rss / mib, floor_rss / mib, "MiB", "-", floor_name=floor_name),
        Figure("idle memory, web role (RSS)", web_rss / mib, floor_rss / mib, "MiB", "-", floor_name=floor_name),
        Figure(
            "idle memory, agent + web together (Pss)",
            float("nan") if both_pss is None else both_pss / mib,
            float("nan") if floor_pss is None else floor_pss / mib,
            "MiB", "-", floor_name=floor_name,
        ),
        Figure(
            f"web role after {USE_CLIENTS * 40} page loads from {USE_CLIENTS} clients at once (Pss)",
            float("nan") if used_pss is None else used_pss / mib,
            float("nan") if web_pss is None else web_pss / mib,
            "MiB", "<= 1.25", floor_name="the same web role idle, before them",
            note="what each waitress thread keeps (its SQLite connection, its malloc arena) shows here",
        ),
        Figure(
            f"web role after {BOOKING_CLIENTS * BOOKINGS_EACH} bookings from {BOOKING_CLIENTS} phones at once (RSS)",
            booked[1] / mib, booked[0] / mib, "MiB", "<= 1.25", floor_name="the same web role idle, before them",
            note="each booking hashes its cancel code with scrypt, 16 MiB for a moment; the unit's "
                 "MALLOC_MMAP_THRESHOLD_ gives those blocks back",
        ),
        *browser,
    ]
