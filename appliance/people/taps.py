"""Fob taps: what a tap at the reader does, and what the kiosk may do for its holder after.

A tap toggles its holder in or out (a second tap within :data:`REPEAT` changes nothing),
checks an organiser's booking in, and writes the outcome to the state key
``kiosk/last_fob``, which the kiosk page hears through its live stream. A tap by a known
person carries a one-time token: the kiosk page that showed the tap sends it back to act
for that person for a short while (choose what they are here for, take or give up a
shift, undo a sign-out they did not mean), until someone else taps.
"""

from __future__ import annotations

import hmac
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from appliance.booking import attendance
from appliance.core.clock import iso, parse_iso
from appliance.core.config import Config
from appliance.core.events import FobRead
from appliance.outbox.tx import Tx
from appliance.people import identify, register
from appliance.people.visits import (
    Visit,
    VisitError,
    get,
    last_ended_visit_of,
    open_visit,
    open_visit_of,
    sign_out,
)
from appliance.sensing.recorder import Rules
from appliance.storage import state

# What the kiosk shows after a tap (first name only, on the Pi's own screen).
LAST_FOB_KEY = "kiosk/last_fob"
# The last card nobody holds, for the dashboard's assign-a-fob form.
LAST_UNKNOWN_KEY = "fob/last_unknown"
# A second tap of the same fob within this long changes nothing (people tap twice to be
# sure; the second must not flip them straight back out, or in).
REPEAT = timedelta(seconds=60)
# What a tap lets the kiosk do for its holder afterwards (choose an activity, take a
# shift, undo a sign-out), and for how long: until someone else taps, at most this long.
TAP_WINDOW = timedelta(minutes=5)


@dataclass(frozen=True)
class Tap:
    """The last fob tap as the agent recorded it (``kiosk/last_fob``), for the kiosk page
    that showed it: its holder, the visit it opened or ended, and its one-time ``token``."""

    at: datetime
    outcome: str
    token: str
    person_id: int | None
    visit_id: int | None
    kind: str
    first_name: str
    activity: str
    chosen: bool = False  # the holder chose the activity on the screen (not only their shift's)
    ballot_key: str = ""  # a vote's receipt key, when the tap answered "who are you?" (appliance/decisions)

    @property
    def volunteer(self) -> bool:
        """The holder is a volunteer (their tap leads to the activity question and the rota)."""
        return self.kind == "volunteer"


def record_fob_outcome(
    conn: sqlite3.Connection, at: datetime, outcome: str, first_name: str = "", *,
    person: register.Person | None = None, visit_id: int | None = None, activity: str = "", ballot_key: str = "",
) -> None:
    """Tell the open kiosk page what a tap did (read through its live stream).

    A tap by a known person gets a token (kept while the same person taps again) that the
    kiosk page sends back to act for them; ids stay on the server (:func:`last_fob_public`).
    """
    value: dict[str, Any] = {"at": iso(at), "outcome": outcome, "first_name": first_name}
    if person is not None:
        previous = last_tap(conn)
        same = previous is not None and previous.person_id == person.id and at - previous.at <= TAP_WINDOW
        value.update(
            tap=previous.token if same and previous is not None else secrets.token_urlsafe(12),
            person_id=person.id, visit_id=visit_id, kind=person.kind, activity=activity,
        )
        if ballot_key:  # only for a tap that answered the kiosk's "who are you?" (a vote); spent by it
            value["ballot_key"] = ballot_key
    state.put(conn, LAST_FOB_KEY, value, iso(at))


def last_tap(conn: sqlite3.Connection) -> Tap | None:
    """The last tap by a known person, or None (nobody yet, an unknown fob, an odd value)."""
    value = state.get(conn, LAST_FOB_KEY)
    if not isinstance(value, dict) or not value.get("tap"):
        return None
    try:
        return Tap(
            at=parse_iso(str(value["at"])), outcome=str(value["outcome"]), token=str(value["tap"]),
            person_id=int(value["person_id"]), visit_id=int(value["visit_id"]) if value.get("visit_id") else None,
            kind=str(value.get("kind", "")), first_name=str(value.get("first_name", "")),
            activity=str(value.get("activity", "")), chosen=bool(value.get("chosen", False)),
            ballot_key=str(value.get("ballot_key", "")),
        )
    except (KeyError, TypeError, ValueError):
        return None


def tap_of(conn: sqlite3.Connection, token: str, now: datetime) -> Tap | None:
    """The last tap if ``token`` is its token and it is still fresh (:data:`TAP_WINDOW`), else None.

    A later tap by someone else, or time, ends what the kiosk may do for the earlier one.
    """
    tap = last_tap(conn)
    if tap is None or not token or not hmac.compare_digest(tap.token.encode(), token.encode()):
        return None
    if not timedelta(0) <= now - tap.at <= TAP_WINDOW:
        return None
    return tap


def note_activity(conn: sqlite3.Connection, visit_id: int, activity: str, *, chosen: bool) -> None:
    """Remember on the last tap what its visit is for (``chosen`` by its holder on the
    screen, or their shift's), when the tap opened that visit. Its time stays, so the
    kiosk page does not show the tap again."""
    value = state.get(conn, LAST_FOB_KEY)
    if isinstance(value, dict) and value.get("visit_id") == visit_id:
        state.put(conn, LAST_FOB_KEY, {**value, "activity": activity, "chosen": chosen}, str(value.get("at", "")))


def spend(conn: sqlite3.Connection, tap: Tap) -> None:
    """The kiosk acted on this tap for the last time (a vote was cast): its holder, token
    and ballot key go, so nothing of whose tap it was stays beside the vote (call inside
    the vote's transaction). Its time stays, so the page does not show it again."""
    value = state.get(conn, LAST_FOB_KEY)
    if isinstance(value, dict) and value.get("tap") == tap.token:
        state.put(conn, LAST_FOB_KEY, {"at": value.get("at"), "outcome": "spent", "first_name": ""},
                  str(value.get("at", "")))
    identify.forget(conn)


def last_fob_public(value: dict[str, Any], fresh: bool) -> dict[str, Any]:
    """What the kiosk page may hear of the last tap: never ids; the first name, the token
    and the activity only while ``fresh``."""
    shown: dict[str, Any] = {"at": value.get("at"), "outcome": value.get("outcome"), "first_name": ""}
    if fresh:
        shown["first_name"] = value.get("first_name", "")
        if value.get("tap"):
            shown.update(tap=value["tap"], volunteer=value.get("kind") == "volunteer",
                         activity=value.get("activity", ""))
    return shown


def _within(moment: str | None, now: datetime, span: timedelta) -> bool:
    # Negative ages (the clock moved back since) do not count as "just now".
    return moment is not None and timedelta(0) <= now - parse_iso(moment) < span


def toggle_by_card(
    conn: sqlite3.Connection,
    config: Config,
    now: datetime,
    card_hash: str,
    source: str = "fob",
) -> dict[str, Any]:
    """A fob tap: sign its holder in (or out if in), or remember an unknown card.

    A second tap within :data:`REPEAT` of the last change does nothing (``still_in`` /
    ``still_out``). Returns the outcome as written to ``kiosk/last_fob``.
    """
    person = register.by_card(conn, card_hash)
    if person is None:
        state.put(conn, LAST_UNKNOWN_KEY, {"card_hash": card_hash, "at": iso(now)}, iso(now))
        record_fob_outcome(conn, now, "unknown")
        return {"outcome": "unknown", "first_name": ""}
    visit = open_visit_of(conn, person.id)
    visit_id: int | None
    activity = ""
    if visit is not None and _within(visit.signed_in_at, now, REPEAT):
        outcome, visit_id, activity = "still_in", visit.id, visit.activity
    elif visit is not None:
        sign_out(conn, now, visit.id)
        outcome, visit_id = "signed_out", visit.id
    elif (ended := last_ended_visit_of(conn, person.id)) is not None and _within(ended.signed_out_at, now, REPEAT):
        outcome, visit_id = "still_out", ended.id
    else:
        opened = open_visit(conn, config.site.zone, now, person.id, None, person.kind, "", "", source)
        outcome, visit_id = "signed_in", opened.id
        _check_in_booking(conn, config, person.id, now)
    record_fob_outcome(conn, now, outcome, person.first_name, person=person, visit_id=visit_id, activity=activity)
    return {"outcome": outcome, "first_name": person.first_name}


def keep_signed_in(conn: sqlite3.Connection, tap: Tap, now: datetime) -> Visit:
    """Undo the sign-out a tap just made ("Not leaving? Keep me signed in"): the same visit
    is open again, as if the tap had not happened."""
    if tap.outcome != "signed_out" or tap.visit_id is None or tap.person_id is None:
        raise VisitError("That tap did not sign anyone out.")
    visit = get(conn, tap.visit_id)
    if visit is None or visit.signed_out_at is None or parse_iso(visit.signed_out_at) != tap.at:
        raise VisitError("That sign-out was already changed; tap your fob again.")
    if open_visit_of(conn, tap.person_id) is not None:
        raise VisitError("You are already signed in again.")
    conn.execute("UPDATE visits SET signed_out_at = NULL, end_reason = NULL WHERE id = ?", (visit.id,))
    person = register.get(conn, tap.person_id)
    # A new moment, so the open page shows it: "Ada, you are still signed in."
    record_fob_outcome(conn, now, "still_in", tap.first_name, person=person, visit_id=visit.id,
                       activity=visit.activity)
    kept = get(conn, visit.id)
    assert kept is not None
    return kept


def _check_in_booking(conn: sqlite3.Connection, config: Config, person_id: int, now: datetime) -> None:
    """An organiser's tap checks in their booking that starts soon or is running."""
    window = timedelta(minutes=config.bookings.checkin_window_minutes)
    attendance.check_in_by_person(conn, person_id, now, window)


def _fob_read(tx: Tx, event: FobRead) -> None:
    # A member booking at the kiosk asked to be known by their fob: this tap says who they
    # are, and signs nobody in or out (appliance.people.identify).
    if identify.waiting(tx.conn, event.at):
        voting = identify.purpose(tx.conn) == "vote"
        person = identify.answer(tx.conn, event.at, event.card_hash)
        if person is not None:
            record_fob_outcome(tx.conn, event.at, "identified", person.first_name, person=person,
                               ballot_key=event.ballot_key if voting else "")
            return
    toggle_by_card(tx.conn, tx.config, event.at, event.card_hash)


RULES: Rules = {FobRead: (_fob_read,)}
