"""Pausing password and PIN guessing without handing anyone a way to lock the admins out.

Wrong tries are counted in memory (a bounded table, so a flood of addresses cannot grow
it), per (name, address) and per address. Five wrong tries for one name from one
address in five minutes pause that name from that address; twenty wrong tries for any
names from one address pause the address. A name is never locked everywhere: the real
admin, from any address that is not paused, always gets in with the right password.

Only a lock is written, once, when it begins (so it holds across a restart of the web
role), and nothing at all while an address is already paused: a flood of refused tries
costs the SD card nothing. Expired lock rows are deleted by the agent's housekeeping.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from appliance.core.clock import Clock, iso, parse_iso
from appliance.core.config import Config
from appliance.storage.db import Database, transaction

NAME_FAILURES = 5
ADDRESS_FAILURES = 20
WINDOW = timedelta(minutes=5)
PAUSE = timedelta(minutes=5)
CAPACITY = 4096  # (name, address) and address entries kept in memory at most
ANY_NAME = ""  # the name of an address-wide lock
KEEP_LOCKS = timedelta(days=1)  # an ended pause is kept a day (it helps spot an attack), then deleted


@dataclass
class Lockout:
    """Wrong tries of one kind (``scope``: the dashboard login, the kiosk's roll-call PIN)."""

    scope: str
    name_failures: int = NAME_FAILURES
    address_failures: int = ADDRESS_FAILURES
    capacity: int = CAPACITY
    _tries: OrderedDict[tuple[str, str], deque[datetime]] = field(default_factory=OrderedDict)
    _locks: dict[tuple[str, str], datetime] = field(default_factory=dict)
    _loaded: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def locked_until(self, conn: sqlite3.Connection, name: str, address: str, now: datetime) -> datetime | None:
        """When the pause on ``name`` from ``address`` (or on the whole address) lifts, or None."""
        with self._lock:
            self._load(conn, now)
            found = [until for key in ((name[:100], address), (ANY_NAME, address))
                     if (until := self._locks.get(key)) is not None and until > now]
            for key in ((name[:100], address), (ANY_NAME, address)):
                if key in self._locks and self._locks[key] <= now:
                    del self._locks[key]
            return max(found) if found else None

    def failed(self, conn: sqlite3.Connection, name: str, address: str, now: datetime) -> datetime | None:
        """Count a wrong try; when it starts a pause, write the pause and say until when."""
        name = name[:100]
        started: list[tuple[str, int]] = []
        with self._lock:
            for key, limit in (((name, address), self.name_failures), ((ANY_NAME, address), self.address_failures)):
                tries = self._tries.pop(key, None) or deque(maxlen=limit)
                while tries and now - tries[0] > WINDOW:
                    tries.popleft()
                tries.append(now)
                self._tries[key] = tries  # now the most recent entry
                if len(tries) >= limit:
                    self._locks[key] = now + PAUSE
                    started.append((key[0], len(tries)))
                    del self._tries[key]
            while len(self._tries) > self.capacity:
                self._tries.popitem(last=False)
        if started:
            with transaction(conn):
                for locked_name, count in started:
                    conn.execute(
                        "INSERT OR REPLACE INTO login_locks (scope, name, address, failures, since, until)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        (self.scope, locked_name, address, count, iso(now), iso(now + PAUSE)))
        return self.locked_until(conn, name, address, now)

    def succeeded(self, name: str, address: str) -> None:
        """A right password or PIN: that name's wrong tries from that address start afresh."""
        with self._lock:
            self._tries.pop((name[:100], address), None)

    def _load(self, conn: sqlite3.Connection, now: datetime) -> None:
        """Pauses written before a restart, read once."""
        if self._loaded:
            return
        self._loaded = True
        for row in conn.execute("SELECT name, address, until FROM login_locks WHERE scope = ? AND until > ?",
                                (self.scope, iso(now))):
            self._locks[(row["name"], row["address"])] = parse_iso(row["until"])


def purge_locks(conn: sqlite3.Connection, before: datetime) -> int:
    """Delete pauses that ended before ``before``; returns how many."""
    with transaction(conn):
        return conn.execute("DELETE FROM login_locks WHERE until < ?", (iso(before),)).rowcount


def forget_locks_job(db: Database, config: Config, clock: Clock) -> None:
    """Housekeeping: forget pauses that ended a day ago (the address is personal data)."""
    purge_locks(db.conn(), clock.now() - KEEP_LOCKS)
