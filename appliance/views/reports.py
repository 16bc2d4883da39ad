"""Reports a funder accepts: footfall per day/week/month and by hour of the day, visits
by kind, volunteer hours per person and per activity (with the part on rota shifts), room
use in hours per room and group.

Footfall and visit counts come from ``daily_counts``, which the retention purge keeps, so
a report for last year still adds up after the raw records are gone; footfall by hour
needs the raw door-counter events, kept ``privacy.sensor_event_days``. Hours come from
visits and bookings. Each report is plain rows with plain headers (one date column) and
the figure worth a chart, on screen or as CSV.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from appliance.core.clock import human_day, iso, parse_iso
from appliance.core.config import Config
from appliance.core.inputs import InputError, parse_date
from appliance.rota import coverage
from appliance.views.overview import passes_in_by_hour

PERIODS = ("day", "week", "month")
MAX_DAYS = 3660  # ten years: a longer range is almost certainly a typo


class ReportError(Exception):
    """A report was asked for with a range or option it cannot use; the message says which."""


@dataclass(frozen=True)
class Chart:
    """The figure of a report worth drawing: a label and a value per bar."""

    title: str
    bars: list[tuple[str, float]]


@dataclass(frozen=True)
class Report:
    """A table: a title, plain headers, rows, a file name for the CSV, and its chart."""

    title: str
    headers: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    filename: str = "report.csv"
    chart: Chart | None = None
    note: str = ""

    def to_csv(self) -> str:
        """The report as CSV text (header row first; comma separated; CRLF as RFC 4180 says).

        It starts with a UTF-8 byte-order mark, so a spreadsheet opened by double-click
        (Excel) reads it as UTF-8 and shows "Siân" rather than "SiÃ¢n"."""
        out = io.StringIO()
        out.write("\ufeff")
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
        start = parse_date(start_text, "first date")
        end = parse_date(end_text, "last date")
    except InputError as exc:
        raise ReportError(str(exc)) from None
    if end < start:
        raise ReportError(f"the range ends ({end}) before it starts ({start})")
    if (end - start).days > MAX_DAYS:
        raise ReportError(f"the range {start} to {end} is longer than ten years; pick a shorter one")
    return start, end


def _span(start: date, end: date) -> str:
    """A range as people read it in a title: "Mon 5 Oct 2026 to Wed 2 Dec 2026"."""
    return f"{human_day(start)} to {human_day(end)}"


def _short(day: date, period: str) -> str:
    """A chart's label for a day, week (its Monday) or month: "5 Oct", "Oct 2026"."""
    return f"{day:%b %Y}" if period == "month" else f"{day.day} {day:%b}"


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
    label = {"day": "Date", "week": "Week starting (Monday)", "month": "Month"}[period]
    out = []
    for (first, _last), t in sorted(totals.items()):
        # one column says which day, week or month: a week is named by its Monday
        name = first.strftime("%Y-%m") if period == "month" else first.isoformat()
        out.append((name, t["in"], t["out"], t["signins"]))
    chart = Chart(f"People in per {period} (door counter)",
                  [(_short(first, period), t["in"]) for (first, _last), t in sorted(totals.items())])
    return Report(f"Footfall per {period}, {_span(start, end)}",
                  (label, "People in (door counter)", "People out (door counter)", "Sign-ins"),
                  out, f"footfall-per-{period}-{start}-to-{end}.csv", chart)


def footfall_by_hour(conn: sqlite3.Connection, config: Config, start: date, end: date) -> Report:
    """People in through the door counter per hour of the day (site time), over the range:
    when the place is busy. From the raw events, which are kept ``privacy.sensor_event_days``."""
    hours = passes_in_by_hour(conn, config, *_bounds(config, start, end))
    out = [(f"{h:02d}:00", n) for h, n in enumerate(hours)]
    return Report(f"Footfall by hour of the day, {_span(start, end)}", ("Hour", "People in (door counter)"),
                  out, f"footfall-by-hour-{start}-to-{end}.csv",
                  Chart("People in by hour of the day", [(f"{h:02d}", float(n)) for h, n in enumerate(hours)]),
                  note=f"From the door counter's own records, which are kept {config.privacy.sensor_event_days} days.")


def visits_by_kind(conn: sqlite3.Connection, start: date, end: date) -> Report:
    """Sign-ins per kind (visitor, member, volunteer...) over the range."""
    rows = conn.execute(
        "SELECT metric, SUM(value) AS total FROM daily_counts WHERE sensor = 'visits' AND day >= ? AND day <= ?"
        " GROUP BY metric ORDER BY metric",
        (start.isoformat(), end.isoformat()),
    )
    found = [(r["metric"], int(r["total"])) for r in rows]
    return Report(f"Visits by kind, {_span(start, end)}", ("Kind", "Visits"),
                  found, f"visits-by-kind-{start}-to-{end}.csv", Chart("Visits by kind", [(k, n) for k, n in found]))


@dataclass
class _Hours:
    visits: int = 0
    hours: float = 0.0
    presumed: float = 0.0
    on_shifts: float = 0.0
    people: set[str] = field(default_factory=set)

    def add(self, visit: _VolunteerVisit) -> None:
        self.visits += 1
        if visit.presumed:
            self.presumed += visit.hours
        else:
            self.hours += visit.hours
        self.on_shifts += visit.on_shifts


@dataclass(frozen=True)
class _VolunteerVisit:
    who: str
    activity: str
    hours: float
    presumed: bool
    on_shifts: float  # of ``hours``, those within rota shifts the volunteer took


NONE_GIVEN = "(none given)"


def _volunteer_visits(conn: sqlite3.Connection, config: Config, start: date, end: date,
                      now: datetime) -> list[_VolunteerVisit]:
    """Each volunteer visit that ended, with its hours within the range.

    The activity is the one given at sign-in; a fob sign-in that gave none counts under
    the activity of the rota shift it overlaps most (appliance.rota.coverage.shift_matches),
    and only without either under "(none given)".
    """
    lo, hi = _bounds(config, start, end)
    rows = conn.execute(
        "SELECT v.person_id, COALESCE(p.name, v.name) AS who, v.activity, v.signed_in_at, v.signed_out_at,"
        " v.end_reason FROM visits v LEFT JOIN people p ON p.id = v.person_id"
        " WHERE v.kind = 'volunteer' AND v.signed_in_at < ? AND v.signed_out_at IS NOT NULL AND v.signed_out_at > ?",
        (iso(hi), iso(lo)),
    ).fetchall()
    spans = [(r["person_id"], max(parse_iso(r["signed_in_at"]), lo), min(parse_iso(r["signed_out_at"]), hi, now))
             for r in rows]
    matches = coverage.shift_matches(conn, config, [(p, a, max(a, b)) for p, a, b in spans])
    found = []
    for r, (_, began, ended), match in zip(rows, spans, matches, strict=True):
        hours = max(0.0, (ended - began).total_seconds() / 3600)
        found.append(_VolunteerVisit(
            r["who"] or "(anonymised)", r["activity"] or match.activity or NONE_GIVEN, hours,
            r["end_reason"] == "presumed_left", min(hours, match.on_shift.total_seconds() / 3600)))
    return found


def volunteer_hours_by_person(conn: sqlite3.Connection, config: Config, start: date, end: date,
                              now: datetime) -> Report:
    """Hours each volunteer gave over the range; hours to a presumed sign-out are shown apart."""
    per: dict[str, _Hours] = defaultdict(_Hours)
    for visit in _volunteer_visits(conn, config, start, end, now):
        per[visit.who].add(visit)
    rows = [(who, h.visits, round(h.hours, 2), round(h.presumed, 2), round(h.on_shifts, 2))
            for who, h in sorted(per.items())]
    return Report(f"Volunteer hours per person, {_span(start, end)}",
                  ("Volunteer", "Visits", "Hours", "Hours to closing (did not sign out)", "Of all hours, on rota shifts"),
                  rows, f"volunteer-hours-per-person-{start}-to-{end}.csv",
                  Chart("Hours per volunteer", [(r[0], float(r[2] + r[3])) for r in rows]))


def volunteer_hours_by_activity(conn: sqlite3.Connection, config: Config, start: date, end: date,
                                now: datetime) -> Report:
    """Hours given per activity over the range, and by how many volunteers (a fob sign-in
    without an activity counts under its rota shift's)."""
    per: dict[str, _Hours] = defaultdict(_Hours)
    for visit in _volunteer_visits(conn, config, start, end, now):
        per[visit.activity].add(visit)
        per[visit.activity].people.add(visit.who)
    rows = [(a, len(h.people), h.visits, round(h.hours, 2), round(h.presumed, 2), round(h.on_shifts, 2))
            for a, h in sorted(per.items())]
    return Report(f"Volunteer hours per activity, {_span(start, end)}",
                  ("Activity", "Volunteers", "Visits", "Hours", "Hours to closing (did not sign out)",
                   "Of all hours, on rota shifts"),
                  rows, f"volunteer-hours-per-activity-{start}-to-{end}.csv",
                  Chart("Volunteer hours per activity", [(r[0], float(r[3] + r[4])) for r in rows]))


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
    per_room: dict[str, float] = defaultdict(float)
    for room, _group, _n, hours, _checked in out:
        per_room[room] += hours
    return Report(f"Room use, {_span(start, end)}", ("Room", "Group", "Bookings", "Hours booked", "Checked in"),
                  out, f"room-use-{start}-to-{end}.csv", Chart("Hours booked per room", sorted(per_room.items())))


REPORTS = {
    "footfall": "Footfall per day, week or month",
    "hours": "Footfall by hour of the day",
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
    if name == "hours":
        return footfall_by_hour(conn, config, start, end)
    if name == "visits":
        return visits_by_kind(conn, start, end)
    if name == "volunteers":
        return volunteer_hours_by_person(conn, config, start, end, now)
    if name == "activities":
        return volunteer_hours_by_activity(conn, config, start, end, now)
    if name == "rooms":
        return room_use(conn, config, start, end)
    raise ReportError(f"there is no report called {name!r}; choose one of {', '.join(REPORTS)}")
