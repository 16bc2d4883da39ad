"""The link to the community's broker: the only module that imports paho-mqtt.

The outbox is the only queue. The publisher keeps at most ``mqtt.inflight`` messages
in paho at a time, deletes a row only when the broker acknowledged it (PUBACK), and
after any reconnect starts again from the oldest row still in the outbox, on a fresh
paho client, so paho never re-sends anything from memory behind our back.

The publisher thread runs paho's network loop itself (``loop_read`` / ``loop_write``
/ ``loop_misc`` around a ``select``), so every reason a connection fails reaches the
health table in words, and paho's callbacks run on our thread and only append facts
to a deque: no lock of ours is ever taken inside them (paho issues #226 and #482).
After a commit the single writer calls :meth:`Publisher.kick`, which sends the new
rows at once on the writer's own thread when the publisher is idle (one lock of ours,
taken around every use of paho, never inside a callback, never waited for by the
writer). paho's ``mid`` is the key of an in-memory map only, never of the database.

Acknowledged rows are deleted in batches, not one write transaction per PUBACK (the SD
card's wear): at most every ``ACK_FLUSH_SECONDS`` or ``ACK_FLUSH_ROWS`` rows, whichever
comes first, and at stop. Until then the publisher remembers their ids and never sends
them again, also after a reconnect. Only a crash (SIGKILL, power cut) in that window
sends them again after the restart: duplicates by id, which at-least-once allows and
consumers drop. ``broker/last_ack`` (the dashboard's last delivery) is written with
such a batch, at most every ``LAST_ACK_SECONDS``.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import select
import socket
import sqlite3
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

from appliance.core.clock import Clock, iso
from appliance.core.config import MqttConfig
from appliance.core.threads import Worker
from appliance.outbox import store
from appliance.outbox.topics import TopicContext, message
from appliance.storage import state
from appliance.storage.db import Database

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2  # how often other processes' commits (the web role's) are looked for
MIN_BACKOFF, MAX_BACKOFF = 1.0, 60.0
# Deleting acknowledged rows in batches: the bound on duplicates after a crash (see above).
ACK_FLUSH_SECONDS = 2.0
ACK_FLUSH_ROWS = 1000
LAST_ACK_SECONDS = 10.0


class MqttError(Exception):
    """The broker link is misconfigured."""


@dataclass(frozen=True)
class _Connected:
    ok: bool
    reason: str


@dataclass(frozen=True)
class _Disconnected:
    reason: str


@dataclass(frozen=True)
class _Acked:
    mid: int


@dataclass(frozen=True)
class _Received:
    topic: str
    payload: bytes


_Fact = _Connected | _Disconnected | _Acked | _Received


def plain_client(client_id: str) -> paho.Client:
    """A bare paho client (VERSION2 callbacks, MQTT 3.1.1), for the benchmarks' floors and
    for diagnostics: everything outside this module uses paho through here."""
    return paho.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id)


def read_password(config: MqttConfig) -> str | None:
    """The broker password from its file (agent only), or None when no file is set."""
    if not config.password_file:
        return None
    try:
        return Path(config.password_file).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise MqttError(f"mqtt.password_file {config.password_file} cannot be read ({exc.strerror or exc})") from None


def describe(exc: BaseException, config: MqttConfig) -> str:
    """Why a connection attempt failed, in words a volunteer can act on."""
    where = f"{config.host}:{config.port}"
    if isinstance(exc, MqttError):
        return str(exc)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"the broker at {where} could not be verified ({exc.verify_message}); "
            f"check that mqtt.tls_ca {config.tls_ca} is the CA that signed the broker's certificate"
        )
    if isinstance(exc, ssl.SSLError):
        return f"TLS with the broker at {where} failed ({exc.reason or exc}); is the port a TLS listener?"
    if isinstance(exc, ConnectionRefusedError):
        return f"nothing accepts connections at {where} (connection refused); is the broker running?"
    if isinstance(exc, socket.gaierror):
        return f"the broker's host name {config.host!r} cannot be found ({exc.strerror})"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"no answer from the broker at {where} (timed out)"
    if isinstance(exc, OSError):
        return f"cannot reach the broker at {where} ({exc.strerror or exc})"
    return f"cannot connect to the broker at {where} ({type(exc).__name__}: {exc})"


def _close_leaked_sockets(exc: BaseException) -> None:
    """Close sockets a failed connect left open.

    paho 2.x does not close the TLS socket when the handshake fails (a wrong CA), so every
    retry would leak one; the socket is still a local of the frames the error came through.
    """
    tb = exc.__traceback__
    while tb is not None:
        for value in list(tb.tb_frame.f_locals.values()):
            if isinstance(value, socket.socket):
                with contextlib.suppress(OSError):
                    value.close()
        tb = tb.tb_next


class _Waker:
    """A socket pair the publisher selects on, so any thread can wake it at once."""

    def __init__(self) -> None:
        self.reader, self.writer = socket.socketpair()
        self.reader.setblocking(False)
        self.writer.setblocking(False)

    def set(self) -> None:
        """Wake the publisher (never blocks; a full pipe already means 'awake')."""
        with contextlib.suppress(OSError):
            self.writer.send(b"\0")

    def drain(self) -> None:
        """Forget the wake-ups already seen."""
        with contextlib.suppress(OSError):
            while self.reader.recv(4096):
                pass

    def close(self) -> None:
        """Close both ends."""
        self.reader.close()
        self.writer.close()


class Publisher(Worker):
    """Drains the outbox to the broker; runs on its own thread.

    ``announce(conn, now)`` is called in a write transaction when Home Assistant says
    it is back online (``<discovery_prefix>/status`` = ``online``), to queue the
    discovery message again. ``republish(conn, now)`` is called in a write transaction
    after every successful (re)connection, to queue every retained topic's current value
    (the broker may have lost them: a new one, or one without persistence).
    """

    def __init__(
        self,
        db: Database,
        config: MqttConfig,
        topics: TopicContext,
        clock: Clock,
        announce: Callable[[sqlite3.Connection, datetime], None] | None = None,
        republish: Callable[[sqlite3.Connection, datetime], object] | None = None,
    ) -> None:
        self.db = db
        self.config = config
        self.topics = topics
        self.clock = clock
        self.announce = announce
        self.republish = republish
        super().__init__("publisher", join_seconds=10)
        self._waker = _Waker()
        self._facts: collections.deque[_Fact] = collections.deque()
        self.client: paho.Client | None = None
        self._inflight: dict[int, int] = {}  # paho mid -> outbox row id (memory only)
        self._last_sent = 0
        # Acknowledged rows not yet deleted (see the module docstring), and since when
        # (time.monotonic: real time, as this paces disk writes, not recorded times).
        self._acked: set[int] = set()
        self._acked_since = 0.0
        self._last_ack_at: str | None = None  # when the broker last acknowledged, not yet stored
        self._last_ack_stored = float("-inf")
        self._last_acked = float("-inf")
        self._more = True  # the last read of the outbox may have left rows behind
        self._backoff = MIN_BACKOFF
        self._disconnect_reason = ""
        self._pause_due = False  # set under the lock; the wait itself happens outside it
        # Serialises every use of paho and of the in-flight map between the publisher thread
        # and kick(). Never taken inside a paho callback (those only append to _facts).
        self._io_lock = threading.Lock()
        self.connected = False
        self.delivered = 0
        self.last_error = ""
        self.last_progress = clock.monotonic()

    # -- paho's side: callbacks only append facts (they run on our thread anyway) ------

    def _make_client(self) -> paho.Client:
        cfg = self.config
        v5 = cfg.protocol == "5"
        client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=cfg.client_id or f"doorstep-{self.topics.site}",
            protocol=paho.MQTTv5 if v5 else paho.MQTTv311,
            clean_session=None if v5 else True,
        )
        if cfg.username:
            client.username_pw_set(cfg.username, read_password(cfg))
        if cfg.tls_ca:
            if not Path(cfg.tls_ca).is_file():
                raise MqttError(f"mqtt.tls_ca {cfg.tls_ca}: no such file")
            try:
                client.tls_set(ca_certs=cfg.tls_ca, cert_reqs=ssl.CERT_REQUIRED)
            except ssl.SSLError as exc:
                raise MqttError(f"mqtt.tls_ca {cfg.tls_ca} is not a usable CA certificate ({exc.reason or exc})") from None
        availability = message(self.topics, "availability", value="offline")
        client.will_set(availability.topic, availability.payload, qos=1, retain=True)
        # Our window bounds what paho holds; +1 leaves room for the 'online' message.
        client.max_inflight_messages_set(cfg.inflight + 1)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        return client

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        self._facts.append(_Connected(not reason_code.is_failure, str(reason_code)))

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        self._facts.append(_Disconnected(str(reason_code)))

    def _on_publish(self, client: Any, userdata: Any, mid: int, reason_code: Any, properties: Any) -> None:
        self._facts.append(_Acked(mid))

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        self._facts.append(_Received(msg.topic, bytes(msg.payload)))

    # -- lifecycle ----------------------------------------------------------------------

    # start(): connect (in the background, retrying with backoff) and start draining.

    def wake(self) -> None:
        """Wake the publisher thread out of its select()."""
        self._waker.set()

    def stop(self) -> None:
        """Say offline, disconnect and stop."""
        super().stop()
        self._waker.close()

    # -- the thread ---------------------------------------------------------------------

    def kick(self) -> None:
        """Send what was just committed, now, on the calling thread (the single writer's).

        This is the latency path: it saves a hand-over to the publisher thread. It never
        waits: if the publisher thread is busy with paho, it only wakes it.
        """
        if self._io_lock.acquire(blocking=False):
            try:
                if self.connected and self.client is not None and len(self._inflight) < self.config.inflight:
                    self._fill_window(self.db.conn())
                    if not self._more:
                        return
            finally:
                self._io_lock.release()
        self.wake()

    def loop(self) -> None:
        conn = self.db.conn()
        try:
            while not self.stopping:
                self.last_progress = self.clock.monotonic()
                if self.client is None and not self._connect(conn):
                    self._store_acks(conn, force=True)  # what the lost connection delivered
                    self._pause()
                    continue
                try:
                    self._step(conn)
                except sqlite3.OperationalError as exc:
                    # The database busy beyond its timeout (a long web-role write) or the disk
                    # full: nothing is lost (rows stay until acknowledged); try again shortly.
                    log.warning("publisher: database not usable just now (%s); retrying", exc)
                    self._pause_due = True
                if self._pause_due:
                    self._pause_due = False
                    self._pause()
        except Exception:  # keep the reason in the log; healthy() turns false and systemd restarts us
            log.exception("the publisher stopped on an unexpected error")
            raise
        finally:
            with self._io_lock:
                self._goodbye()
            self._store_acks(conn, force=True)

    def _connect(self, conn: sqlite3.Connection) -> bool:
        """One connection attempt on a fresh client; False (and the reason recorded) if it failed."""
        try:
            client = self._make_client()
            client.connect(self.config.host, self.config.port, self.config.keepalive)
        except Exception as exc:  # any failure to connect is reported and retried, never fatal
            _close_leaked_sockets(exc)
            self._offline(conn, describe(exc, self.config))
            return False
        with self._io_lock:
            self.client = client
            self._facts.clear()
        return True

    def _step(self, conn: sqlite3.Connection) -> None:
        client = self.client
        assert client is not None
        sock = client.socket()
        if sock is None:
            with self._io_lock:
                self._lost(conn)
            return
        # Wait without our lock, so kick() can send meanwhile; then do paho's work under it.
        readable, writable, _ = select.select(
            [self._waker.reader, sock], [sock] if client.want_write() else [], [], POLL_SECONDS
        )
        woke = self._waker.reader in readable
        if woke:
            self._waker.drain()
        with self._io_lock:
            self._service(conn, client, sock in readable, sock in writable, woke)
        self._store_acks(conn)

    def _service(self, conn: sqlite3.Connection, client: paho.Client, readable: bool, writable: bool, woke: bool) -> None:
        rc = MQTTErrorCode.MQTT_ERR_SUCCESS
        if readable:
            rc = client.loop_read()
        if rc == MQTTErrorCode.MQTT_ERR_SUCCESS and (writable or client.want_write()):
            rc = client.loop_write()
        if rc == MQTTErrorCode.MQTT_ERR_SUCCESS:
            rc = client.loop_misc()  # keepalive pings
        acked = self._handle_facts(conn)
        if self.client is None:
            return
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS or client.socket() is None:
            self._lost(conn)
            return
        if self.connected and len(self._inflight) < self.config.inflight and (woke or acked or self._more):
            self._fill_window(conn)
        elif self.connected and not woke and not readable:
            # Nothing happened for POLL_SECONDS: another process (the web role) may have queued rows.
            self._more = True

    def _handle_facts(self, conn: sqlite3.Connection) -> bool:
        acked: list[int] = []
        while self._facts:
            fact = self._facts.popleft()
            if isinstance(fact, _Acked):
                row_id = self._inflight.pop(fact.mid, None)
                if row_id is not None:
                    acked.append(row_id)
            elif isinstance(fact, _Connected):
                self._on_connack(conn, fact)
            elif isinstance(fact, _Disconnected):
                self._disconnect_reason = fact.reason  # _lost() reports it once the socket is gone
            elif isinstance(fact, _Received):
                self._on_received(conn, fact)
        if acked:
            if not self._acked:
                self._acked_since = time.monotonic()
            self._acked.update(acked)
            self._last_ack_at = iso(self.clock.now())
            self._last_acked = time.monotonic()
            self.delivered += len(acked)
        return bool(acked)

    def _store_acks(self, conn: sqlite3.Connection, force: bool = False) -> None:
        """Delete the acknowledged rows and store the last delivery time, when due (or ``force``).

        Only the publisher thread changes ``_acked``, under the lock (kick() reads it on the
        writer's thread). If the write fails (a busy or full disk), the ids stay remembered
        and the next call tries again.
        """
        now = time.monotonic()
        rows_due = bool(self._acked) and (
            force or len(self._acked) >= ACK_FLUSH_ROWS or now - self._acked_since >= ACK_FLUSH_SECONDS
        )
        # The last delivery time rides along with a batch; alone only once the stream went quiet.
        quiet = not self._acked and now - self._last_acked >= ACK_FLUSH_SECONDS
        last_due = self._last_ack_at is not None and (
            force or (now - self._last_ack_stored >= LAST_ACK_SECONDS and (rows_due or quiet))
        )
        if not (rows_due or last_due):
            return
        ids = sorted(self._acked) if rows_due else []
        try:
            with self.db.write():
                if ids:
                    store.acknowledge(conn, ids)
                if last_due and self._last_ack_at is not None:
                    state.put(conn, "broker/last_ack", self._last_ack_at, self._last_ack_at)
        except sqlite3.Error as exc:
            if force:  # stopping: the rows are only sent again after the restart
                log.warning("publisher: could not delete %d delivered messages (%s)", len(ids), exc)
                return
            raise
        with self._io_lock:
            self._acked.difference_update(ids)
        if last_due:
            self._last_ack_at = None
            self._last_ack_stored = now

    def _on_connack(self, conn: sqlite3.Connection, fact: _Connected) -> None:
        if not fact.ok:
            self._offline(
                conn,
                f"the broker at {self.config.host}:{self.config.port} refused the connection ({fact.reason}); "
                "check mqtt.username, mqtt.password_file and the broker's ACL",
            )
            self._drop_client()
            self._pause_due = True
            return
        client = self.client
        assert client is not None
        self.connected = True
        self._backoff = MIN_BACKOFF
        self._inflight.clear()
        self._last_sent = 0  # resume from the oldest unacknowledged row
        self._more = True
        online = message(self.topics, "availability", value="online")
        client.publish(online.topic, online.payload, qos=1, retain=True)
        if self.config.discovery:
            client.subscribe(f"{self.config.discovery_prefix}/status", qos=1)
        now = iso(self.clock.now())
        with self.db.write():
            state.set_health(conn, "broker", "ok", f"connected to {self.config.host}:{self.config.port}", now)
            if self.republish is not None:  # whatever the broker kept or lost, it is whole again
                self.republish(conn, self.clock.now())
        log.info("connected to the broker at %s:%s", self.config.host, self.config.port)

    def _on_received(self, conn: sqlite3.Connection, fact: _Received) -> None:
        ha_online = fact.topic == f"{self.config.discovery_prefix}/status" and fact.payload.strip() == b"online"
        if ha_online and self.announce is not None:
            now = self.clock.now()
            with self.db.write():
                self.announce(conn, now)
            self._more = True
            log.info("Home Assistant came online: discovery announced again")

    def _lost(self, conn: sqlite3.Connection) -> None:
        was = self.connected
        self._drop_client()
        why = f" ({self._disconnect_reason})" if self._disconnect_reason else ""
        self._disconnect_reason = ""
        reason = (
            f"lost the connection to {self.config.host}:{self.config.port}{why}; retrying (the outbox keeps everything)"
        )
        if was or self.last_error == "":
            self._offline(conn, reason)
        self._pause_due = True

    def _pause(self) -> None:
        """Wait before the next attempt: 1 s, doubling to 60 s; reset by a successful connection."""
        self.sleep(self._backoff)
        self._backoff = min(self._backoff * 2, MAX_BACKOFF)

    def _drop_client(self) -> None:
        self.connected = False
        self._inflight.clear()
        self._last_sent = 0
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.disconnect()
            with contextlib.suppress(Exception):
                self.client._sock_close()  # paho has no public close; the socket must not leak
            self.client = None

    def _offline(self, conn: sqlite3.Connection, reason: str) -> None:
        now = iso(self.clock.now())
        if reason != self.last_error:
            log.warning("broker: %s", reason)
        self.last_error = reason
        with self.db.write():
            state.set_health(conn, "broker", "offline", reason, now)
            state.put(conn, "broker/last_error", {"at": now, "detail": reason}, now)

    def _fill_window(self, conn: sqlite3.Connection) -> None:
        client = self.client
        assert client is not None
        skipped = True
        while skipped:  # read on past rows already delivered, so a reconnect resumes at once
            skipped = False
            room = self.config.inflight - len(self._inflight)
            rows = store.pending(conn, self._last_sent, room)
            self._more = len(rows) == room
            for row in rows:
                if row.id in self._acked:  # delivered before a reconnect, its deletion not yet due
                    self._last_sent = row.id
                    skipped = self._more
                    continue
                info = client.publish(row.topic, row.payload, qos=row.qos, retain=row.retain)
                if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_QUEUE_SIZE):
                    self._more = True
                    return  # the socket went; the next step notices and reconnects
                self._inflight[info.mid] = row.id
                self._last_sent = row.id

    def _goodbye(self) -> None:
        """Publish 'offline' ourselves (a clean disconnect does not fire the will), then close."""
        client = self.client
        if client is None:
            return
        if self.connected:
            offline = message(self.topics, "availability", value="offline")
            info = client.publish(offline.topic, offline.payload, qos=1, retain=True)
            for _ in range(10):
                sock = client.socket()
                if info.is_published() or sock is None:
                    break
                readable, _, _ = select.select([sock], [], [], 0.1)
                if readable:
                    client.loop_read()
        self._drop_client()
