"""What the web role keeps after work that needs a lot of memory for a moment.

A booking's cancel code, and an admin's password, are hashed with scrypt, which takes
16 MiB for each hash on purpose. glibc serves a block that large with mmap and gives it
back when freed, but after the first such free it raises its threshold so that the next
ones come from its heap, which it keeps: a morning's bookings from a few phones left the
web role holding 100 MiB more than at start, on a Pi that may have 512 MiB. The role is
started here as its systemd unit starts it (the unit's Environment=), on a real SQLite
file, and booked through the API from several clients at once, as phones do.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

from appliance.storage.db import Database
from bench.procs import config_toml, doorstep, rollup_kib, running, wait_port
from doorstep.broker import free_port
from doorstep.seed import seed_demo

CLIENTS = 4
EACH = 6
SCRYPT_MIB = 16


def _rss_mib(pid: int) -> float:
    fields = rollup_kib(pid)
    assert fields is not None, "the web role's memory could not be read"
    return fields["Rss"] / 1024


def _book(port: int, client: int, rooms: list[str], failures: list[str]) -> None:
    day = date.today() + timedelta(days=3 + client)
    for i in range(EACH):
        hour = 11 + i
        body = {"room": rooms[i % len(rooms)], "title": f"Côr Meibion practice {client}-{i}", "organiser": "Siân",
                "start": f"{day}T{hour:02d}:00:00", "end": f"{day}T{hour:02d}:30:00"}
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/bookings", json.dumps(body).encode(),
                                         {"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                if answer.status != 201:
                    failures.append(f"{answer.status}")
        except OSError as exc:
            failures.append(str(exc))


def test_bookings_from_several_phones_do_not_stay_in_memory(tmp_path: Path) -> None:
    db = tmp_path / "doorstep.db"
    database = Database(str(db))
    database.migrate()
    seed_demo(database)
    database.close()
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(config_toml(db, web_port=port), encoding="utf-8")
    web = doorstep("web", config)
    with running(web):
        wait_port(port, web)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/rooms", timeout=30) as answer:
            rooms = [room["id"] for room in json.loads(answer.read())]
        time.sleep(1)
        before = _rss_mib(web.pid)
        failures: list[str] = []
        clients = [threading.Thread(target=_book, args=(port, n, rooms, failures)) for n in range(CLIENTS)]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        assert not failures, f"bookings failed: {failures[:3]}"
        time.sleep(1)
        after = _rss_mib(web.pid)
    # One hash's block may stay (glibc keeps a little at the top of its heap); not one per booking.
    assert after - before <= 1.5 * SCRYPT_MIB, (
        f"{CLIENTS * EACH} bookings left the web role {after - before:.0f} MiB bigger ({before:.0f} -> {after:.0f} MiB)"
    )
