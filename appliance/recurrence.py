"""Recurring bookings: the RFC 5545 RRULE subset a hall needs.

Supported: weekly (``FREQ=WEEKLY``, optional ``BYDAY=MO,TH``), fortnightly (weekly with
``INTERVAL=2``), monthly by weekday (``FREQ=MONTHLY;BYDAY=2TU`` the 2nd Tuesday,
``BYDAY=-1FR`` the last Friday); ended by ``UNTIL`` or ``COUNT`` (or neither: it runs
on, stored up to the horizon). Anything else is refused with a message saying what is
supported, rather than half-understood.

The expansion itself is python-dateutil's ``rrule``: RFC 5545's COUNT/UNTIL and
ordinal-weekday rules are easy to get subtly wrong by hand, and dateutil is the
long-maintained implementation the icalendar ecosystem already uses. We expand on the
site's *wall clock* (naive local times) and only then attach the timezone, so a
19:00 weekly class stays at 19:00 when the clocks change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
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

    def between(self, dtstart_local: datetime, zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
        """Occurrence starts (aware UTC) with start <= occurrence < end, for a series that
        began at the naive local ``dtstart_local``."""
        weekdays = [_DAYS[d](n) if n else _DAYS[d] for d, n in self.byday] or None
        rule = du.rrule(
            self.freq,
            dtstart=dtstart_local,
            interval=self.interval,
            byweekday=weekdays,
            count=self.count,
            until=self.until,
        )
        # Widen by a day each side on the wall clock, then filter exactly in UTC.
        lo = start.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
        hi = end.astimezone(zone).replace(tzinfo=None) + timedelta(days=1)
        found = []
        for wall in rule.between(lo, hi, inc=True):
            moment = to_utc(wall, zone)
            if start <= moment < end:
                found.append(moment)
        return found


def to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """A naive site wall time as aware UTC. In the spring-forward gap the time is moved
    on by the gap (zoneinfo's fold=0 reading), in the autumn repeat the first one is used."""
    return wall.replace(tzinfo=zone).astimezone(UTC)


def parse(text: str) -> Rule:
    """Read an RRULE (with or without the 'RRULE:' prefix) in the supported subset."""
    body = text.strip().removeprefix("RRULE:")
    parts: dict[str, str] = {}
    for item in body.split(";"):
        name, sep, value = item.partition("=")
        if not sep or not value or name.upper() in parts:
            raise RecurrenceError(f"cannot read {item!r} in the rule {text!r}: expected NAME=VALUE parts")
        parts[name.upper()] = value.upper()
    allowed = {"FREQ", "INTERVAL", "BYDAY", "COUNT", "UNTIL", "WKST"}
    if extra := set(parts) - allowed:
        raise RecurrenceError(f"{', '.join(sorted(extra))} not supported: use FREQ, INTERVAL, BYDAY, COUNT or UNTIL")
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
    if freq == du.MONTHLY and len(byday) != 1:
        raise RecurrenceError("a monthly rule needs exactly one BYDAY like 2TU (2nd Tuesday) or -1FR (last Friday)")
    until = _until(parts["UNTIL"]) if "UNTIL" in parts else None
    canonical = ";".join(
        [f"FREQ={parts['FREQ']}"]
        + ([f"INTERVAL={interval}"] if interval != 1 else [])
        + ([f"BYDAY={','.join((str(n) if n else '') + d for d, n in byday)}"] if byday else [])
        + ([f"COUNT={count}"] if count else [])
        + ([f"UNTIL={parts['UNTIL']}"] if until else [])
    )
    return Rule(canonical, freq, interval, tuple(byday), count, until)


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
