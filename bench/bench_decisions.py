"""2,000 members vote through the kiosk route, against the same members signing in
through the kiosk route on the same server: what a secret ballot costs at the door.

Real waitress on a free port, a real SQLite file (WAL, synchronous FULL as the web role
runs it). A vote is the journey a member without a fob makes: member number and surname
(POST .../who), then the choice (POST .../ballot: the "has voted" mark and the counts in
one transaction, then the WAL checkpointed with TRUNCATE). The floor is a sign-in by member
number and surname (POST /kiosk/signin/member): the kiosk's everyday write.

The goal row is one kiosk, one member after another, as at a door; a second, informational
row drives four kiosks at once on a second ballot (on two cores with the GIL the work of
both requests queues, so that ratio is higher). The tally and turnout are checked at the end.
"""

from __future__ import annotations

import http.client
import re
import statistics
import tempfile
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path

from appliance.core.clock import iso
from appliance.decisions import ballots, results
from appliance.storage.db import Database, transaction
from bench.harness import Figure, concurrently
from bench.procs import offline_config
from doorstep.broker import free_port

MEMBERS = 2000
KIOSKS = (1, 4)  # the goal row, then the informational one
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Client:
    """One kiosk browser: a keep-alive connection, its session cookie and CSRF token."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""
        page = self.request("GET", "/kiosk/")
        found = TOKEN.search(page)
        assert found, "no CSRF token on /kiosk/"
        self.token = found[1]

    def request(self, method: str, path: str, form: dict[str, str] | None = None, expect: int = 200) -> str:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode({"csrf_token": self.token, **form})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        if response.status != expect:
            raise RuntimeError(f"{method} {path}: HTTP {response.status}, not {expect}")
        return text


def _members(count: int) -> list[tuple[str, str]]:
    return [(f"B{n:05d}", f"Surname{n:05d}") for n in range(count)]


def _drive(port: int, members: list[tuple[str, str]], journey: str, ballot_id: int, clients: int) -> list[float]:
    """Each of ``clients`` takes every clients-th member through ``journey``; the time of each."""

    def client(offset: int) -> list[float]:
        kiosk = Client(port)
        mine = []
        try:
            for number, surname in members[offset::clients]:
                start = time.perf_counter()
                if journey == "vote":
                    kiosk.request("POST", f"/kiosk/vote/{ballot_id}/who", {"number": number, "surname": surname},
                                  expect=303)
                    kiosk.request("POST", f"/kiosk/vote/{ballot_id}/ballot", {"option": str(hash(number) % 3)},
                                  expect=303)
                else:
                    kiosk.request("POST", "/kiosk/signin/member", {"name": number, "surname": surname}, expect=303)
                mine.append(time.perf_counter() - start)
        finally:
            kiosk.conn.close()
        return mine

    return concurrently(client, clients)


def run() -> list[Figure]:
    """Median time of a member's vote through the kiosk route over a member's sign-in."""
    from kiosk import create_app
    from kiosk.server import WebServer

    with tempfile.TemporaryDirectory() as tmp:
        config = offline_config(tmp)
        db = Database(config.database.path)
        db.migrate()
        now = datetime.now(UTC)
        members = _members(MEMBERS)
        conn = db.conn()
        with transaction(conn):
            conn.executemany("INSERT INTO people (name, kind, member_number, contact, created_at)"
                             " VALUES (?, 'member', ?, '', ?)",
                             [(f"Member {surname}", number, iso(now)) for number, surname in members])
            plan = ballots.read_plan({
                "title": "Buy a new boiler", "body": "Bench", "kind": "proposal", "electorate": "members",
                "opens_at": iso(now - timedelta(minutes=1)), "closes_at": iso(now + timedelta(hours=1)),
                "threshold": "majority", "comments": "off"}, config.site.zone)
            made = [ballots.create(conn, plan, now) for _ in KIOSKS]
        port = free_port()
        app = create_app(config)
        server = WebServer(app, "127.0.0.1", port, threads=8)
        server.start()
        figures = []
        try:
            _drive(port, members[:40], "signin", made[0].id, 1)  # warm up: templates, catalogs
            # Each member signs in once (a second tap-in would be "still in"): a half each.
            halves = [members[40:1040], members[1040:]]
            for clients, ballot, signers in zip(KIOSKS, made, halves, strict=True):
                started = time.monotonic()
                signin = _drive(port, signers, "signin", ballot.id, clients)
                signin_s = time.monotonic() - started
                started = time.monotonic()
                votes = _drive(port, members, "vote", ballot.id, clients)
                votes_s = time.monotonic() - started
                conn = db.conn()
                tally = results.counts(conn, ballot)
                turnout = results.turnout(conn, ballot.id)
                marks = conn.execute("SELECT count(*) FROM decision_voters WHERE decision_id = ?",
                                     (ballot.id,)).fetchone()[0]
                if sum(tally) != MEMBERS or turnout != MEMBERS or marks != MEMBERS:
                    raise RuntimeError(f"tally {tally}, turnout {turnout}, marks {marks}: not {MEMBERS} each")
                wal = Path(config.database.path + "-wal")
                wal_bytes = wal.stat().st_size if wal.exists() else 0
                note = (f"{MEMBERS} votes in {votes_s:.0f} s (goal: within 10 minutes), tally {tally}, turnout"
                        f" {turnout}; {len(signin)} sign-ins in {signin_s:.0f} s; -wal after the last vote:"
                        f" {wal_bytes} B; p99 {_p99(votes) * 1000:.0f} ms against {_p99(signin) * 1000:.0f} ms")
                where = "one kiosk" if clients == 1 else f"{clients} kiosks at once"
                figures.append(Figure(
                    f"a member's vote through the kiosk route (number and surname, then the choice), median,"
                    f" {MEMBERS} members, {where}", statistics.median(votes) * 1000,
                    statistics.median(signin) * 1000, "ms", "<= 2" if clients == 1 else "-",
                    floor_name="a member's sign-in through the kiosk route, same server", note=note))
                if clients == 1:
                    figures.append(Figure(f"{MEMBERS} members voting at the door, one kiosk, total time", votes_s,
                                          600.0, "s", "<= 1", floor_name="ten minutes"))
            return figures
        finally:
            server.close()
            app.extensions["doorstep"].close()
            db.close()


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
