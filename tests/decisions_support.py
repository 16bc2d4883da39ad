"""Helpers shared by the decisions tests (plain functions, not fixtures)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from appliance.decisions import ballots
from appliance.storage.db import transaction

ZONE = ZoneInfo("Europe/London")


def local(moment: datetime) -> str:
    """A moment as the dashboard's datetime-local field holds it."""
    return moment.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")


def make_ballot(conn: sqlite3.Connection, now: datetime, *, kind: str = "proposal", title: str = "Buy a new boiler",
                options: str = "", electorate: str = "members", hours: int = 48, quorum: str = "",
                threshold: str = "majority", changes: bool = False, comments: str = "off",
                comments_public: bool = False, open_tally: bool = False, max_choices: str = "",
                opens: datetime | None = None) -> ballots.Ballot:
    """A ballot as an admin would fill in the dashboard's form, open from ``now``."""
    start = opens or now
    form = {"title": title, "body": "The old one is 30 years old and failed twice this winter.", "kind": kind,
            "options": options, "electorate": electorate, "opens_at": local(start),
            "closes_at": local(start + timedelta(hours=hours)), "quorum": quorum, "threshold": threshold,
            "changes_allowed": "1" if changes else "", "comments": comments,
            "comments_public": "1" if comments_public else "", "open_tally": "1" if open_tally else "",
            "max_choices": max_choices}
    with transaction(conn):
        return ballots.create(conn, ballots.read_plan(form, ZONE), now)
