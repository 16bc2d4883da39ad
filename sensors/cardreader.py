"""A fob reader on a serial port (pyserial), surviving being unplugged.

One thread per reader opens the configured path (prefer a /dev/serial/by-id/ path: it
follows the USB reader from socket to socket), reads, and feeds a parser from
:mod:`sensors.cardframes`. When the device goes away (SerialException / OSError) it
closes it, reports health "unplugged", and tries the same path again with an
exponential back-off, capped, until the reader is back; no restart needed.

Only the keyed hash of a card number leaves this module (``hasher`` comes from
appliance.people.fobs); the number itself is never logged, stored or published.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

import serial

from appliance.core.clock import Clock
from appliance.core.config import CardReaderConfig
from appliance.core.events import EventSink, FobRead
from appliance.core.threads import Worker
from sensors.cardframes import Counters, LineParser, Rdm6300Parser
from sensors.health import HealthReporter

log = logging.getLogger(__name__)

READER_ID = "cardreader"


class CardReaderError(Exception):
    """The card reader was configured with something it cannot use."""


class CardReader(Worker):
    """Reads fobs from a serial reader and emits FobRead(reader, card_hash)."""

    def __init__(
        self,
        config: CardReaderConfig,
        submit: EventSink,
        clock: Clock,
        hasher: Callable[[str], str],
        *,
        ballot_hasher: Callable[[str], str] | None = None,
        backoff_start: float = 0.25,
        backoff_cap: float = 10.0,
    ) -> None:
        super().__init__("cardreader", join_seconds=3)
        if config.mode not in ("rdm6300", "line"):
            raise CardReaderError(f"cardreader.mode {config.mode!r} must be 'rdm6300' or 'line'")
        self.config = config
        self.submit = submit
        self.clock = clock
        self.hasher = hasher
        # the vote receipts' key (appliance/people/fobs.py ballot_key), made here while the number is known
        self.ballot_hasher = ballot_hasher
        self.backoff_start = backoff_start
        self.backoff_cap = backoff_cap
        self.parser = Rdm6300Parser() if config.mode == "rdm6300" else LineParser()
        self.health = HealthReporter(READER_ID, submit, clock)
        self.reads = 0
        self.opens = 0
        self._last_seen: dict[str, float] = {}
        self._port: serial.Serial | None = None

    @property
    def counters(self) -> Counters:
        """Bytes dropped, frames rejected and frames read so far."""
        return self.parser.counters

    # start(): read on a background thread (appliance.core.threads.Worker).

    def close(self) -> None:
        """Stop reading and close the port."""
        self.stop()
        self._close_port()

    def _open(self) -> serial.Serial:
        # serial_for_url: a device path, or a URL such as socket://host:port for a network reader.
        return serial.serial_for_url(
            self.config.path, self.config.baudrate, bytesize=serial.EIGHTBITS,
            parity=serial.PARITY_NONE, stopbits=serial.STOPBITS_ONE, timeout=0.1,
        )

    def _close_port(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(serial.SerialException, OSError):  # it is gone already
                port.close()

    def loop(self) -> None:
        delay = self.backoff_start
        while not self.stopping:
            if self._port is None:
                try:
                    self._port = self._open()
                except (serial.SerialException, OSError, ValueError) as exc:
                    if self.health.set("unplugged", "unplugged"):
                        log.warning("fob reader at %s is not there (%s); trying again", self.config.path, exc)
                    self.sleep(delay)
                    delay = min(delay * 2, self.backoff_cap)
                    continue
                self.opens += 1
                delay = self.backoff_start
                self.health.set("ok")
                log.info("fob reader open at %s", self.config.path)
            try:
                waiting = self._port.in_waiting
                data = self._port.read(min(max(waiting, 1), 4096))
            except (serial.SerialException, OSError) as exc:
                log.warning("fob reader at %s went away (%s)", self.config.path, exc)
                self._close_port()
                self.parser.reset()
                self.health.set("unplugged", "unplugged")
                continue  # reopen at once, then back off
            if data:
                self._handle(data)

    def _handle(self, data: bytes) -> None:
        for number in self.parser.feed(data):
            card_hash = self.hasher(number)  # from here on only the hashes are kept
            ballot_key = self.ballot_hasher(number) if self.ballot_hasher is not None else ""
            now = self.clock.monotonic()
            last = self._last_seen.get(card_hash)
            # A fob held to the reader repeats its frame: one read until it is away for a while.
            self._last_seen[card_hash] = now
            if last is not None and now - last < self.config.repeat_seconds:
                continue
            self.reads += 1
            self.submit(FobRead(reader=READER_ID, card_hash=card_hash, ballot_key=ballot_key, at=self.clock.now()))
        if len(self._last_seen) > 1000:  # forget old cards; the dedup window is seconds
            cutoff = self.clock.monotonic() - self.config.repeat_seconds
            self._last_seen = {k: v for k, v in self._last_seen.items() if v >= cutoff}
