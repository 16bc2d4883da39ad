"""Reports a funder accepts: footfall per day/week/month, visits by kind, volunteer hours
per person and per activity, room use in hours per room and group.

Footfall and visit counts come from ``daily_counts``, which the retention purge keeps, so
a report for last year still adds up after the raw records are gone. Hours come from
visits and bookings. Each report is plain rows with plain headers, on screen or as CSV.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from appliance.clock import iso, parse_iso
from appliance.config import Config

PERIODS = ("day", "week", "month")
MAX_DAYS = 3660  # ten years: a longer range is almost certainly a typo


class ReportError(Exception):
    """A report was asked for with a range or option it cannot use; the message says which."""


@dataclass(frozen=True)
class Report:
    """A table: a title, plain headers, rows, and a file name for the CSV."""

    title: str
    headers: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    filename: str = "report.csv"

    def to_csv(self) -> str:
        """The report as CSV text (header row first; comma separated; CRLF as RFC 4180 says)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.headers)
        writer.writerows(tuple(spreadsheet_safe(v) for v in row) for row in self.rows)
        return out.getvalue()


def spreadsheet_safe(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run: text starting with = + - @ (a formula) gets a
    leading quote. Names, activities and group names are typed by anyone at the kiosk."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def parse_range(start_text: str, end_text: str) -> tuple[date, date]:
    """Two 'YYYY-MM-DD' dates (inclusive) checked for order and length."""
    try:
        start = date.fromisoformat(start_text)
        end = date.fromisoformat(end_text)
    except ValueError as exc:
        raise ReportError(f"dates must look like 2026-03-01 (got {start_text!r} and {end_text!r})") from exc
    if end < start:
        raise ReportError(f"the range ends ({end}) before it starts ({start})")
    if (end - start).days > MAX_DAYS:
        raise ReportError(f"the range {start} to {end} is longer than ten years; pick a shorter one")
    return start, end


def _bounds(config: Config, start: date, end: date) -> tuple[datetime, datetime]:
    zone = config.site.zone
    return (datetime.combine(start, time(0), zone).astimezone(UTC),
            datetime.combine(end + timedelta(days=1), time(0), zone).astimezone(UTC))


def _period_of(day: date, period: str) -> tuple[date, date]:
    if period == "day":
        return day, day
    if period == "week":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def footfall(conn: sqlite3.Connection, start: date, end: date, period: str = "day") -> Report:
    """People in and out by the door counter, and sign-ins, per day, week (from Monday) or month."""
    if period not in PERIODS:
        raise ReportError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")
    totals: dict[tuple[date, date], dict[str, int]] = {}
    day = start
    while day <= end:  # every period appears, even one with nothing counted
        totals.setdefault(_period_of(day, period), {"in": 0, "out": 0, "signins": 0})
        day += timedelta(days=1)
    rows = conn.execute(
        "SELECT day, sensor, metric, value FROM daily_counts WHERE day >= ? AND day <= ?",
        (start.isoformat(), end.isoformat()),
    )
    for row in rows:
        key = _period_of(date.fromisoformat(row["day"]), period)
        if row["sensor"] == "visits":
            totals[key]["signins"] += row["value"]
        elif row["metric"] in ("in", "out"):
            totals[key][row["metric"]] += row["value"]
    label = {"day": "Date", "week": "Week starting", "month": "Month"}[period]
    out = []
    for (first, last), t in sorted(totals.items()):
        name = first.strftime("%Y-%m") if period == "month" else first.isoformat()
        out.append((name, first.isoformat(), last.isoformat(), t["in"], t["out"], t["signins"]))
    return Report(f"Footfall per {period}, {start} to {end}",
                  (label, "From", "To", "People in (door counter)", "People out (door counter)", "Sign-ins"),
                  out, f"footfall-per-{period}-{start}-to-{end}.csv")


def visits_by_kind(conn: sqlite3.Connection, start: date, end: date) -> Report:
    """Sign-ins per kind (visitor, member, volunteer...) over the range."""
    rows = conn.execute(
        "SELECT metric, SUM(value) AS total FROM daily_counts WHERE sensor = 'visits' AND day >= ? AND day <= ?"
        " GROUP BY metric ORDER BY metric",
        (start.isoformat(), end.isoformat()),
    )
    return Report(f"Visits by kind, {start} to {end}", ("Kind", "Visits"),
                  [(r["metric"], int(r["total"])) for r in rows], f"visits-by-kind-{start}-to-{end}.csv")


@dataclass
class _Hours:
    visits: int = 0
    hours: float = 0.0
    presumed: float = 0.0
    people: set[str] = field(default_factory=set)


def _volunteer_visits(conn: sqlite3.Connection, config: Config, start: date, end: date,
                      now: datetime) -> list[tuple[str, str, float, bool]]:
    """(volunteer, activity, hours within the range, presumed) for each volunteer visit that ended."""
    lo, hi = _bounds(config, start, end)
    rows = conn.execute(
        "SELECT COALESCE(p.name, v.name) AS who, v.activity, v.signed_in_at, v.signed_out_at, v.end_reason"
        " FROM visits v LEFT JOIN people p ON p.id = v.person_id"
        " WHERE v.kind = 'volunteer' AND v.signed_in_at < ? AND v.signed_out_at IS NOT NULL AND v.signed_out_at > ?",
        (iso(hi), iso(lo)),
    )
    found = []
    for r in rows:
        began = max(parse_iso(r["signed_in_at"]), lo)
        ended = min(parse_iso(r["signed_out_at"]), hi, now)
        hours = max(0.0, (ended - began).total_seconds() / 3600)
        found.append((r["who"] or "(anonymised)", r["activity"] or "(none given)", hours,
                      r["end_reason"] == "presumed_left"))
    return found


def volunteer_hours_by_person(conn: sqlite3.Connection, config: Config, start: date, end: date,
                              now: datetime) -> Report:
    """Hours each volunteer gave over the range; hours to a presumed sign-out are shown apart."""
    per: dict[str, _Hours] = defaultdict(_Hours)
    for who, _activity, hours, presumed in _volunteer_visits(conn, config, start, end, now):
        per[who].visits += 1
        if presumed:
            per[who].presumed += hours
        else:
            per[who].hours += hours
    rows = [(who, h.visits, round(h.hours, 2), round(h.presumed, 2)) for who, h in sorted(per.items())]
    return Report(f"Volunteer hours per person, {start} to {end}",
                  ("Volunteer", "Visits", "Hours", "Hours to closing (did not sign out)"),
                  rows, f"volunteer-hours-per-person-{start}-to-{end}.csv")


def volunteer_hours_by_activity(conn: sqlite3.Connection, config: Config, start: date, end: date,
                                now: datetime) -> Report:
    """Hours given per activity over the range, and by how many volunteers."""
    per: dict[str, _Hours] = defaultdict(_Hours)
    for who, activity, hours, presumed in _volunteer_visits(conn, config, start, end, now):
        h = per[activity]
        h.visits += 1
        h.people.add(who)
        if presumed:
            h.presumed += hours
        else:
            h.hours += hours
    rows = [(a, len(h.people), h.visits, round(h.hours, 2), round(h.presumed, 2)) for a, h in sorted(per.items())]
    return Report(f"Volunteer hours per activity, {start} to {end}",
                  ("Activity", "Volunteers", "Visits", "Hours", "Hours to closing (did not sign out)"),
                  rows, f"volunteer-hours-per-activity-{start}-to-{end}.csv")


def room_use(conn: sqlite3.Connection, config: Config, start: date, end: date) -> Report:
    """Hours each room was booked (confirmed bookings), per room and group, over the range."""
    lo, hi = _bounds(config, start, end)
    rows = conn.execute(
        "SELECT r.name AS room, b.group_name, b.start_at, b.end_at, b.checked_in_at FROM bookings b"
        " JOIN rooms r ON r.id = b.room_id"
        " WHERE b.status = 'confirmed' AND b.start_at < ? AND b.end_at > ?",
        (iso(hi), iso(lo)),
    )
    per: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0, 0])
    for r in rows:
        began = max(parse_iso(r["start_at"]), lo)
        ended = min(parse_iso(r["end_at"]), hi)
        entry = per[(r["room"], r["group_name"] or "(no group)")]
        entry[0] += 1
        entry[1] += max(0.0, (ended - began).total_seconds() / 3600)
        entry[2] += 1 if r["checked_in_at"] else 0
    out = [(room, group, int(v[0]), round(v[1], 2), int(v[2])) for (room, group), v in sorted(per.items())]
    return Report(f"Room use, {start} to {end}", ("Room", "Group", "Bookings", "Hours booked", "Checked in"),
                  out, f"room-use-{start}-to-{end}.csv")


REPORTS = {
    "footfall": "Footfall per day, week or month",
    "visits": "Visits by kind",
    "volunteers": "Volunteer hours per person",
    "activities": "Volunteer hours per activity",
    "rooms": "Room use per room and group",
}


def build(conn: sqlite3.Connection, config: Config, name: str, start: date, end: date, now: datetime,
          period: str = "day") -> Report:
    """The report called ``name`` (a key of REPORTS) over ``start``..``end`` inclusive."""
    if name == "footfall":
        return footfall(conn, start, end, period)
    if name == "visits":
        return visits_by_kind(conn, start, end)
    if name == "volunteers":
        return volunteer_hours_by_person(conn, config, start, end, now)
    if name == "activities":
        return volunteer_hours_by_activity(conn, config, start, end, now)
    if name == "rooms":
        return room_use(conn, config, start, end)
    raise ReportError(f"there is no report called {name!r}; choose one of {', '.join(REPORTS)}")
