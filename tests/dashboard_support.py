"""Helpers shared by the dashboard, roll-call, reports and display tests (not fixtures)."""

from __future__ import annotations

import re
from datetime import datetime

from flask.testing import FlaskClient

from appliance import admins, people, visits
from appliance.config import Config
from appliance.db import Database, transaction
from appliance.events import Event
from appliance.recorder import Recorder
from appliance.topics import TopicContext

PASSWORD = "correct horse"


def make_admin(db: Database, at: datetime, name: str = "alice") -> str:
    """Create an admin with the test password."""
    admins.create(db.conn(), name, PASSWORD, at)
    return name


def csrf_token(client: FlaskClient, path: str = "/dashboard/login") -> str:
    """The CSRF token from a page's form."""
    page = client.get(path)
    match = re.search(rb'name="csrf_token" value="([^"]+)"', page.data)
    assert match, f"no CSRF token on {path} ({page.status_code})"
    return match[1].decode()


def log_in(client: FlaskClient, name: str = "alice") -> None:
    """Log the test client in (fails the test if it cannot)."""
    response = client.post("/dashboard/login", data={"name": name, "password": PASSWORD,
                                                     "csrf_token": csrf_token(client)})
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
        person = people.create(conn, at, name=name, kind=kind)
        return visits.sign_in(conn, config, at, kind=kind, person_id=person.id, activity=activity)


def record(db: Database, config: Config, clock, *events: Event) -> None:  # type: ignore[no-untyped-def]
    """Write events through the real single writer, as the agent does."""
    Recorder(db, TopicContext(config.mqtt.topic_prefix, config.site.id), config.site.zone, clock).write(list(events))
