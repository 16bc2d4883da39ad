"""Schemathesis against /api/v1, from the OpenAPI document the live web role serves: for
every operation and every generated request (valid and invalid), no 5xx, no traceback,
and nothing stored by a request the API refused."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from faultkit import changed, config_toml, fingerprint, wait_until
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from appliance.broker import free_port
from bench.procs import doorstep

pytestmark = pytest.mark.faults

EXAMPLES = 30  # per operation and mode: enough to find shape bugs, quick enough for CI


class LiveWeb:
    """The web role as a real process on a seeded database."""

    def __init__(self, directory: Path) -> None:
        self.db = directory / "doorstep.db"
        self.port = free_port()
        config = directory / "config.toml"
        config.write_text(config_toml(self.db, web_port=self.port), encoding="utf-8")
        seed = (
            "import sys; from appliance.db import Database; from appliance.seed import seed_demo; "
            "d = Database(sys.argv[1]); d.migrate(); seed_demo(d); d.close()"
        )
        subprocess.run([sys.executable, "-c", seed, str(self.db)], check=True)
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


def _check(case, live_web: LiveWeb) -> None:  # type: ignore[no-untyped-def]
    before = fingerprint(live_web.db)
    response = case.call(base_url=f"{live_web.url}/api/v1", timeout=30)
    text = response.text
    where = f"{case.method} {case.formatted_path} query={case.query} body={str(case.body)[:200]}"
    assert response.status_code < 500, f"{where} -> {response.status_code}: {text[:500]}"
    assert "Traceback (most recent call last)" not in text, f"a traceback leaked from {where}"
    if response.status_code >= 400:
        stored = changed(before, fingerprint(live_web.db))
        assert not stored, f"{where} was refused ({response.status_code}) but changed {stored}: {text[:300]}"
    assert live_web.proc.alive(), f"the web role died:\n{live_web.proc.output()[-3000:]}"


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
