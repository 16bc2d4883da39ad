"""Door contacts: the rules that turn open/closed and held-open events into state and counts.

State ``door/<id>`` is ``{"state": "open"|"closed", "since", "held_open": bool}``; the
daily count ``opened`` per door counts real openings (not the state read at start-up).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from appliance.core.clock import iso
from appliance.core.events import DoorClosed, DoorHeldOpen, DoorHeldOpenCleared, DoorOpened
from appliance.outbox.tx import Tx
from appliance.sensing.recorder import Rules
from appliance.storage import state


def _put(tx: Tx, door: str, value: str, since: str, held_open: bool, at: str) -> None:
    state.put(tx.conn, f"door/{door}", {"state": value, "since": since, "held_open": held_open}, at)


def _opened(tx: Tx, event: DoorOpened) -> None:
    at = iso(event.at)
    value = {"state": "open", "since": at, "held_open": False}
    if not state.put_unless(tx.conn, f"door/{event.door}", value, at, "state", "open"):
        return  # the state read again at start-up: not a new opening
    state.add_count(tx.conn, tx.local_day(event.at), event.door, "opened")
    tx.publish("door", event.at, path={"door": event.door}, value="open")


def _closed(tx: Tx, event: DoorClosed) -> None:
    at = iso(event.at)
    value = {"state": "closed", "since": at, "held_open": False}
    if not state.put_unless(tx.conn, f"door/{event.door}", value, at, "state", "closed"):
        return
    tx.publish("door", event.at, path={"door": event.door}, value="closed")


def _held_open(tx: Tx, event: DoorHeldOpen) -> None:
    before = state.get(tx.conn, f"door/{event.door}", {})
    since = before.get("since") or iso(event.at)
    _put(tx, event.door, "open", since, True, iso(event.at))


def _held_open_cleared(tx: Tx, event: DoorHeldOpenCleared) -> None:
    before = state.get(tx.conn, f"door/{event.door}", {})
    if before:
        _put(tx, event.door, before["state"], before["since"], False, iso(event.at))


def retained_now(conn: sqlite3.Connection) -> list[tuple[str, dict[str, str], dict[str, Any]]]:
    """Each door's retained topic as it stands, (topic name, path, payload values), for
    sending again after the broker link (re)connects."""
    return [("door", {"door": door}, {"value": value["state"]})
            for door, value in state.with_prefix(conn, "door/").items()
            if isinstance(value, dict) and value.get("state") in ("open", "closed")]


RULES: Rules = {
    DoorOpened: (_opened,),
    DoorClosed: (_closed,),
    DoorHeldOpen: (_held_open,),
    DoorHeldOpenCleared: (_held_open_cleared,),
}
