"""The web role killed with SIGKILL during a burst of sign-ins through POST /api/v1/visits:
every sign-in that got its 201 (the screen said "welcome") is in the database after the
restart, and the file is sound."""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from faultkit import config_toml, integrity, query, wait_until

from bench.procs import doorstep, running
from doorstep.broker import free_port

pytestmark = pytest.mark.faults

ROUNDS = 3
CLIENTS = 6


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # it answers, even if unhealthy
    except OSError:
        return False


def _sign_in(port: int, name: str) -> tuple[int, dict]:
    body = json.dumps({"name": name, "kind": "visitor"}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/visits", data=body,
                                     headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, {}


def test_web_role_killed_during_sign_ins_keeps_every_acknowledged_one(tmp_path: Path) -> None:
    db = tmp_path / "doorstep.db"
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(config_toml(db, web_port=port), encoding="utf-8")
    rng = random.Random(11)
    acknowledged: dict[int, str] = {}
    lock = threading.Lock()

    # The contract first, so a missing endpoint fails with a clear message, not a count.
    web = doorstep("web", config)
    with running(web):
        wait_until(lambda: _answers(port), 60, "the web role to answer", web)
        status, body = _sign_in(port, "Contract Check")
        assert status == 201 and "id" in body, (
            f"POST /api/v1/visits answered {status} {body}: the sign-in API (name, kind -> 201 with id) is missing"
        )
        acknowledged[int(body["id"])] = "Contract Check"

    for round_number in range(ROUNDS):
        web = doorstep("web", config)
        web.start()
        wait_until(lambda: _answers(port), 60, "the web role to answer", web)
        stop = threading.Event()

        def burst(client: int, round_number: int = round_number, stop: threading.Event = stop) -> None:
            n = 0
            while not stop.is_set():
                n += 1
                name = f"Visitor {round_number}-{client}-{n}"
                try:
                    status, body = _sign_in(port, name)
                except (OSError, http.client.HTTPException):
                    continue  # the process died under this request: the screen never said welcome
                if status == 201:
                    with lock:
                        acknowledged[int(body["id"])] = name

        threads = [threading.Thread(target=burst, args=(c,), daemon=True) for c in range(CLIENTS)]
        for thread in threads:
            thread.start()
        time.sleep(rng.uniform(1.0, 3.0))
        web.kill()
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
        assert integrity(db) == "ok", f"round {round_number}: the database is damaged after SIGKILL"

    assert len(acknowledged) > ROUNDS * 10, f"only {len(acknowledged)} sign-ins were acknowledged: too few to test"
    web = doorstep("web", config)
    with running(web):
        wait_until(lambda: _answers(port), 60, "the web role to come back", web)
        stored = dict(query(db, "SELECT id, name FROM visits"))
    missing = {i: n for i, n in acknowledged.items() if stored.get(i) != n}
    assert not missing, f"{len(missing)} acknowledged sign-ins are gone after SIGKILL: {list(missing.items())[:5]}"
