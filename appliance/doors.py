"""Door contacts: the rule that turns open/closed events into state and counts."""

from __future__ import annotations

from appliance import state
from appliance.clock import iso
from appliance.events import DoorClosed, DoorOpened
from appliance.recorder import Tx, handles


@handles(DoorOpened)
def _opened(tx: Tx, event: DoorOpened) -> None:
    state.put(tx.conn, f"door/{event.door}", {"state": "open", "since": iso(event.at)}, iso(event.at))
    state.add_count(tx.conn, tx.local_day(event.at), event.door, "opened")
    tx.publish("door", event.at, path={"door": event.door}, value="open")


@handles(DoorClosed)
def _closed(tx: Tx, event: DoorClosed) -> None:
    state.put(tx.conn, f"door/{event.door}", {"state": "closed", "since": iso(event.at)}, iso(event.at))
    tx.publish("door", event.at, path={"door": event.door}, value="closed")
