"""Hypothesis against every form: each POST route in ``app.url_map`` (the JSON API has its
own fuzzing) gets generated field names and values, with and without the CSRF token,
logged in and not. No 5xx, no traceback in any page, and a refused request (4xx) stores
nothing. Every GET page is fetched too, logged in, and must render without a traceback,
and again with every query parameter any page uses set to what once broke a page: dates at
the ends of their type, NUL and control characters, text too long to be a name.

The app runs as in production (not TESTING: errors become the friendly pages) in this
process, through Flask's test client from 127.0.0.1 (the kiosk's own screen).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from csrf_support import token_in
from decisions_support import make_ballot
from faultkit import changed, fingerprint
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException

from appliance.booking import bookings
from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.people import admins
from appliance.storage.db import Database
from doorstep.seed import seed_demo, seed_rota

pytestmark = pytest.mark.faults

EXAMPLES = 40  # per form
ADMIN, PASSWORD = "fuzz-admin", "correct horse battery staple"
TRACEBACK = "Traceback (most recent call last)"
NAME_ATTR = re.compile(r'name="([A-Za-z0-9_\-\[\]]+)"')
FORM = re.compile(r"<form\b(?P<attrs>[^>]*)>(?P<body>.*?)</form>", re.S | re.I)
ACTION = re.compile(r'action="([^"]*)"')


@pytest.fixture
def app(config: Config, clock: ManualClock, db: Database) -> Iterator[Flask]:
    """The production app (not TESTING) on a seeded database with one admin."""
    from kiosk import create_app

    seed_demo(db)
    seed_rota(db, config)  # shifts for the rota's forms (their dates, taking and leaving out)
    admins.create(db.conn(), ADMIN, PASSWORD, clock.now())
    # an open members' vote with comments, one opening tomorrow (it can still be changed)
    make_ballot(db.conn(), clock.now(), comments="anonymous", changes=True)
    make_ballot(db.conn(), clock.now(), kind="multiple", options="Quiz\nCeilidh\nFilm", max_choices="2",
                opens=clock.now() + timedelta(days=1))
    # something for the routes that take a booking's id to act on
    start = (clock.now() + timedelta(days=1)).replace(hour=10, minute=0)
    for room in ("main-hall", "studio"):  # the studio's needs approval: approve/decline apply
        bookings.book(db.conn(), config, bookings.BookingRequest(
            room=room, start=start, end=start + timedelta(hours=1), title="Choir", organiser="Sam"), clock.now())
    application = create_app(config, clock=clock)
    yield application
    application.extensions["doorstep"].close()


def _login(client: FlaskClient) -> str:
    page = client.get("/dashboard/login").get_data(as_text=True)
    token = token_in(page)
    assert token, "the login page has no CSRF token"
    response = client.post("/dashboard/login", data={"name": ADMIN, "password": PASSWORD, "csrf_token": token})
    assert response.status_code in (302, 303), f"could not log in: {response.status_code}"
    # the login starts a fresh session, so the form token changes with it
    fresh = token_in(client.get("/dashboard/manage/people/new").get_data(as_text=True))
    assert fresh, "no CSRF token on the new-person form after logging in"
    return fresh


def _known_ids(db_path: Path) -> dict[str, list[str]]:
    from faultkit import query

    def column(sql: str) -> list[str]:
        return [str(r[0]) for r in query(db_path, sql)]

    return {
        "room_id": column("SELECT id FROM rooms"),
        "booking_id": column("SELECT id FROM bookings") or ["1"],
        "person_id": column("SELECT id FROM people"),
        "reference": column("SELECT reference FROM bookings") or ["ABC123"],
        "ballot_id": column("SELECT id FROM decisions") or ["1"],
    }


# What broke a page once (issue 14.11): dates at the ends of their type, control characters.
EXTREMES = ["0001-01-01", "9999-12-31", "0001-01-01T00:00", "9999-12-31T23:30", "9999-12-31T23:59:59-14:00",
            "0001-01-01T00:00:00+14:00", "1999-12-31", "2101-01-01", "\x00", "Ada\x00Lovelace", "\x1b[2J\x1b[31m",
            "\x07\x08\x7f", "\u202eevil", "line\r\nbreak", "x" * 20_000]
# Query parameters the pages read; every GET page is asked with each of them.
QUERY_NAMES = ("day", "date", "from", "to", "since", "report", "period", "room", "format", "all", "saved", "done",
               "idle", "next", "purged", "erased", "linked", "fob")


def _fill(rule_arguments: set[str], known: dict[str, list[str]], clock: ManualClock) -> st.SearchStrategy[dict]:
    tomorrow = (clock.now() + timedelta(days=1)).date().isoformat()
    samples = {
        "room_id": known["room_id"],
        "booking_id": known["booking_id"],
        "person_id": known["person_id"],
        "start": [f"{tomorrow}T10:00", f"{tomorrow}T10:07", "2020-01-01T00:00", "not-a-time", "9999-12-31T23:59",
                  "0001-01-01T00:00", "9999-12-31T23:30"],
        "minutes": ["60", "15", "0", "100000", "9223372036854775808"],
        "kind": ["visitor", "member", "volunteer", "alien", ""],
        "fmt": ["json", "csv", "exe"],
        "token": ["nope", "x" * 40],
        "shift_id": ["1", "2", "3"],
        "ballot_id": known["ballot_id"],
        "day": [tomorrow, "2020-01-01", "0001-01-01", "friday"],
    }
    return st.fixed_dictionaries({
        name: st.one_of(st.sampled_from(samples.get(name, ["1"]) or ["1"]),
                        st.integers(-5, 10**20).map(str), st.text(max_size=20))
        for name in rule_arguments
    })


def _values(known: dict[str, list[str]], clock: ManualClock) -> st.SearchStrategy[str]:
    day = (clock.now() + timedelta(days=1)).date().isoformat()
    likely = ["", "on", "1", "0", "-1", "yes", "visitor", "member", "volunteer", "9223372036854775808", day,
              f"{day}T10:00", "10:00", "25:99", "Ada Lovelace", "a" * 5000, "<script>alert(1)</script>",
              "'; DROP TABLE visits; --", "\x00", "🙂", *EXTREMES, *known["room_id"], *known["reference"]]
    return st.one_of(st.sampled_from(likely), st.text(max_size=80))


def _plausible(field: str) -> list[str]:
    """Values a person would type into a field of this name, so some requests get through."""
    table = [("kind", ["visitor", "member", "volunteer"]), ("hours", ["09:00-17:00", "closed"]),
             ("days", ["30", "365"]), ("minutes", ["0", "15"]), ("capacity", ["12"]), ("contact", ["sam@example.org"]),
             ("number", ["M900"]), ("lang", ["en", "cy"]), ("id", ["meeting-room"]), ("name", ["Sam Example"]),
             ("next", ["/kiosk/"]), ("title", ["Choir"]), ("organiser", ["Sam"])]
    return [v for key, values in table if key in field for v in values] or ["1", "on"]


def test_every_get_page_renders_without_a_traceback(app: Flask) -> None:
    client = app.test_client()
    _login(client)
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.arguments or rule.endpoint == "static":
            continue
        response = client.get(rule.rule, headers={"Accept": "text/html"})
        if response.mimetype == "text/event-stream":
            response.close()  # a live stream never ends; its first frame is not needed here
            continue
        text = response.get_data(as_text=True)
        response.close()
        assert response.status_code < 500, f"GET {rule.rule} -> {response.status_code}"
        assert TRACEBACK not in text, f"GET {rule.rule} shows a traceback"
        checked += 1
    assert checked > 10


def test_every_get_page_refuses_extreme_query_values_in_words(app: Flask, config: Config, clock: ManualClock) -> None:
    client = app.test_client()
    _login(client)
    known = _known_ids(Path(config.database.path))
    first = {"kind": "visitor", "start": f"{(clock.now() + timedelta(days=1)).date().isoformat()}T10:00",
             "minutes": "60", "fmt": "json"}
    failures: list[str] = []
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint == "static":
            continue
        try:
            path = rule.build({a: first.get(a) or (known.get(a) or ["1"])[0] for a in rule.arguments},
                              append_unknown=False)[1]
        except Exception:
            continue
        for name in QUERY_NAMES:
            for value in EXTREMES:
                response = client.get(path, query_string={name: value}, headers={"Accept": "text/html"},
                                      buffered=False)
                if response.mimetype == "text/event-stream":
                    response.close()
                    break
                text = response.get_data(as_text=True)
                response.close()
                checked += 1
                where = f"GET {path}?{name}={value[:30]!r}"
                if response.status_code >= 500 or TRACEBACK in text:
                    failures.append(f"{where} -> {response.status_code}")
    assert checked > 1000
    assert not failures, "\n".join(failures[:40])


def test_every_form_refuses_bad_input_cleanly_and_stores_nothing_when_refusing(
    app: Flask, config: Config, clock: ManualClock
) -> None:
    db_path = Path(config.database.path)
    admin = app.test_client()
    token = _login(admin)
    anonymous = app.test_client()
    anonymous_token = token_in(anonymous.get("/dashboard/login").get_data(as_text=True))
    assert anonymous_token, "no CSRF token on the login form"

    # The forms' own field names, per route: every page is fetched (with known ids filled in)
    # and each <form action=...> is matched to the route that receives it.
    known = _known_ids(db_path)
    tomorrow = (clock.now() + timedelta(days=1)).date().isoformat()
    first = {"kind": "visitor", "start": f"{tomorrow}T10:00", "minutes": "60", "fmt": "json"}
    adapter = app.url_map.bind("localhost")
    fields: dict[str, set[str]] = {}
    everywhere: set[str] = {"name", "password", "kind", "next", "lang", "visiting", "activity"}
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint == "static":
            continue
        try:
            url = rule.build({a: first.get(a) or (known.get(a) or ["1"])[0] for a in rule.arguments},
                             append_unknown=False)[1]
        except Exception:
            continue
        response = admin.get(url)
        html = "" if response.mimetype == "text/event-stream" else response.get_data(as_text=True)
        response.close()
        for form in FORM.finditer(html):
            action_attr = ACTION.search(form["attrs"])
            action = (action_attr[1] if action_attr else "") or url
            names = set(NAME_ATTR.findall(form["body"])) - {"csrf_token"}
            everywhere |= names
            try:
                endpoint = adapter.match(action.split("?")[0], method="POST")[0]
            except HTTPException:  # no POST route there (NotFound, MethodNotAllowed, a redirect)
                continue
            fields.setdefault(endpoint, set()).update(names)
    posts = [r for r in app.url_map.iter_rules()
             if "POST" in (r.methods or set()) and not r.rule.startswith("/api/")]
    assert len(posts) > 5, f"too few forms found: {[r.rule for r in posts]}"
    assert len(fields) > 5, f"too few forms matched to their routes: {sorted(fields)}"

    failures: list[str] = []

    def fuzzer(rule):  # type: ignore[no-untyped-def]
        own = fields.get(rule.endpoint) or everywhere

        @given(
            arguments=_fill(set(rule.arguments), known, clock),
            form=st.one_of(
                # the form's own fields, each present or not (reaches the handler's checks)
                st.fixed_dictionaries({}, optional={n: st.one_of(st.sampled_from(_plausible(n)), _values(known, clock))
                                                    for n in sorted(own)}),
                # any field of any form (what a confused or hostile client sends)
                st.dictionaries(st.sampled_from(sorted(everywhere)), _values(known, clock), max_size=8),
            ),
            # mostly with the token and logged in, so most requests reach the handler's own checks
            with_token=st.sampled_from([True, True, True, False]),
            logged_in=st.sampled_from([True, True, False]),
        )
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def fuzz(arguments: dict, form: dict, with_token: bool, logged_in: bool) -> None:
            # logging out would end the admin's session for every example after it
            client = admin if logged_in and rule.endpoint != "auth.logout" else anonymous
            if with_token:
                form = {**form, "csrf_token": token if client is admin else anonymous_token}
            try:
                url = rule.build(arguments, append_unknown=False)[1]
            except Exception:  # a value the route's converter will not build: not a request
                return
            before = fingerprint(db_path)
            response = client.post(url, data=form)
            text = response.get_data(as_text=True)
            where = f"POST {url} {sorted(form)} (logged in: {client is admin})"
            assert response.status_code < 500, f"{where} -> {response.status_code}"
            assert TRACEBACK not in text, f"{where} shows a traceback"
            if response.status_code >= 400:
                stored = changed(before, fingerprint(db_path))
                assert not stored, f"{where} was refused ({response.status_code}) but changed {stored}"

        return fuzz

    for rule in posts:
        try:
            fuzzer(rule)()
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0][:500])
    assert not failures, "\n".join(failures)
