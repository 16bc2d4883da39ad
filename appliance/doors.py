"""Door contacts: the rules that turn open/closed and held-open events into state and counts.

State ``door/<id>`` is ``{"state": "open"|"closed", "since", "held_open": bool}``; the
daily count ``opened`` per door counts real openings (not the state read at start-up).
"""

from __future__ import annotations

from appliance import state
from appliance.clock import iso
from appliance.events import DoorClosed, DoorHeldOpen, DoorHeldOpenCleared, DoorOpened
from appliance.recorder import Tx, handles


def _put(tx: Tx, door: str, value: str, since: str, held_open: bool, at: str) -> None:
    state.put(tx.conn, f"door/{door}", {"state": value, "since": since, "held_open": held_open}, at)


@handles(DoorOpened)
def _opened(tx: Tx, event: DoorOpened) -> None:
    at = iso(event.at)
    value = {"state": "open", "since": at, "held_open": False}
    if not state.put_unless(tx.conn, f"door/{event.door}", value, at, "state", "open"):
        return  # the state read again at start-up: not a new opening
    state.add_count(tx.conn, tx.local_day(event.at), event.door, "opened")
    tx.publish("door", event.at, path={"door": event.door}, value="open")


@handles(DoorClosed)
def _closed(tx: Tx, event: DoorClosed) -> None:
    at = iso(event.at)
    value = {"state": "closed", "since": at, "held_open": False}
    if not state.put_unless(tx.conn, f"door/{event.door}", value, at, "state", "closed"):
        return
    tx.publish("door", event.at, path={"door": event.door}, value="closed")


@handles(DoorHeldOpen)
def _held_open(tx: Tx, event: DoorHeldOpen) -> None:
    before = state.get(tx.conn, f"door/{event.door}", {})
    since = before.get("since") or iso(event.at)
    _put(tx, event.door, "open", since, True, iso(event.at))


@handles(DoorHeldOpenCleared)
def _held_open_cleared(tx: Tx, event: DoorHeldOpenCleared) -> None:
    before = state.get(tx.conn, f"door/{event.door}", {})
    if before:
        _put(tx, event.door, before["state"], before["since"], False, iso(event.at))
