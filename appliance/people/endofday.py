"""End of day: at closing time, people still signed in are marked "presumed left".

Nothing is deleted: the visit keeps its sign-in time, gets ``end_reason =
'presumed_left'`` and ``signed_out_at`` = the closing time, and the next morning's
dashboard lists them so someone can check. Closing times come from the site's opening
hours (with the dashboard's overrides), in the site's timezone.
"""

from __future__ import annotations

import logging
from datetime import datetime

from appliance.core.clock import Clock, parse_iso
from appliance.core.config import Config
from appliance.core.hours import closing_after
from appliance.people import visits
from appliance.storage import settings
from appliance.storage.db import Database

log = logging.getLogger(__name__)

PRESUMED_LEFT = "presumed_left"


class EndOfDayError(Exception):
    """The end-of-day sweep cannot work out a closing time."""


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
            ended.append(visits.sign_out(tx, closing, visit.id, reason=PRESUMED_LEFT))
    if ended:
        log.info("end of day: %d visit(s) still open at closing marked presumed left", len(ended))
    return ended


def sweep_job(db: Database, config: Config, clock: Clock) -> None:
    """Housekeeping: the end-of-day sweep."""
    sweep(db, config, clock.now())
