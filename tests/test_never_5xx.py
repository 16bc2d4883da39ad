"""Never a 5xx (issue 14.11): each request below answered 500 once. Each must answer 4xx
with a sentence, store nothing, and leave the role serving. Dates outside 2000-2100 are
refused in one place (appliance.core.inputs); NUL and control characters are refused or
stripped at the edge, never stored.

The app runs as in production (not TESTING), so an unexpected error becomes the 500 page
a person would see, on a real SQLite file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from csrf_support import csrf_token
from dashboard_support import log_in, make_admin
from flask import Flask
from flask.testing import FlaskClient

from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.storage.db import Database
from doorstep.seed import seed_demo


@pytest.fixture
def production(config: Config, clock: ManualClock, db: Database) -> Iterator[Flask]:
    from kiosk import create_app

    seed_demo(db)
    make_admin(db, clock.now())
    application = create_app(config, clock=clock)
    yield application
    application.extensions["doorstep"].close()


@pytest.fixture
def browser_like(production: Flask) -> FlaskClient:
    client = production.test_client()
    log_in(client)
    return client


def _count(db: Database, table: str) -> int:
    return int(db.conn().execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _sentence(response) -> str:  # type: ignore[no-untyped-def]
    if response.is_json:
        body = response.get_json()
        return str(body.get("detail") or body.get("error"))
    return response.get_data(as_text=True)


@pytest.mark.parametrize("path", [
    "/api/v1/rooms/main-hall/availability?date=0001-01-01",
    "/api/v1/rooms/main-hall/availability?date=9999-12-31",
    "/kiosk/book/main-hall/0001-01-01T00:00",
    "/kiosk/book/main-hall/9999-12-31T23:30",
    "/kiosk/book/main-hall/9999-12-31T23:30/60",
    "/dashboard/manage/bookings?day=9999-12-31",
    "/dashboard/manage/bookings?day=0001-01-01",
    "/dashboard/reports/?report=footfall&from=9999-01-01&to=9999-12-31",
    "/dashboard/reports/?report=visits&from=0001-01-01&to=0001-01-02",
    "/dashboard/reports/?report=footfall&from=9999-01-01&to=9999-12-31&format=csv",
])
def test_dates_at_the_ends_of_their_type_are_refused_in_words(browser_like: FlaskClient, path: str) -> None:
    response = browser_like.get(path)
    assert 400 <= response.status_code < 500, f"{path} -> {response.status_code}"
    assert "2000" in _sentence(response) and "2100" in _sentence(response), _sentence(response)[:300]


@pytest.mark.parametrize("body", [
    '{"name": "\\ud800", "kind": "visitor"}',
    '{"name": "Ada \\udfff Lovelace", "kind": "visitor"}',
    '{"name": "Ada\\u0000Lovelace", "kind": "visitor"}',
    '{"name": "Ada", "kind": "visitor", "visiting": "\\ud83d"}',
    '{"\\ud800": 1, "name": "Ada", "kind": "visitor"}',
])
def test_lone_surrogates_and_nul_in_json_are_refused(browser_like: FlaskClient, db: Database, body: str) -> None:
    before = _count(db, "visits")
    response = browser_like.post("/api/v1/visits", data=body, content_type="application/json")
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]
    assert "text" in _sentence(response) or "character" in _sentence(response)
    assert _count(db, "visits") == before


@pytest.mark.parametrize("field", ["title", "organiser", "contact", "group"])
def test_a_lone_surrogate_in_a_booking_is_refused(browser_like: FlaskClient, db: Database, field: str) -> None:
    data = {"room": "main-hall", "start": "2026-03-03T10:00", "end": "2026-03-03T11:00", "title": "Choir",
            "organiser": "Sam", field: "Choir \ud800"}
    body = json.dumps(data)  # ensure_ascii: the surrogate travels as \\ud800, valid JSON
    response = browser_like.post("/api/v1/bookings", data=body, content_type="application/json")
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert field in _sentence(response)
    assert _count(db, "bookings") == 0


@pytest.mark.parametrize("path", ["/api/v1/visits", "/api/v1/bookings", "/api/v1/bookings/ABCDEF/cancel"])
@pytest.mark.parametrize("nest", ["[", '{"a":'])
def test_json_nested_5000_deep_is_refused(browser_like: FlaskClient, path: str, nest: str) -> None:
    close = "]" if nest == "[" else "}"
    body = nest * 5000 + "1" + close * 5000
    response = browser_like.post(path, data=body, content_type="application/json")
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert "deep" in _sentence(response)


@pytest.mark.parametrize("date", ["0001-01-01T10:00", "9999-12-31T23:00", "1999-12-31T10:00+00:00"])
def test_booking_times_outside_the_window_are_refused(browser_like: FlaskClient, db: Database, date: str) -> None:
    body = {"room": "main-hall", "start": date, "end": date[:11] + "23:30", "title": "Choir", "organiser": "Sam"}
    response = browser_like.post("/api/v1/bookings", json=body)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert "2000" in _sentence(response)
    assert _count(db, "bookings") == 0


def test_kiosk_sign_in_refuses_nul_and_strips_control_characters(production: Flask, db: Database) -> None:
    kiosk = production.test_client()
    token = csrf_token(kiosk, "/kiosk/signin/visitor")
    response = kiosk.post("/kiosk/signin/visitor", data={"name": "Ada\x00Lovelace", "csrf_token": token})
    assert response.status_code == 400
    assert _count(db, "visits") == 0
    response = kiosk.post("/kiosk/signin/visitor", data={"name": "Ada\x07 \x1bLovelace\u200b", "visiting": "the\tcafe\x7f",
                                                         "csrf_token": token})
    assert response.status_code in (200, 302, 303), response.get_data(as_text=True)[:300]
    name, visiting = db.conn().execute("SELECT name, visiting FROM visits").fetchone()
    assert name == "Ada Lovelace" and visiting == "the cafe"


def test_kiosk_booking_refuses_nul_and_strips_control_characters(production: Flask, db: Database) -> None:
    kiosk = production.test_client()
    path = "/kiosk/book/main-hall/2026-03-03T10:00/60"
    token = csrf_token(kiosk, path)
    response = kiosk.post(path, data={"organiser": "Sam\x00", "title": "Choir", "csrf_token": token})
    assert response.status_code == 400
    assert _count(db, "bookings") == 0
    response = kiosk.post(path, data={"organiser": "Sam\x1b[31m Smith", "title": "Choir\r\npractice",
                                      "csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    organiser, title = db.conn().execute("SELECT organiser, title FROM bookings").fetchone()
    assert organiser == "Sam[31m Smith" and title == "Choir practice"


def test_the_role_still_serves_after_all_of_it(browser_like: FlaskClient) -> None:
    browser_like.post("/api/v1/visits", data="[" * 5000, content_type="application/json")
    browser_like.get("/kiosk/book/main-hall/0001-01-01T00:00")
    assert browser_like.get("/healthz").status_code == 200
    assert browser_like.get("/kiosk/").status_code == 200
