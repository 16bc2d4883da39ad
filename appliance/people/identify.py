"""A fob tap that says who is at the kiosk, instead of signing them in or out.

A member booking a room at the kiosk presses "Book with my fob" (the web role calls
:func:`ask`); their next tap within :data:`ASK_SECONDS` is read by the agent's fob rule as
"this is me" (:func:`answer`), not as a sign-in; the booking then takes their id
(:func:`peek`, then :func:`forget`), so on the day their fob checks the group in. The two notes live in the
state table on the device only; the kiosk page is told the first name, never the id.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from appliance.core.clock import iso, parse_iso
from appliance.people import register
from appliance.storage import state

ASKED_KEY = "kiosk/fob_identify"  # {"asked_at", "until"}: the kiosk is waiting for a tap
ANSWER_KEY = "kiosk/identified"  # {"person_id", "at", "asked_at"}: whose tap answered it
ASK_SECONDS = 60
ANSWER_SECONDS = 180  # how long the answer waits for the booking to be confirmed


def _when(value: object, name: str) -> datetime | None:
    if not isinstance(value, dict):
        return None
    try:
        return parse_iso(str(value.get(name)))
    except (TypeError, ValueError):
        return None


def ask(conn: sqlite3.Connection, now: datetime, purpose: str = "booking") -> None:
    """The kiosk waits for a member's tap (call inside a transaction); any earlier answer
    goes. ``purpose`` is 'booking' or 'vote' (only a vote's answer carries a ballot key)."""
    state.put(conn, ASKED_KEY, {"asked_at": iso(now), "until": iso(now + timedelta(seconds=ASK_SECONDS)),
                                "purpose": purpose}, iso(now))
    conn.execute("DELETE FROM state WHERE key = ?", (ANSWER_KEY,))


def waiting(conn: sqlite3.Connection, now: datetime) -> bool:
    """Whether a tap now answers the kiosk's question rather than signing someone in or out."""
    asked = state.get(conn, ASKED_KEY)
    until = _when(asked, "until")
    return until is not None and now <= until


def purpose(conn: sqlite3.Connection) -> str:
    """What the kiosk is asking a tap for: 'booking' or 'vote' ('' when not asking)."""
    asked = state.get(conn, ASKED_KEY)
    return str(asked.get("purpose", "booking")) if isinstance(asked, dict) else ""


def answer(conn: sqlite3.Connection, now: datetime, card_hash: str) -> register.Person | None:
    """The agent's fob rule when :func:`waiting`: remember whose card it is (None: nobody's,
    and the question stays open for another try)."""
    person = register.by_card(conn, card_hash)
    if person is None:
        return None
    asked = state.get(conn, ASKED_KEY)
    state.put(conn, ANSWER_KEY, {"person_id": person.id, "at": iso(now),
                                 "asked_at": asked.get("asked_at") if isinstance(asked, dict) else None}, iso(now))
    conn.execute("DELETE FROM state WHERE key = ?", (ASKED_KEY,))
    return person


def peek(conn: sqlite3.Connection, now: datetime) -> int | None:
    """The person whose tap answered the kiosk's question, if it was recent, else None."""
    found = state.get(conn, ANSWER_KEY)
    at = _when(found, "at")
    if at is None or not timedelta(0) <= now - at <= timedelta(seconds=ANSWER_SECONDS):
        return None
    person_id = found.get("person_id") if isinstance(found, dict) else None
    return person_id if isinstance(person_id, int) else None


def forget(conn: sqlite3.Connection) -> None:
    """The question is settled (a booking took the answer): clear both notes (in a transaction)."""
    conn.execute("DELETE FROM state WHERE key IN (?, ?)", (ANSWER_KEY, ASKED_KEY))
