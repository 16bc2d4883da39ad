"""Lockout that cannot be used against the admins (issue 15 items 2 and 3), against the
real web role: LAN addresses are 127.0.0.x sources, the kiosk is 127.0.0.1.

- refused logins are counted in memory: hundreds of them write (almost) nothing, and
  nothing at all once the address is locked;
- a lock holds for one (name, address) and for one address, never for a name
  everywhere: the real admin from another address always gets in;
- the kiosk roll-call PIN: kiosk networks only, the same per-address lock, six digits.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from live_support import PASSWORD, Browser

from appliance.core.clock import ManualClock
from appliance.core.config import Config, ConfigError, parse
from appliance.people import admins
from appliance.storage.db import Database
from doorstep.broker import free_port
from kiosk import create_app
from kiosk.server import WebServer


def rows(db: Database) -> dict[str, int]:
    """Rows per table, from a connection of its own."""
    with contextlib.closing(sqlite3.connect(db.path)) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


@pytest.fixture
def alice(db: Database, clock: ManualClock) -> str:
    admins.create(db.conn(), "alice", PASSWORD, clock.now())
    return "alice"


def test_refused_logins_write_nothing_once_locked(live_server: Any, db: Database, alice: str) -> None:
    before = rows(db)
    attacker = Browser(live_server.url, source="127.0.0.66")
    statuses = [attacker.post_form("/dashboard/login", {"name": "alice", "password": f"guess {i}"})[0]
                for i in range(60)]
    assert statuses[:4] == [401] * 4 and set(statuses[5:]) == {429}
    after_first = rows(db)
    grown = {t: after_first[t] - before.get(t, 0) for t in after_first if after_first[t] != before.get(t, 0)}
    assert sum(grown.values()) <= 1, f"60 refused logins stored rows: {grown}"
    for i in range(25):  # other names from the same address: the address itself is paused, one row
        attacker.post_form("/dashboard/login", {"name": f"admin{i}", "password": "guess"})
    paused = rows(db)
    assert sum(paused.values()) - sum(after_first.values()) <= 1
    for i in range(60):  # anything more from a paused address: not one more row
        attacker.post_form("/dashboard/login", {"name": f"other{i}", "password": "guess"})
    assert rows(db) == paused


def test_a_name_is_never_locked_everywhere(live_server: Any, alice: str) -> None:
    for source in ("127.0.0.66", "127.0.0.67"):
        attacker = Browser(live_server.url, source=source)
        for i in range(6):
            attacker.post_form("/dashboard/login", {"name": "alice", "password": f"guess {i}"})
        assert attacker.log_in() == 429  # that address is locked for alice, even with the right password
    assert Browser(live_server.url, source="127.0.0.77").log_in() == 302  # the real alice, elsewhere
    assert Browser(live_server.url).log_in() == 302


def test_an_address_spraying_names_is_locked(live_server: Any, alice: str) -> None:
    attacker = Browser(live_server.url, source="127.0.0.68")
    statuses = [attacker.post_form("/dashboard/login", {"name": f"user{i}", "password": "guess"})[0]
                for i in range(25)]
    assert 429 in statuses
    assert attacker.log_in() == 429  # the address is locked whatever name it tries
    assert Browser(live_server.url, source="127.0.0.69").log_in() == 302


def test_a_lock_ends(live_server: Any, alice: str, clock: ManualClock) -> None:
    attacker = Browser(live_server.url, source="127.0.0.70")
    for i in range(5):
        attacker.post_form("/dashboard/login", {"name": "alice", "password": f"guess {i}"})
    assert attacker.log_in() == 429
    clock.advance(minutes=5, seconds=1)
    assert attacker.log_in() == 302


@pytest.fixture
def pin_server(config: Config, clock: ManualClock, db: Database) -> Iterator[WebServer]:
    """The web role with a roll-call PIN; 127.0.0.0/24 counts as kiosk network (a second
    screen on the LAN, say), so per-address locks can be seen between kiosk addresses."""
    cfg = config.with_changes(kiosk=dataclasses.replace(config.kiosk, rollcall_pin="482916"),
                              web=dataclasses.replace(config.web, kiosk_networks=("127.0.0.0/24",)))
    server = WebServer(create_app(cfg, clock=clock), "127.0.0.1", free_port())
    server.start()
    yield server
    server.close()


def test_the_rollcall_pin_answers_only_kiosk_networks(pin_server: WebServer) -> None:
    assert Browser(pin_server.url, source="127.0.1.5").request("/kiosk/rollcall")[0] == 403
    status, _, page = Browser(pin_server.url).request("/kiosk/rollcall")
    assert status == 200 and "PIN" in page


def test_wrong_pins_elsewhere_do_not_stop_the_kiosks_rollcall(pin_server: WebServer, db: Database) -> None:
    before = rows(db)
    other = Browser(pin_server.url, source="127.0.0.50")
    statuses = [other.post_form("/kiosk/rollcall", {"pin": f"{100000 + i}"})[0] for i in range(30)]
    assert statuses[:4] == [401] * 4 and set(statuses[5:]) == {429}
    assert sum(rows(db).values()) - sum(before.values()) <= 1
    kiosk = Browser(pin_server.url)
    status, headers, _ = kiosk.post_form("/kiosk/rollcall", {"pin": "482916"})
    assert status == 303  # post/redirect/get: the list is the next page
    status, _, page = kiosk.request(headers["Location"].removeprefix(pin_server.url.rstrip("/")))
    assert status == 200 and "Fire roll-call" in page


@pytest.mark.parametrize("pin", ["1234", "12345", "12345a", "4321 "])
def test_a_short_or_odd_pin_is_refused_naming_the_key(pin: str) -> None:
    with pytest.raises(ConfigError, match=r"kiosk\.rollcall_pin.*6 digits"):
        parse(f'[kiosk]\nrollcall_pin = "{pin}"\n')
    assert parse('[kiosk]\nrollcall_pin = "482916"\n').kiosk.rollcall_pin == "482916"
    assert parse('[kiosk]\nrollcall_pin = ""\n').kiosk.rollcall_pin == ""
