"""End of day: at closing time, people still signed in are marked "presumed left".

Nothing is deleted: the visit keeps its sign-in time, gets ``end_reason =
'presumed_left'`` and ``signed_out_at`` = the closing time, and the next morning's
dashboard lists them so someone can check. Closing times come from the site's opening
hours (with the dashboard's overrides), in the site's timezone.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta

from appliance import settings, visits
from appliance.clock import Clock, parse_iso
from appliance.config import Config
from appliance.db import Database
from appliance.housekeeping import job

log = logging.getLogger(__name__)

PRESUMED_LEFT = "presumed_left"


class EndOfDayError(Exception):
    """The end-of-day sweep cannot work out a closing time."""


def closing_after(config: Config, after: datetime) -> datetime | None:
    """The first closing time (UTC) strictly after ``after``, within eight days; None if always closed."""
    zone = config.site.zone
    first = after.astimezone(zone).date() - timedelta(days=1)  # a '24:00' closing belongs to the day before
    for offset in range(9):
        day = first + timedelta(days=offset)
        hours = config.site.opening_hours.for_weekday(day.weekday())
        if hours is None:
            continue
        hh, mm = (int(p) for p in hours[1].split(":"))
        closing = (datetime.combine(day, time(0, 0), zone) + timedelta(hours=hh, minutes=mm)).astimezone(UTC)
        if closing > after:
            return closing
    return None


def sweep(db: Database, config: Config, now: datetime) -> list[visits.Visit]:
    """Mark every visit still open after its day's closing time as presumed left; return them."""
    conn = db.conn()
    config = settings.effective(config, conn)
    ended = []
    with db.write() as tx:
        for visit in visits.signed_in_now(tx):
            closing = closing_after(config, parse_iso(visit.signed_in_at))
            if closing is None or closing > now:
                continue
            ended.append(visits.sign_out(tx, config, closing, visit.id, reason=PRESUMED_LEFT))
    if ended:
        log.info("end of day: %d visit(s) still open at closing marked presumed left", len(ended))
    return ended


@job("endofday.presumed_left", every_seconds=60)
def _sweep_job(db: Database, config: Config, clock: Clock) -> None:
    sweep(db, config, clock.now())
