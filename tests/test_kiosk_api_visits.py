"""POST /api/v1/visits and /visits/<id>/end: shapes, guards, errors."""

from __future__ import annotations

from typing import Any

import pytest
from kiosk_helpers import seed

from appliance.core.clock import ManualClock
from appliance.people import visits
from appliance.storage.db import Database


@pytest.fixture(autouse=True)
def _seeded(db: Database, clock: ManualClock) -> None:
    seed(db, clock)


def test_visitor_in_and_out(client: Any, db: Database) -> None:
    created = client.post("/api/v1/visits", json={"name": "Joan Clarke", "kind": "visitor", "visiting": "Choir"})
    assert created.status_code == 201
    body = created.get_json()
    assert body["kind"] == "visitor" and body["signed_out_at"] is None and isinstance(body["id"], int)
    assert visits.get(db.conn(), body["id"]).source == "api"  # type: ignore[union-attr]
    ended = client.post(f"/api/v1/visits/{body['id']}/end")
    assert ended.status_code == 200 and ended.get_json()["signed_out_at"] == "2026-03-02T09:00:00+00:00"
    again = client.post(f"/api/v1/visits/{body['id']}/end")
    assert again.status_code == 409 and "already ended" in again.get_json()["detail"]


def test_member_by_number(client: Any) -> None:
    created = client.post("/api/v1/visits", json={"name": "M001", "kind": "member"})
    assert created.status_code == 201 and created.get_json()["kind"] == "member"


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (None, 400),
        ([1, 2], 400),
        ({"name": "Joan"}, 400),
        ({"name": 5, "kind": "visitor"}, 400),
        ({"name": "Joan", "kind": "ghost"}, 422),
        ({"name": "Ada", "kind": "member"}, 422),
        ({"name": "x" * 500, "kind": "visitor"}, 422),
    ],
)
def test_bad_requests_get_clear_errors(client: Any, db: Database, payload: Any, status: int) -> None:
    response = client.post("/api/v1/visits", json=payload) if payload is not None else client.post(
        "/api/v1/visits", data="not json", content_type="application/json")
    assert response.status_code == status
    assert set(response.get_json()) == {"error", "detail"}
    assert visits.signed_in_now(db.conn()) == []


def test_unknown_visit_is_404(client: Any) -> None:
    assert client.post("/api/v1/visits/999/end").status_code == 404


def test_other_networks_need_an_admin_token(client: Any, db: Database) -> None:
    away = {"REMOTE_ADDR": "192.168.1.50"}
    response = client.post("/api/v1/visits", json={"name": "Eve", "kind": "visitor"}, environ_base=away)
    assert response.status_code == 403
    assert visits.signed_in_now(db.conn()) == []


def test_openapi_documents_the_visit_routes(client: Any) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "post" in paths["/visits"] and "post" in paths["/visits/{id}/end"]


def test_an_unknown_field_is_refused_by_name_and_nothing_is_stored(client: Any, db: Database) -> None:
    # a typo an integrator makes, and a key schemathesis once sent with a NUL in it
    for payload in ({"name": "Joan Clarke", "kind": "visitor", "visting": "Choir"},
                    {"name": "Joan Clarke", "kind": "visitor", "x\u0000y": 1}):
        reply = client.post("/api/v1/visits", json=payload)
        assert reply.status_code == 400
        assert "field" in reply.get_json()["detail"]
    assert db.conn().execute("SELECT count(*) FROM visits").fetchone()[0] == 0
    schema = client.get("/api/v1/openapi.json").get_json()
    body = schema["paths"]["/visits"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["additionalProperties"] is False
