"""Recurring bookings: the RFC 5545 RRULE subset a hall needs.

Supported: weekly (``FREQ=WEEKLY``, optional ``BYDAY=MO,TH``), fortnightly (weekly with
``INTERVAL=2``), monthly by weekday (``FREQ=MONTHLY;BYDAY=2TU`` the 2nd Tuesday,
``BYDAY=-1FR`` the last Friday), monthly by date (``FREQ=MONTHLY;BYMONTHDAY=14``; a month
without that date is passed over, as RFC 5545 says); ended by ``UNTIL`` or ``COUNT`` (or
neither: it runs on, stored up to the horizon). :func:`rule_for` turns the choices of the
dashboard's form into a rule and :func:`describe` says a rule in words. Anything else is refused with a message saying what is
supported, rather than half-understood.

The expansion itself is python-dateutil's ``rrule``: RFC 5545's COUNT/UNTIL and
ordinal-weekday rules are easy to get subtly wrong by hand, and dateutil is the
long-maintained implementation the icalendar ecosystem already uses. We expand on the
site's *wall clock* (naive local times) and only then attach the timezone, so a
19:00 weekly class stays at 19:00 when the clocks change.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil import rrule as du

_DAYS = {"MO": du.MO, "TU": du.TU, "WE": du.WE, "TH": du.TH, "FR": du.FR, "SA": du.SA, "SU": du.SU}
_BYDAY = re.compile(r"^([+-]?[1-5])?(MO|TU|WE|TH|FR|SA|SU)$")
MAX_COUNT = 520  # ten years of weekly meetings


class RecurrenceError(Exception):
    """A rule outside the supported subset, or one that cannot be read."""


@dataclass(frozen=True)
class Rule:
    """A parsed rule; ``text`` is its canonical RRULE form."""

    text: str
    freq: int
    interval: int
    byday: tuple[tuple[str, int | None], ...]  # (weekday, ordinal or None)
    count: int | None
    until: datetime | None  # naive site wall time, inclusive
    bymonthday: int | None = None

    def between(self, dtstart_local: datetime, zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
        """Occurrence starts (aware UTC) with start <= occurrence < end, for a series that
        began at the naive local ``dtstart_local``."""
        # Widen by a day each side on the wall clock, then filter exactly in UTC.
        lo = start.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
        hi = end.astimezone(zone).replace(tzinfo=None) + timedelta(days=1)
        rule = _expansion(self, _closer_start(self, dtstart_local, lo))
        found = []
        for wall in rule.between(lo, hi, inc=True):
            moment = to_utc(wall, zone)
            if start <= moment < end:
                found.append(moment)
        return found


def _closer_start(rule: Rule, dtstart_local: datetime, lo: datetime) -> datetime:
    """A first start that gives the same occurrences from ``lo`` on, but at most one
    period before it: dateutil walks every occurrence from the first start, and a shift
    that began two years ago would otherwise be walked from then on every refresh.

    A whole number of periods is skipped (weeks times the interval, or months times the
    interval from the 1st of a month), so week parity and "the 2nd Tuesday" are kept. A
    rule with COUNT keeps its start: moving it would change what is counted.
    """
    if rule.count is not None or lo <= dtstart_local:
        return dtstart_local
    if rule.freq == du.MONTHLY and not rule.byday and rule.bymonthday is None:
        return dtstart_local  # "monthly" on dtstart's own date: the 1st would change it
    if rule.freq == du.WEEKLY:
        step = 7 * rule.interval
        return dtstart_local + timedelta(days=((lo - dtstart_local).days // step) * step)
    months = (lo.year - dtstart_local.year) * 12 + (lo.month - dtstart_local.month)
    periods = months // rule.interval
    if periods < 1:
        return dtstart_local
    index = dtstart_local.year * 12 + dtstart_local.month - 1 + periods * rule.interval
    return dtstart_local.replace(year=index // 12, month=index % 12 + 1, day=1)


@functools.lru_cache(maxsize=512)
def _expansion(rule: Rule, dtstart_local: datetime) -> du.rrule:
    """dateutil's rrule for a rule and a first start, made once: the rota works out every
    shift's dates on each refresh of the derived topics, and building one costs more than
    asking it for a week."""
    weekdays = [_DAYS[d](n) if n else _DAYS[d] for d, n in rule.byday] or None
    return du.rrule(rule.freq, dtstart=dtstart_local, interval=rule.interval, byweekday=weekdays,
                    bymonthday=rule.bymonthday, count=rule.count, until=rule.until)


def to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """A naive site wall time as aware UTC. In the spring-forward gap the time is moved
    on by the gap (zoneinfo's fold=0 reading), in the autumn repeat the first one is used."""
    return wall.replace(tzinfo=zone).astimezone(UTC)


@functools.lru_cache(maxsize=512)
def parse(text: str) -> Rule:
    """Read an RRULE (with or without the 'RRULE:' prefix) in the supported subset (cached:
    a Rule is immutable, and the rota reads the same few rules on every refresh)."""
    body = text.strip().removeprefix("RRULE:")
    parts: dict[str, str] = {}
    for item in body.split(";"):
        name, sep, value = item.partition("=")
        if not sep or not value or name.upper() in parts:
            raise RecurrenceError(f"cannot read {item!r} in the rule {text!r}: expected NAME=VALUE parts")
        parts[name.upper()] = value.upper()
    allowed = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "COUNT", "UNTIL", "WKST"}
    if extra := set(parts) - allowed:
        raise RecurrenceError(f"{', '.join(sorted(extra))} not supported: use FREQ, INTERVAL, BYDAY, BYMONTHDAY, COUNT or UNTIL")
    freq = {"WEEKLY": du.WEEKLY, "MONTHLY": du.MONTHLY}.get(parts.get("FREQ", ""))
    if freq is None:
        raise RecurrenceError(f"FREQ must be WEEKLY or MONTHLY, not {parts.get('FREQ', 'missing')!r}")
    try:
        interval = int(parts.get("INTERVAL", "1"))
        count = int(parts["COUNT"]) if "COUNT" in parts else None
    except ValueError:
        raise RecurrenceError(f"INTERVAL and COUNT must be whole numbers in {text!r}") from None
    if not 1 <= interval <= (2 if freq == du.WEEKLY else 12):
        raise RecurrenceError(f"INTERVAL={interval} not supported (weekly: 1 or 2; monthly: 1-12)")
    if count is not None and not 1 <= count <= MAX_COUNT:
        raise RecurrenceError(f"COUNT={count} must be between 1 and {MAX_COUNT}")
    if count is not None and "UNTIL" in parts:
        raise RecurrenceError("a rule has UNTIL or COUNT, not both (RFC 5545)")
    byday: list[tuple[str, int | None]] = []
    for item in filter(None, parts.get("BYDAY", "").split(",")):
        match = _BYDAY.match(item)
        if not match:
            raise RecurrenceError(f"BYDAY value {item!r} must look like TU, 2TU or -1FR")
        ordinal = int(match[1]) if match[1] else None
        if (ordinal is not None) != (freq == du.MONTHLY):
            raise RecurrenceError(
                f"BYDAY {item!r}: weekly rules take plain days (MO,TH); monthly ones one ordinal day (2TU, -1FR)"
            )
        byday.append((match[2], ordinal))
    monthday = _monthday(parts.get("BYMONTHDAY"), freq)
    if freq == du.MONTHLY and monthday is None and len(byday) != 1:
        raise RecurrenceError("a monthly rule needs exactly one BYDAY like 2TU (2nd Tuesday) or -1FR (last Friday),"
                              " or a BYMONTHDAY like 14")
    if monthday is not None and byday:
        raise RecurrenceError("a monthly rule has BYDAY or BYMONTHDAY, not both")
    until = _until(parts["UNTIL"]) if "UNTIL" in parts else None
    canonical = ";".join(
        [f"FREQ={parts['FREQ']}"]
        + ([f"INTERVAL={interval}"] if interval != 1 else [])
        + ([f"BYDAY={','.join((str(n) if n else '') + d for d, n in byday)}"] if byday else [])
        + ([f"BYMONTHDAY={monthday}"] if monthday is not None else [])
        + ([f"COUNT={count}"] if count else [])
        + ([f"UNTIL={parts['UNTIL']}"] if until else [])
    )
    return Rule(canonical, freq, interval, tuple(byday), count, until, monthday)


def _monthday(value: str | None, freq: int) -> int | None:
    if value is None:
        return None
    if freq != du.MONTHLY:
        raise RecurrenceError("BYMONTHDAY goes with FREQ=MONTHLY")
    try:
        day = int(value)
    except ValueError:
        raise RecurrenceError(f"BYMONTHDAY={value!r} must be one day of the month, 1-31") from None
    if not 1 <= day <= 31:
        raise RecurrenceError(f"BYMONTHDAY={day} must be a day of the month, 1-31")
    return day


def _until(value: str) -> datetime:
    """UNTIL as a naive wall time. A date means the whole of that day; a UTC time ('Z')
    is kept as given, which is within an hour of the wall time and only ever compared
    with occurrence starts in the evening or daytime, never at midnight."""
    try:
        if len(value) == 8:
            return datetime.combine(datetime.strptime(value, "%Y%m%d").date(), time(23, 59, 59))
        return datetime.strptime(value.rstrip("Z"), "%Y%m%dT%H%M%S")
    except ValueError:
        raise RecurrenceError(f"UNTIL={value!r} must be a date like 20261231 or 20261231T235959Z") from None


def weekly(interval: int = 1, count: int | None = None, until: str | None = None) -> str:
    """A weekly (interval 1) or fortnightly (interval 2) rule as RRULE text."""
    parts = ["FREQ=WEEKLY"] + ([f"INTERVAL={interval}"] if interval != 1 else [])
    parts += [f"COUNT={count}"] if count else []
    parts += [f"UNTIL={until}"] if until else []
    return parse(";".join(parts)).text


def monthly_by_weekday(ordinal: int, weekday: str, count: int | None = None, until: str | None = None) -> str:
    """e.g. ``monthly_by_weekday(2, "TU")`` the 2nd Tuesday, ``(-1, "FR")`` the last Friday."""
    parts = ["FREQ=MONTHLY", f"BYDAY={ordinal}{weekday.upper()}"]
    parts += [f"COUNT={count}"] if count else []
    parts += [f"UNTIL={until}"] if until else []
    return parse(";".join(parts)).text


def monthly_by_date(day: int, count: int | None = None, until: str | None = None) -> str:
    """e.g. ``monthly_by_date(14)``: the 14th of every month (months without it are passed over)."""
    parts = ["FREQ=MONTHLY", f"BYMONTHDAY={day}"]
    parts += [f"COUNT={count}"] if count else []
    parts += [f"UNTIL={until}"] if until else []
    return parse(";".join(parts)).text


# The repeats the dashboard's form offers, in its order.
REPEATS = ("weekly", "fortnightly", "monthly_date", "monthly_weekday", "monthly_last")
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ORDINALS = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th", -1: "last"}


def week_of_month(day: date) -> int:
    """Which of its weekday the date is in its month: 1 for the first Tuesday, 2 for the second..."""
    return (day.day - 1) // 7 + 1


def is_last_of_month(day: date) -> bool:
    """The date is the last of its weekday in its month (another week on is next month)."""
    return (day + timedelta(days=7)).month != day.month


def rule_for(repeat: str, first: date, *, count: int | None = None, until: date | None = None) -> str:
    """The rule for a choice on the dashboard's form, starting on ``first``: 'weekly',
    'fortnightly', 'monthly_date' (the same date each month), 'monthly_weekday' (e.g. the
    2nd Tuesday, from ``first``) or 'monthly_last' (e.g. the last Friday). Ends after
    ``count`` times or on ``until`` (that day included)."""
    if (count is None) == (until is None):
        raise RecurrenceError("a repeating booking ends on a date or after a number of times: give one of them")
    if until is not None and until < first:
        raise RecurrenceError(f"the last date ({until.isoformat()}) is before the first ({first.isoformat()})")
    end = until.strftime("%Y%m%d") if until else None
    weekday = _WEEKDAYS[first.weekday()]
    if repeat == "weekly":
        return weekly(1, count, end)
    if repeat == "fortnightly":
        return weekly(2, count, end)
    if repeat == "monthly_date":
        return monthly_by_date(first.day, count, end)
    if repeat == "monthly_weekday":
        return monthly_by_weekday(week_of_month(first), weekday, count, end)
    if repeat == "monthly_last":
        if not is_last_of_month(first):
            raise RecurrenceError(f"{first:%A} {first.day} {first:%B} is not the last {first:%A} of its month;"
                                  " choose that date, or 'the same weekday each month'")
        return monthly_by_weekday(-1, weekday, count, end)
    raise RecurrenceError(f"repeat {repeat!r} must be one of {', '.join(REPEATS)}")


def describe(text: str) -> str:
    """A rule in words: "Every week, 10 times", "Monthly on the last Friday, until 31 Dec 2026"."""
    rule = parse(text)
    if rule.freq == du.WEEKLY:
        days = " and ".join(_DAY_NAMES[_WEEKDAYS.index(d)] for d, _ in rule.byday)
        words = ("Every week" if rule.interval == 1 else "Every 2 weeks") + (f" on {days}" if days else "")
    elif rule.bymonthday is not None:
        words = f"Monthly on day {rule.bymonthday}"
    else:
        day, ordinal = rule.byday[0]
        words = f"Monthly on the {_ORDINALS.get(ordinal or 1, str(ordinal))} {_DAY_NAMES[_WEEKDAYS.index(day)]}"
    if rule.count:
        words += f", {rule.count} time{'s' if rule.count != 1 else ''}"
    elif rule.until:
        words += f", until {rule.until:%a} {rule.until.day} {rule.until:%b %Y}"
    return words
