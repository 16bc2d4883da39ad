"""Helpers shared by the rota tests (plain functions, not fixtures)."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import datetime

from appliance.core.config import Config
from appliance.rota import shifts

ACTIVITIES = ("Bar", "Cafe", "Breakfast show", "Opening up", "Reception")


def with_rota_activities(config: Config) -> Config:
    """The test config with a community pub's and a radio station's activities."""
    return config.with_changes(kiosk=dataclasses.replace(config.kiosk, activities=ACTIVITIES))


def make_shift(
    conn: sqlite3.Connection, now: datetime, activity: str, *, days: tuple[str, ...] = (), start: str = "18:00",
    end: str = "", needs: int = 1, first_day: str = "2026-03-02", repeat: str = "weekly", title: str = "",
    last_day: str = "",
) -> shifts.Shift:
    """A shift as an admin would type it on the dashboard."""
    form = {"activity": activity, "title": title, "repeat": repeat, "first_day": first_day, "start": start,
            "end": end, "last_day": last_day, "needs": str(needs)}
    return shifts.create(conn, shifts.read_plan(form, days, ACTIVITIES), now)
