"""Idle memory of the two roles, as real processes, against Node-RED idling with one MQTT
node on the same broker: the tool a volunteer would otherwise wire a front door with.

Each role is started as the CLI starts it (``python -m appliance agent|web --config``)
with mock pins, no simulation and a private Mosquitto; Node-RED is installed once from
the npm registry into bench/.cache (gitignored) and started with a flow holding one
``mqtt in`` node. Each process is left to settle, then its VmRSS (and Pss, shared pages
split among sharers) is read from /proc. When Node-RED cannot be installed the floor is
a bare Python interpreter, and the row says so.
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
from pathlib import Path

from appliance.broker import Mosquitto, free_port
from bench.harness import CACHE, Figure
from bench.procs import (
    Proc,
    ProcessError,
    config_toml,
    doorstep,
    env_float,
    pss_kib,
    rss_kib,
    running,
    wait_for,
    wait_port,
)

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


def _ours(directory: Path, broker: Mosquitto, idle: float) -> dict[str, tuple[int, int | None]]:
    db = directory / "doorstep.db"
    port = free_port()
    config = directory / "config.toml"
    config.write_text(
        config_toml(db, web_port=port, broker=(broker.host, broker.port), beams=(("entrance", 5, 6),)),
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
        return {"agent": agent_figures, "web": web_figures}


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
        finally:
            broker.stop()
    agent_rss, agent_pss = ours["agent"]
    web_rss, web_pss = ours["web"]
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
    ]
