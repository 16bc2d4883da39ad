"""The one place that asks the operating system what time it is.

Everything else takes a :class:`Clock`, so tests pass a :class:`ManualClock` and move
time by hand instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Protocol


class Clock(Protocol):
    """What the code needs to know about time."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary start that never go backwards (for intervals)."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current time in UTC."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """The system's monotonic clock."""
        return time.monotonic()


class ManualClock:
    """A clock that only moves when told to; for tests and simulations."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._mono = 1000.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The clock's current time in UTC."""
        with self._lock:
            return self._now.astimezone(UTC)

    def monotonic(self) -> float:
        """Seconds advanced so far (plus an offset)."""
        with self._lock:
            return self._mono

    def advance(self, seconds: float = 0, **delta: float) -> datetime:
        """Move time forward by ``seconds`` (and/or timedelta keywords); return the new now."""
        step = timedelta(seconds=seconds, **delta)
        with self._lock:
            self._now += step
            self._mono += step.total_seconds()
            return self._now

    def set(self, when: datetime) -> None:
        """Jump the wall clock (as NTP does after boot); the monotonic clock does not move."""
        if when.tzinfo is None:
            raise ValueError("ManualClock.set needs a timezone-aware time")
        with self._lock:
            self._now = when


def iso(when: datetime) -> str:
    """A datetime as stored in the database: UTC, ISO-8601, seconds with milliseconds."""
    if when.tzinfo is None:
        raise ValueError(f"naive datetime {when!r}: times must be timezone-aware")
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def rfc3339(when: datetime | str, zone: tzinfo) -> str:
    """A moment as every JSON answer writes it: RFC 3339 in the site's timezone, whole
    seconds and the UTC offset ("2026-03-02T18:30:00+00:00"). Takes a datetime or a stored time."""
    moment = parse_iso(when) if isinstance(when, str) else when
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: times must be timezone-aware")
    return moment.astimezone(zone).isoformat(timespec="seconds")


def parse_iso(text: str) -> datetime:
    """A stored time back into an aware UTC datetime."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def human(when: datetime, zone: tzinfo, *, with_day: bool = True) -> str:
    """A moment as people read it, in the site's timezone: "Tue 3 Dec, 14:05" (or "14:05")."""
    local = when.astimezone(zone)
    clock = local.strftime("%H:%M")
    return f"{local:%a} {local.day} {local:%b}, {clock}" if with_day else clock


def human_day(day: date) -> str:
    """A date as people read it: "Tue 3 Dec 2026"."""
    return f"{day:%a} {day.day} {day:%b} {day.year}"
