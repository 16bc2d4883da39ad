"""Opening hours: when a place is open on a given day, worked out in one place.

The site's hours (``[site.opening_hours]``, or the Settings page's override) and a room's
own hours are written the same way: ``'HH:MM-HH:MM'`` or ``'closed'``, with ``'24:00'``
meaning the next midnight. Times are built on the site's wall clock, so a day with a
clock change is still open 09:00-22:00 local (and 23 or 25 hours long overall).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from appliance.core.config import Config

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CLOSED = "closed"


def window(hours: str, day: date, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    """When a place with ``hours`` is open on the local ``day``: [opens, closes) as aware
    site-time datetimes, or None when it is closed that day."""
    if hours == CLOSED:
        return None
    start_text, end_text = hours.split("-")
    opens = datetime.combine(day, time.fromisoformat(start_text), zone)
    if end_text == "24:00":
        closes = datetime.combine(day + timedelta(days=1), time(0, 0), zone)
    else:
        closes = datetime.combine(day, time.fromisoformat(end_text), zone)
    return opens, closes


def site_hours(config: Config, day: date) -> str:
    """The site's hours text for the weekday of ``day``."""
    value: str = getattr(config.site.opening_hours, DAYS[day.weekday()])
    return value


def site_window(config: Config, day: date) -> tuple[datetime, datetime] | None:
    """When the site is open on the local ``day`` (see :func:`window`)."""
    return window(site_hours(config, day), day, config.site.zone)


def is_open(config: Config, now: datetime) -> bool:
    """Whether the site is within its opening hours at ``now``."""
    found = site_window(config, now.astimezone(config.site.zone).date())
    return found is not None and found[0] <= now < found[1]


def closings(config: Config, around: datetime, days_back: int, days_ahead: int) -> list[datetime]:
    """The site's closing times (UTC, in order) of the local days from ``days_back`` days
    before ``around``'s local date to ``days_ahead`` days after it."""
    today = around.astimezone(config.site.zone).date()
    found = []
    for offset in range(-days_back, days_ahead + 1):
        opened = site_window(config, today + timedelta(days=offset))
        if opened is not None:
            found.append(opened[1].astimezone(UTC))
    return found


def last_closing(config: Config, now: datetime) -> datetime | None:
    """The most recent closing time at or before ``now`` (within a week), in UTC."""
    past = [closing for closing in closings(config, now, 7, 0) if closing <= now]
    return past[-1] if past else None


def closing_after(config: Config, after: datetime) -> datetime | None:
    """The first closing time (UTC) strictly after ``after``, within eight days; None if always closed."""
    # a '24:00' closing belongs to the day before
    later = [closing for closing in closings(config, after, 1, 7) if closing > after]
    return later[0] if later else None
