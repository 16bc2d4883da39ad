"""Helpers shared by the dashboard, roll-call, reports and display tests (not fixtures)."""

from __future__ import annotations

from datetime import datetime

from csrf_support import csrf_token
from flask.testing import FlaskClient

from appliance.core.config import Config
from appliance.core.events import Event
from appliance.people import admins, register, visits
from appliance.sensing.recorder import Recorder
from appliance.storage.db import Database, transaction
from doorstep.agent import RULES

PASSWORD = "correct horse"


def make_admin(db: Database, at: datetime, name: str = "alice") -> str:
    """Create an admin with the test password."""
    admins.create(db.conn(), name, PASSWORD, at)
    return name


def log_in(client: FlaskClient, name: str = "alice") -> None:
    """Log the test client in (fails the test if it cannot)."""
    response = client.post("/dashboard/login", data={"name": name, "password": PASSWORD,
                                                     "csrf_token": csrf_token(client, "/dashboard/login")})
    assert response.status_code == 302, response.data[:300]


def sign_in_visitor(db: Database, config: Config, at: datetime, name: str, **kw: str) -> visits.Visit:
    """A visitor signed in at ``at``."""
    conn = db.conn()
    with transaction(conn):
        return visits.sign_in(conn, config, at, kind="visitor", name=name, **kw)


def sign_in_person(db: Database, config: Config, at: datetime, name: str, kind: str = "volunteer",
                   activity: str = "") -> visits.Visit:
    """A new member or volunteer, signed in at ``at``."""
    conn = db.conn()
    with transaction(conn):
        person = register.create(conn, at, name=name, kind=kind)
        return visits.sign_in(conn, config, at, kind=kind, person_id=person.id, activity=activity)


def record(db: Database, config: Config, clock, *events: Event) -> None:  # type: ignore[no-untyped-def]
    """Write events through the real single writer, as the agent does."""
    Recorder(db, config, clock, RULES).write(list(events))


def log_in_page(page, db: Database, at: datetime, url: str, name: str = "alice") -> None:  # type: ignore[no-untyped-def]
    """Create an admin and log in through the real form in a browser page, landing on ``url``."""
    make_admin(db, at, name)
    page.goto(url)
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(url)
