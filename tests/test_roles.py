"""The two roles as real processes: killing the web role leaves the agent counting and
publishing; starting it again shows the current state."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from doorstep.broker import Mosquitto, free_port


def _write_config(path: Path, db: Path, broker: Mosquitto, web_port: int) -> None:
    path.write_text(
        f"""
[site]
id = "roles-test"
[database]
path = "{db}"
[web]
host = "127.0.0.1"
port = {web_port}
[mqtt]
host = "{broker.host}"
port = {broker.port}
client_id = "roles-test-agent"
[hardware]
pin_factory = "mock"
simulate = false
[[doors]]
id = "front"
pin = 17
""",
        encoding="utf-8",
    )


def _get_json(url: str) -> dict:  # type: ignore[type-arg]
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def _start(args: list[str], log: Path) -> subprocess.Popen:  # type: ignore[type-arg]
    with log.open("ab") as out:  # from the repository, so `python -m bench...` resolves
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parent.parent)


def _wait_http(url: str, proc: subprocess.Popen, log: Path) -> dict:  # type: ignore[type-arg]
    for _ in range(200):
        assert proc.poll() is None, log.read_text()
        try:
            return _get_json(url)
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"{url} never answered")


def test_web_killed_agent_keeps_publishing(tmp_path: Path, broker: Mosquitto, mqtt_listener) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "config.toml"
    web_port = free_port()
    _write_config(config, tmp_path / "doorstep.db", broker, web_port)
    doorstep = [sys.executable, "-m", "doorstep"]
    log = tmp_path / "roles.log"
    # The real agent with its door contact flipped 5 times a second (bench/driven_agent.py):
    # the simulator's traffic follows the opening hours and is quiet at night.
    agent = _start([sys.executable, "-m", "bench.driven_agent", str(config), "door", "5"], log)
    web = _start([*doorstep, "web", "--config", str(config)], log)
    try:
        status = _wait_http(f"http://127.0.0.1:{web_port}/status.json", web, log)
        assert status["site"] == "roles-test"
        web.send_signal(signal.SIGKILL)
        web.wait()
        mqtt_listener.clear()
        # the door keeps moving: the agent goes on publishing without the web role
        events = "doorstep/roles-test/events"
        mqtt_listener.wait_for(lambda ms: sum(m.topic == events for m in ms) >= 2, timeout=30)
        assert agent.poll() is None, log.read_text()
        web = _start([*doorstep, "web", "--config", str(config)], log)
        status = _wait_http(f"http://127.0.0.1:{web_port}/status.json", web, log)
        assert status["doors"]["front"]["state"] in ("open", "closed")
        assert status["health"]["broker"]["status"] == "ok"
    finally:
        for proc in (web, agent):
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=15)
