"""The JSON API under fire, against the live web role: schemathesis from the OpenAPI document
it serves, and every operation again with the inputs that once made it fail (dates at the
ends of their type, lone surrogates, NUL and control characters, JSON nested thousands
deep). Every request carries an admin's API token (the role does not count loopback as a
kiosk network here, so writes pass by the token alone). No 5xx, no traceback, and nothing
stored by a request the API refused."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from faultkit import changed, config_toml, fingerprint, wait_until
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from bench.procs import doorstep
from doorstep.broker import free_port

pytestmark = pytest.mark.faults

EXAMPLES = 30  # per operation and mode: enough to find shape bugs, quick enough for CI
TRACEBACK = "Traceback (most recent call last)"

# What broke the API once (issue 14.11), for every string a request carries.
HOSTILE_TEXT = [
    "\ud800", "tail \udfff", "\ud83d", "Ada\x00Lovelace", "\x00", "\x1b[2J\x1b[31mred", "\x07\x08\x7f",
    "\u202eevil", "line\r\nbreak", "x" * 100_000, "0001-01-01", "9999-12-31", "0001-01-01T00:00",
    "9999-12-31T23:59:59", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "1999-12-31T23:30",
    "2101-01-01T10:00", "-1", "NaN", "",
]
HOSTILE_NUMBERS: list[Any] = [2**64, -(2**63) - 1, 1e308, -1, 0, True, None, "1"]
SEED = """
import sys
from appliance.core.clock import SystemClock
from appliance.people import admins
from appliance.storage.db import Database
from doorstep.seed import seed_demo
d = Database(sys.argv[1]); d.migrate(); seed_demo(d)
admins.create(d.conn(), "fuzz", "correct horse battery staple", SystemClock().now())
print(admins.issue_token(d.conn(), "fuzz", SystemClock().now()))
d.close()
"""


class LiveWeb:
    """The web role as a real process on a seeded database, and an admin's API token."""

    def __init__(self, directory: Path) -> None:
        self.db = directory / "doorstep.db"
        self.port = free_port()
        config = directory / "config.toml"
        # Loopback is not a kiosk network here: a write gets in by the token or not at all.
        text = config_toml(self.db, web_port=self.port).replace(
            'host = "127.0.0.1"\n', 'host = "127.0.0.1"\nkiosk_networks = ["192.0.2.0/24"]\n', 1)
        config.write_text(text, encoding="utf-8")
        made = subprocess.run([sys.executable, "-c", SEED, str(self.db)], check=True, capture_output=True, text=True)
        self.token = made.stdout.strip().splitlines()[-1]
        self.headers = {"Authorization": f"Bearer {self.token}"}
        self.proc = doorstep("web", config)
        self.url = f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def live_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveWeb]:
    """One web role for the whole module (schemathesis calls it many times)."""
    web = LiveWeb(tmp_path_factory.mktemp("fuzz-api"))
    web.proc.start()
    try:
        import socket

        def listening() -> bool:
            try:
                socket.create_connection(("127.0.0.1", web.port), 0.5).close()
                return True
            except OSError:
                return False

        wait_until(listening, 60, "the web role to listen", web.proc)
        yield web
    finally:
        web.proc.stop()


def _verdict(live_web: LiveWeb, before: dict[str, str], where: str, status: int, text: str) -> None:
    assert status < 500, f"{where} -> {status}: {text[:500]}"
    assert TRACEBACK not in text, f"a traceback leaked from {where}"
    if status >= 400:
        stored = changed(before, fingerprint(live_web.db))
        assert not stored, f"{where} was refused ({status}) but changed {stored}: {text[:300]}"
    assert live_web.proc.alive(), f"the web role died:\n{live_web.proc.output()[-3000:]}"


def _check(case, live_web: LiveWeb) -> None:  # type: ignore[no-untyped-def]
    before = fingerprint(live_web.db)
    response = case.call(base_url=f"{live_web.url}/api/v1", headers=live_web.headers, timeout=30)
    where = f"{case.method} {case.formatted_path} query={case.query} body={str(case.body)[:200]}"
    _verdict(live_web, before, where, response.status_code, response.text)


def test_the_token_opens_writes_and_nothing_else_does(live_web: LiveWeb) -> None:
    body = {"name": "Fuzz Visitor", "kind": "visitor"}
    assert requests.post(f"{live_web.url}/api/v1/visits", json=body, timeout=10).status_code == 403
    assert requests.post(f"{live_web.url}/api/v1/visits", json=body, headers=live_web.headers,
                         timeout=10).status_code == 201


def test_api_never_fails_and_refused_requests_store_nothing(live_web: LiveWeb) -> None:
    schema = schemathesis.openapi.from_url(f"{live_web.url}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = [op.label for op in operations]
    assert any(op.method.upper() == "POST" for op in operations), f"no write operation is documented: {labels}"
    failures = []
    for operation in operations:
        # valid requests (the happy paths, which store) and invalid ones (which must be refused cleanly)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            def fuzz(case) -> None:  # type: ignore[no-untyped-def]
                _check(case, live_web)

            try:
                fuzz()
            except Unsatisfiable:
                # no invalid request exists for this operation (nothing in it to get wrong)
                assert mode is GenerationMode.NEGATIVE, f"no valid request could be made for {operation.label}"
            except AssertionError as exc:
                failures.append(f"{operation.label} ({mode.value}): {str(exc).splitlines()[0][:600]}")
    assert not failures, "\n".join(failures)


def _operations(live_web: LiveWeb) -> list[tuple[str, str, dict[str, Any]]]:
    document = requests.get(f"{live_web.url}/api/v1/openapi.json", timeout=10).json()
    return [(path, method, spec) for path, methods in document["paths"].items() for method, spec in methods.items()]


def _example_body(spec: dict[str, Any]) -> dict[str, Any]:
    """A body an integrator would send (so each hostile value is the only thing wrong)."""
    schema = spec.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    plausible = {"room": "main-hall", "start": "2026-09-01T10:00", "end": "2026-09-01T11:00", "title": "Choir",
                 "organiser": "Sam", "contact": "sam@example.org", "group": "Choir", "name": "Fuzz Visitor",
                 "kind": "visitor", "visiting": "the cafe", "activity": "Cafe", "code": "ACDEFG", "public": True,
                 "headcount": 10}
    return {name: plausible.get(name, "x") for name in schema.get("properties", {})}


def _url(live_web: LiveWeb, path: str, spec: dict[str, Any], swap: tuple[str, Any] | None) -> str:
    values = {"id": "main-hall", "reference": "ACDEFG"}
    query: dict[str, Any] = {}
    for parameter in spec.get("parameters", []):
        value = values.get(parameter["name"], "2026-09-01")
        if swap and swap[0] == parameter["name"]:
            value = swap[1]
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", urllib.parse.quote(str(value), safe="", errors="surrogatepass"))
        elif parameter["in"] == "query":
            query[parameter["name"]] = value
    encoded = "&".join(f"{k}={urllib.parse.quote(str(v), safe='', errors='surrogatepass')}" for k, v in query.items())
    return f"{live_web.url}/api/v1{path}" + (f"?{encoded}" if encoded else "")


def test_every_operation_refuses_what_once_broke_it(live_web: LiveWeb) -> None:
    failures: list[str] = []

    def send(method: str, url: str, body: str | None, label: str) -> None:
        before = fingerprint(live_web.db)
        headers = {**live_web.headers, **({"Content-Type": "application/json"} if body is not None else {})}
        data = body.encode("utf-8") if body is not None else None
        response = requests.request(method.upper(), url, data=data, headers=headers, timeout=60)
        try:
            _verdict(live_web, before, f"{method.upper()} {url[:200]} {label}", response.status_code, response.text)
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0][:400])

    for path, method, spec in _operations(live_web):
        names = [p["name"] for p in spec.get("parameters", [])]
        for name in names:
            for value in HOSTILE_TEXT:
                send(method, _url(live_web, path, spec, (name, value)), None if method == "get" else "{}",
                     f"{name}={value[:30]!r}")
        if method != "post":
            continue
        body = _example_body(spec)
        for field in body:
            for value in [*HOSTILE_TEXT, *HOSTILE_NUMBERS]:
                # ensure_ascii: a lone surrogate travels as the escape \ud800, which is valid JSON
                send(method, _url(live_web, path, spec, None), json.dumps({**body, field: value}),
                     f"{field}={str(value)[:30]!r}")
        for opening, closing in (("[", "]"), ('{"a":', "}")):
            send(method, _url(live_web, path, spec, None), opening * 5000 + "1" + closing * 5000, "nested 5000 deep")
        send(method, _url(live_web, path, spec, None), json.dumps({"\ud800": 1, **body}), "a surrogate key")
    assert not failures, "\n".join(failures)
