"""Shifts: what volunteers are needed for, when, and how many.

A shift is an activity on a recurring rule ("Bar, Friday 18:00-23:00, needs 2";
"Breakfast show, weekdays 07:00-09:00, needs 1"; "Opening up, Saturday 09:00"). The
rule is the RRULE subset bookings use (appliance.booking.recurrence), expanded on the
site's wall clock, so an 18:00 shift stays at 18:00 when the clocks change. Dates are
never stored: a date of a shift is (shift, the site's local day), worked out when asked;
a date left out (a bank holiday) is a row in ``shift_exceptions``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from appliance.booking import recurrence
from appliance.core.clock import iso
from appliance.core.config import Config
from appliance.core.inputs import FieldError, InputError, clean_text, parse_date
from appliance.storage.db import transaction

_WALL = "%Y-%m-%dT%H:%M"
# A shift given only a start time ("Opening up, Saturday 09:00") counts as this long when
# checking who came and for hours.
START_ONLY = timedelta(hours=1)
MAX_NEEDS = 50
MAX_TITLE = 60
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
REPEATS = {
    "weekly": "Every week, on the days ticked",
    "fortnightly": "Every other week, on the days ticked",
    "monthly": "Every month, on the same weekday (e.g. the 2nd Tuesday, or the last Friday)",
    "once": "Once, on the first day only",
}


class RotaError(FieldError):
    """A shift or a date of it cannot be made, changed or taken as asked."""


@dataclass(frozen=True)
class Shift:
    """One recurring shift."""

    id: int
    activity: str
    title: str
    rrule: str
    first: datetime  # naive site wall time of the first date and the start time
    duration_minutes: int | None
    last_day: date | None
    needs: int
    created_at: str

    @property
    def label(self) -> str:
        """What the shift is called on screens: its title, else its activity."""
        return self.title or self.activity

    @property
    def length(self) -> timedelta:
        """How long a date of it lasts (:data:`START_ONLY` when only a start was given)."""
        return timedelta(minutes=self.duration_minutes) if self.duration_minutes else START_ONLY

    @property
    def start_time(self) -> time:
        """The time of day it starts (site wall time)."""
        return self.first.time()

    @property
    def end_time(self) -> time | None:
        """The time of day it ends, or None for a start time only."""
        if not self.duration_minutes:
            return None
        return (self.first + timedelta(minutes=self.duration_minutes)).time()

    def ended_by(self, day: date) -> bool:
        """It has no dates on or after ``day``."""
        return self.last_day is not None and self.last_day < day

    def describe(self) -> str:
        """The rule in words: "Every Friday, 18:00-23:00" or "Once, Sat 7 Mar 2026, 09:00"."""
        rule = recurrence.parse(self.rrule)
        days = [d for d, _ in rule.byday]
        ordinals = [n for _, n in rule.byday]
        if rule.count == 1:
            when = f"Once, {self.first:%a} {self.first.day} {self.first:%b %Y}"
        elif ordinals and ordinals[0]:
            which = "last" if ordinals[0] == -1 else f"{ordinals[0]}{_suffix(ordinals[0])}"
            when = f"Monthly, the {which} {DAY_NAMES[DAYS.index(days[0])]}"
        else:
            every = "Every other" if rule.interval == 2 else "Every"
            if days == ["MO", "TU", "WE", "TH", "FR"]:
                names = "weekday"
            elif not days:
                names = DAY_NAMES[self.first.weekday()]
            else:
                names = ", ".join(DAY_NAMES[DAYS.index(d)] for d in days)
            when = f"{every} {names}"
        times = f"{self.start_time:%H:%M}" + (f"-{self.end_time:%H:%M}" if self.end_time else "")
        return f"{when}, {times}"


def _suffix(n: int) -> str:
    return {1: "st", 2: "nd", 3: "rd"}.get(n, "th")


@dataclass(frozen=True)
class Occurrence:
    """One date of a shift: when it starts and ends (UTC) and whether it was left out."""

    shift: Shift
    day: date  # the site's local date it starts on
    start: datetime
    end: datetime
    cancelled: bool = False

    @property
    def key(self) -> str:
        """How a date of a shift is named in forms: '<shift id>/<YYYY-MM-DD>'."""
        return f"{self.shift.id}/{self.day.isoformat()}"

    @property
    def start_only(self) -> bool:
        """The shift has a start time only."""
        return not self.shift.duration_minutes


def _shift(row: sqlite3.Row) -> Shift:
    return Shift(
        id=int(row["id"]),
        activity=str(row["activity"]),
        title=str(row["title"]),
        rrule=str(row["rrule"]),
        first=datetime.fromisoformat(row["dtstart_local"]),
        duration_minutes=int(row["duration_minutes"]) if row["duration_minutes"] else None,
        last_day=date.fromisoformat(row["last_day"]) if row["last_day"] else None,
        needs=int(row["needs"]),
        created_at=str(row["created_at"]),
    )


def get(conn: sqlite3.Connection, shift_id: int) -> Shift | None:
    """A shift by id, or None."""
    row = conn.execute("SELECT * FROM shifts WHERE id = ?", (shift_id,)).fetchone()
    return _shift(row) if row else None


def list_shifts(conn: sqlite3.Connection, today: date, *, include_ended: bool = False) -> list[Shift]:
    """Shifts by activity and start time; ended ones (last day before ``today``) when asked."""
    rows = conn.execute("SELECT * FROM shifts ORDER BY activity COLLATE NOCASE, title COLLATE NOCASE, id")
    found = [_shift(r) for r in rows]
    found.sort(key=lambda s: (s.activity.casefold(), s.start_time, s.label.casefold(), s.id))
    return [s for s in found if include_ended or not s.ended_by(today)]


# -- what an admin types -----------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """A shift as asked for on the dashboard, checked (see :func:`read_plan`)."""

    activity: str
    title: str
    rrule: str
    first: datetime
    duration_minutes: int | None
    last_day: date | None
    needs: int


def _clock_time(text: str, label: str, field: str) -> time:
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise RotaError(f"The {label} {text.strip()[:20]!r} is not a time; type it like 18:00.", field=field) from None


def rule_for(repeat: str, days: tuple[str, ...], first_day: date) -> str:
    """The RRULE for a repeat choice (a key of :data:`REPEATS`) and the days ticked."""
    weekday = DAYS[first_day.weekday()]
    if repeat == "once":
        return recurrence.parse("FREQ=WEEKLY;COUNT=1").text
    if repeat == "monthly":
        ordinal = (first_day.day - 1) // 7 + 1
        if ordinal == 5 or (first_day + timedelta(days=7)).month != first_day.month:
            ordinal = -1  # the last one of its month reads better as "the last Friday"
        return recurrence.monthly_by_weekday(ordinal, weekday)
    if repeat not in ("weekly", "fortnightly"):
        raise RotaError(f"Choose how it repeats: {', '.join(REPEATS)}.", field="repeat")
    chosen = [d for d in DAYS if d in days] or [weekday]
    interval = ";INTERVAL=2" if repeat == "fortnightly" else ""
    return recurrence.parse(f"FREQ=WEEKLY{interval};BYDAY={','.join(chosen)}").text


def read_plan(form: Mapping[str, str], days: tuple[str, ...], activities: tuple[str, ...]) -> Plan:
    """Check what was typed into the shift form; a wrong field is a :class:`RotaError` naming it.

    ``form`` has activity, title, repeat, first_day, start, end (may be empty: a start
    time only), last_day (may be empty: runs on) and needs; ``days`` the weekdays ticked
    (MO..SU).
    """
    activity = form.get("activity", "")
    if activity not in activities:
        raise RotaError(f"Choose one of the activities: {', '.join(activities)}.", field="activity")
    try:
        title = clean_text(form.get("title", ""), "name of the shift", MAX_TITLE)
    except InputError as exc:
        raise RotaError(str(exc), field="title") from None
    try:
        first_day = parse_date(form.get("first_day", ""), "first day")
    except InputError as exc:
        raise RotaError(str(exc), field="first_day") from None
    start = _clock_time(form.get("start", ""), "start time", "start")
    duration: int | None = None
    if form.get("end", "").strip():
        end = _clock_time(form["end"], "end time", "end")
        minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
        if minutes == 0:
            raise RotaError("The end time is the start time; leave it empty for a start time only.", field="end")
        duration = minutes if minutes > 0 else minutes + 24 * 60  # ends after midnight
    last_day = None
    if form.get("last_day", "").strip():
        try:
            last_day = parse_date(form["last_day"], "last day")
        except InputError as exc:
            raise RotaError(str(exc), field="last_day") from None
        if last_day < first_day:
            raise RotaError(f"The last day ({last_day}) is before the first ({first_day}).", field="last_day")
    needs = _needs(form.get("needs", ""))
    rule = rule_for(form.get("repeat", ""), days, first_day)
    return Plan(activity, title, rule, datetime.combine(first_day, start), duration, last_day, needs)


def _needs(text: str) -> int:
    try:
        needs = int(text.strip())
    except ValueError:
        raise RotaError(f"How many volunteers: {text.strip()[:20]!r} is not a whole number.", field="needs") from None
    if not 1 <= needs <= MAX_NEEDS:
        raise RotaError(f"How many volunteers must be from 1 to {MAX_NEEDS}.", field="needs")
    return needs


def create(conn: sqlite3.Connection, plan: Plan, now: datetime) -> Shift:
    """Store a new shift; returns it."""
    with transaction(conn):
        cur = conn.execute(
            "INSERT INTO shifts (activity, title, rrule, dtstart_local, duration_minutes, last_day, needs,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (plan.activity, plan.title, plan.rrule, plan.first.strftime(_WALL), plan.duration_minutes,
             plan.last_day.isoformat() if plan.last_day else None, plan.needs, iso(now), iso(now)),
        )
    shift = get(conn, int(cur.lastrowid or 0))
    assert shift is not None
    return shift


def change(
    conn: sqlite3.Connection, shift_id: int, form: Mapping[str, str], activities: tuple[str, ...], now: datetime
) -> Shift:
    """Change a shift's activity, name, times, last day or how many it needs.

    Its days stay (people took dates by day, so they keep them when the time moves); to
    change the days, end it and add another.
    """
    shift = get(conn, shift_id)
    if shift is None:
        raise RotaError(f"There is no shift #{shift_id}.")
    plan = read_plan({**form, "first_day": shift.first.date().isoformat(), "repeat": "once"}, (), activities)
    if plan.last_day is not None and plan.last_day < shift.first.date():
        raise RotaError(f"The last day ({plan.last_day}) is before the first ({shift.first.date()}).", field="last_day")
    with transaction(conn):
        conn.execute(
            "UPDATE shifts SET activity = ?, title = ?, dtstart_local = ?, duration_minutes = ?, last_day = ?,"
            " needs = ?, updated_at = ? WHERE id = ?",
            (plan.activity, plan.title, plan.first.strftime(_WALL), plan.duration_minutes,
             plan.last_day.isoformat() if plan.last_day else None, plan.needs, iso(now), shift_id),
        )
    changed = get(conn, shift_id)
    assert changed is not None
    return changed


def leave_out(conn: sqlite3.Connection, config: Config, shift_id: int, day: date, now: datetime) -> Occurrence:
    """Leave one date out of a shift (the hall is closed that day); who took it keeps the
    place in case it is put back."""
    occurrence = occurrence_on(conn, config, shift_id, day)
    with transaction(conn):
        conn.execute(
            "INSERT OR IGNORE INTO shift_exceptions (shift_id, day, kind, created_at) VALUES (?, ?, 'cancelled', ?)",
            (shift_id, day.isoformat(), iso(now)),
        )
    return occurrence


def left_out_days(conn: sqlite3.Connection, shift_id: int) -> list[date]:
    """The dates left out of a shift, earliest first."""
    rows = conn.execute("SELECT day FROM shift_exceptions WHERE shift_id = ? ORDER BY day", (shift_id,))
    return [date.fromisoformat(r[0]) for r in rows]


def put_back(conn: sqlite3.Connection, shift_id: int, day: date) -> bool:
    """Put a date left out back; True if it was left out."""
    with transaction(conn):
        cur = conn.execute("DELETE FROM shift_exceptions WHERE shift_id = ? AND day = ?", (shift_id, day.isoformat()))
    return cur.rowcount > 0


# -- dates -------------------------------------------------------------------------------


def _dates(shift: Shift, zone: ZoneInfo, start: datetime, end: datetime, left_out: set[tuple[int, str]]) -> list[Occurrence]:
    rule = recurrence.parse(shift.rrule)
    found = []
    # From a length before ``start``, so a shift already under way is found too.
    for begin in rule.between(shift.first, zone, start - shift.length, end):
        day = begin.astimezone(zone).date()
        if shift.ended_by(day):
            continue
        occurrence = Occurrence(shift, day, begin, begin + shift.length, (shift.id, day.isoformat()) in left_out)
        if occurrence.end > start:
            found.append(occurrence)
    return found


def occurrences(
    conn: sqlite3.Connection, config: Config, start: datetime, end: datetime, *,
    include_left_out: bool = False, shift_ids: set[int] | None = None,
) -> list[Occurrence]:
    """Dates of every shift that overlap [start, end), earliest first (those left out only
    when asked; only the shifts ``shift_ids`` when given)."""
    zone = config.site.zone
    first_day = (start.astimezone(zone) - timedelta(days=1)).date().isoformat()
    shifts = [_shift(r) for r in conn.execute(
        "SELECT * FROM shifts WHERE (last_day IS NULL OR last_day >= ?) AND dtstart_local < ?",
        (first_day, (end.astimezone(zone) + timedelta(days=1)).strftime(_WALL)),
    )]
    if shift_ids is not None:
        shifts = [s for s in shifts if s.id in shift_ids]
    left_out = {(int(r[0]), str(r[1])) for r in conn.execute(
        "SELECT shift_id, day FROM shift_exceptions WHERE day >= ?", (first_day,))}
    found = [o for s in shifts for o in _dates(s, zone, start, end, left_out)]
    if not include_left_out:
        found = [o for o in found if not o.cancelled]
    return sorted(found, key=lambda o: (o.start, o.shift.label.casefold(), o.shift.id))


def occurrence_on(conn: sqlite3.Connection, config: Config, shift_id: int, day: date) -> Occurrence:
    """The date ``day`` of a shift (left out or not); :class:`RotaError` if it has none that day."""
    shift = get(conn, shift_id)
    if shift is None:
        raise RotaError(f"There is no shift #{shift_id}.", code="no_such_date")
    zone = config.site.zone
    lo = datetime.combine(day, time(0), zone)
    left_out = {(int(r[0]), str(r[1])) for r in conn.execute(
        "SELECT shift_id, day FROM shift_exceptions WHERE shift_id = ? AND day = ?", (shift_id, day.isoformat()))}
    for occurrence in _dates(shift, zone, lo, lo + timedelta(days=1), left_out):
        if occurrence.day == day:
            return occurrence
    raise RotaError(f"{shift.label} does not happen on {day:%a} {day.day} {day:%b %Y}.", code="no_such_date")


def parse_key(key: str) -> tuple[int, date]:
    """A date of a shift as named in forms ('<shift id>/<YYYY-MM-DD>', :attr:`Occurrence.key`)."""
    shift_text, _, day_text = key.partition("/")
    try:
        shift_id = int(shift_text)
        if not 0 < shift_id < 2**63:
            raise ValueError(shift_text)
        return shift_id, parse_date(day_text, "day")
    except (ValueError, InputError):
        raise RotaError(f"{key[:40]!r} does not name a date of a shift.", code="no_such_date") from None
