"""The link to the community's broker: the only module that imports paho-mqtt.

The outbox is the only queue. This publisher keeps at most ``inflight`` messages in
paho at a time, deletes a row only when the broker acknowledged it (PUBACK), and after
any reconnect starts again from the oldest row still in the outbox. paho's ``mid`` is
a key of an in-memory map only, never of the database; paho's callbacks only put
facts on a queue (no lock of ours is taken inside them: paho issues #226 and #482).
"""

from __future__ import annotations

import logging
import queue
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from appliance import outbox, state
from appliance.clock import Clock, iso
from appliance.config import MqttConfig
from appliance.db import Database
from appliance.topics import TopicContext, message

log = logging.getLogger(__name__)


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


def read_password(config: MqttConfig) -> str | None:
    """The broker password from its file (agent only), or None when no file is set."""
    if not config.password_file:
        return None
    try:
        return Path(config.password_file).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise MqttError(f"mqtt.password_file {config.password_file}: cannot be read: {exc}") from None


class Publisher:
    """Drains the outbox to the broker; runs on its own thread."""

    def __init__(
        self,
        db: Database,
        config: MqttConfig,
        topics: TopicContext,
        clock: Clock,
    ) -> None:
        self.db = db
        self.config = config
        self.topics = topics
        self.clock = clock
        self.wake = threading.Event()
        self._facts: queue.SimpleQueue[_Connected | _Disconnected | _Acked] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._inflight: dict[int, int] = {}  # paho mid -> outbox row id
        self._last_sent = 0
        self.connected = False
        self.delivered = 0
        self.last_progress = clock.monotonic()
        self.client = self._make_client()

    # -- paho's side: callbacks only report facts ----------------------------------------

    def _make_client(self) -> paho.Client:
        cfg = self.config
        protocol = paho.MQTTv5 if cfg.protocol == "5" else paho.MQTTv311
        client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=cfg.client_id or f"doorstep-{self.topics.site}",
            protocol=protocol,
        )
        if cfg.username:
            client.username_pw_set(cfg.username, read_password(cfg))
        if cfg.tls_ca:
            if not Path(cfg.tls_ca).is_file():
                raise MqttError(f"mqtt.tls_ca {cfg.tls_ca}: no such file")
            client.tls_set(ca_certs=cfg.tls_ca, cert_reqs=ssl.CERT_REQUIRED)
        availability = message(self.topics, "availability", value="offline")
        client.will_set(availability.topic, availability.payload, qos=1, retain=True)
        client.max_inflight_messages_set(cfg.inflight)
        client.reconnect_delay_set(min_delay=1, max_delay=60)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        return client

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        self._facts.put(_Connected(not reason_code.is_failure, str(reason_code)))
        self.wake.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        self._facts.put(_Disconnected(str(reason_code)))
        self.wake.set()

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        self._facts.put(_Acked(mid))
        self.wake.set()

    # -- our side: one thread owns the map and the database work ------------------------

    def start(self) -> None:
        """Connect (in the background, retrying) and start draining."""
        self.client.connect_async(self.config.host, self.config.port, self.config.keepalive)
        self.client.loop_start()
        self._thread = threading.Thread(target=self._run, name="publisher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Say offline, disconnect and stop."""
        self._stop.set()
        self.wake.set()
        if self._thread:
            self._thread.join(timeout=5)
        if self.connected:
            availability = message(self.topics, "availability", value="offline")
            info = self.client.publish(availability.topic, availability.payload, qos=1, retain=True)
            info.wait_for_publish(timeout=1)
        self.client.disconnect()
        self.client.loop_stop()

    def is_alive(self) -> bool:
        """The publisher thread is running."""
        return bool(self._thread and self._thread.is_alive())

    def _run(self) -> None:
        conn = self.db.conn()
        seen_version = -1
        while not self._stop.is_set():
            self._handle_facts(conn)
            if self.connected and len(self._inflight) < self.config.inflight:
                version = self.db.data_version()
                if version != seen_version or self.wake.is_set():
                    self.wake.clear()
                    seen_version = version
                    self._fill_window(conn)
            self.last_progress = self.clock.monotonic()
            self.wake.wait(0.2)

    def _handle_facts(self, conn) -> None:  # type: ignore[no-untyped-def]
        acked: list[int] = []
        while True:
            try:
                fact = self._facts.get_nowait()
            except queue.Empty:
                break
            if isinstance(fact, _Acked):
                row_id = self._inflight.pop(fact.mid, None)
                if row_id is not None:
                    acked.append(row_id)
            elif isinstance(fact, _Connected):
                self._connected(conn, fact)
            elif isinstance(fact, _Disconnected):
                self._disconnected(conn, fact)
        if acked:
            now = iso(self.clock.now())
            with self.db.write():
                outbox.acknowledge(conn, acked)
                state.put(conn, "broker/last_ack", now, now)
            self.delivered += len(acked)

    def _connected(self, conn, fact: _Connected) -> None:  # type: ignore[no-untyped-def]
        now = iso(self.clock.now())
        if not fact.ok:
            with self.db.write():
                state.set_health(conn, "broker", "offline", f"the broker refused us: {fact.reason}", now)
            return
        self.connected = True
        self._inflight.clear()
        self._last_sent = 0  # resume from the oldest unacknowledged row
        online = message(self.topics, "availability", value="online")
        self.client.publish(online.topic, online.payload, qos=1, retain=True)
        with self.db.write():
            state.set_health(conn, "broker", "ok", f"connected to {self.config.host}:{self.config.port}", now)
        log.info("connected to the broker at %s:%s", self.config.host, self.config.port)

    def _disconnected(self, conn, fact: _Disconnected) -> None:  # type: ignore[no-untyped-def]
        self.connected = False
        self._inflight.clear()
        self._last_sent = 0
        now = iso(self.clock.now())
        with self.db.write():
            state.set_health(conn, "broker", "offline", f"disconnected: {fact.reason}", now)
        log.warning("lost the broker (%s); the outbox keeps everything", fact.reason)

    def _fill_window(self, conn) -> None:  # type: ignore[no-untyped-def]
        room = self.config.inflight - len(self._inflight)
        for row in outbox.pending(conn, self._last_sent, room):
            info = self.client.publish(row.topic, row.payload, qos=row.qos, retain=row.retain)
            if info.rc != paho.MQTT_ERR_SUCCESS:
                break  # not connected after all; the disconnect fact will reset us
            self._inflight[info.mid] = row.id
            self._last_sent = row.id
