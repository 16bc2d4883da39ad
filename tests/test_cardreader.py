"""The fob reader: RDM6300 and line framing, garbage dropped and counted, repeats merged,
and a reader pulled out and plugged back in (a pty behind a by-id style symlink)."""

from __future__ import annotations

import os
import pty
import random
import time
import tty
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.core.clock import ManualClock
from appliance.core.config import CardReaderConfig
from appliance.core.events import Event, FobRead, SensorHealthChanged
from appliance.people import fobs
from sensors.cardframes import (
    FrameError,
    LineParser,
    Rdm6300Parser,
    decode_rdm6300,
    encode_rdm6300,
)
from sensors.cardreader import CardReader, CardReaderError

SECRET = bytes(range(32))


def hasher(number: str) -> str:
    return fobs.card_hash(SECRET, number)


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        time.sleep(0.01)


# -- framing ------------------------------------------------------------------------------


def test_a_known_rdm6300_frame() -> None:
    # version 0x62, id 0xE3086CED, checksum 0x62^0xE3^0x08^0x6C^0xED = 0x08
    frame = b"\x0262E3086CED08\x03"
    assert decode_rdm6300(frame) == f"{0xE3086CED:010d}"
    assert encode_rdm6300(f"{0xE3086CED:010d}", version=0x62) == frame


@given(st.integers(0, 2**32 - 1))
def test_encode_and_decode_round_trip(card: int) -> None:
    assert decode_rdm6300(encode_rdm6300(str(card))) == f"{card:010d}"


def test_a_bad_checksum_is_rejected_and_counted() -> None:
    parser = Rdm6300Parser()
    good = encode_rdm6300("12345")
    bad = good[:11] + (b"0" if good[11:12] != b"0" else b"1") + good[12:]
    with pytest.raises(FrameError, match="checksum"):
        decode_rdm6300(bad)
    assert parser.feed(bad + good) == ["0000012345"]
    assert (parser.counters.frames_rejected, parser.counters.bytes_dropped, parser.counters.frames_read) == (1, 14, 1)


def test_a_frame_split_across_reads_is_read() -> None:
    parser = Rdm6300Parser()
    frame = encode_rdm6300("4817265")
    assert parser.feed(frame[:5]) == []
    assert parser.feed(frame[5:]) == ["0004817265"]


def test_a_frame_cut_short_by_the_next_one_is_dropped() -> None:
    parser = Rdm6300Parser()
    assert parser.feed(encode_rdm6300("1")[:6] + encode_rdm6300("2")) == ["0000000002"]
    assert parser.counters.frames_rejected == 1 and parser.counters.bytes_dropped == 6


@given(st.binary(max_size=2000), st.integers(0, 2**32 - 1), st.integers(1, 64))
def test_any_garbage_then_a_valid_frame_yields_that_frame(garbage: bytes, card: int, chunk: int) -> None:
    parser = Rdm6300Parser()
    data = garbage + encode_rdm6300(str(card))
    cards: list[str] = []
    for i in range(0, len(data), chunk):
        cards += parser.feed(data[i:i + chunk])
    assert cards and cards[-1] == f"{card:010d}"
    c = parser.counters
    # every garbage byte is either dropped or part of a frame that happened to be valid
    assert c.bytes_dropped + 14 * (c.frames_read - 1) == len(garbage)


def test_line_mode() -> None:
    parser = LineParser()
    assert parser.feed(b"0004817265\r\n12ab\n") == ["0004817265"]
    assert parser.feed(b"42") == []
    assert parser.feed(b"4242\n") == ["0000424242"]
    assert parser.feed(b"x" * 100) == []
    assert parser.counters.frames_rejected == 2
    assert parser.counters.bytes_dropped == 5 + 100


# -- the reader on a pty ----------------------------------------------------------------------


@pytest.fixture
def events() -> list[Event]:
    return []


def reader_for(path: str, events: list[Event], clock: ManualClock, mode: str = "rdm6300") -> CardReader:
    config = CardReaderConfig(enabled=True, path=path, mode=mode, repeat_seconds=2.0)
    return CardReader(config, events.append, clock, hasher, backoff_start=0.02, backoff_cap=0.2)


def reads(events: list[Event]) -> list[FobRead]:
    return [e for e in events if isinstance(e, FobRead)]


def health(events: list[Event]) -> list[str]:
    return [e.status for e in events if isinstance(e, SensorHealthChanged)]


@pytest.fixture
def reader(serial_pair, events: list[Event], clock: ManualClock) -> Iterator[CardReader]:  # type: ignore[no-untyped-def]
    running = reader_for(serial_pair.path, events, clock)
    running.start()
    wait_until(lambda: health(events) == ["ok"], "the reader opened the pty")
    yield running
    running.close()


def test_a_megabyte_of_garbage_then_a_valid_frame(reader: CardReader, serial_pair, events: list[Event]) -> None:  # type: ignore[no-untyped-def]
    garbage = random.Random(3).randbytes(1024 * 1024)
    serial_pair.write(garbage)
    serial_pair.write(encode_rdm6300("4817265"))
    wait_until(lambda: len(reads(events)) == 1, "the valid frame after the garbage")
    assert reads(events)[0].card_hash == hasher("0004817265")
    assert reads(events)[0].reader == "cardreader"
    assert reader.is_alive()
    assert reader.counters.bytes_dropped == len(garbage)
    assert reader.counters.frames_rejected > 0


def test_the_same_card_within_repeat_seconds_is_one_read(
    reader: CardReader, serial_pair, events: list[Event], clock: ManualClock  # type: ignore[no-untyped-def]
) -> None:
    frame = encode_rdm6300("424242")
    serial_pair.write(frame * 3)
    serial_pair.write(encode_rdm6300("31415926"))
    wait_until(lambda: reader.counters.frames_read == 4, "four frames")
    clock.advance(1.5)
    serial_pair.write(frame)  # still held to the reader
    wait_until(lambda: reader.counters.frames_read == 5, "five frames")
    clock.advance(2.5)
    serial_pair.write(frame)  # taken away and tapped again
    wait_until(lambda: len(reads(events)) == 3, "the second tap")
    assert [r.card_hash for r in reads(events)] == [hasher("424242"), hasher("31415926"), hasher("424242")]


def test_the_card_number_never_leaves_the_reader(reader: CardReader, serial_pair, events: list[Event]) -> None:  # type: ignore[no-untyped-def]
    serial_pair.write(encode_rdm6300("4817265"))
    wait_until(lambda: len(reads(events)) == 1, "a read")
    assert "4817265" not in repr(events)


def test_line_mode_reader(serial_pair, events: list[Event], clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    running = reader_for(serial_pair.path, events, clock, mode="line")
    running.start()
    try:
        wait_until(lambda: health(events) == ["ok"], "opened")  # opening flushes what came before
        serial_pair.write(b"0012345678\r\n")
        wait_until(lambda: len(reads(events)) == 1, "a line")
        assert reads(events)[0].card_hash == hasher("12345678")
    finally:
        running.close()


def test_unplugged_and_plugged_back_in_at_the_same_path(
    serial_pair, events: list[Event], clock: ManualClock, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    link = tmp_path / "usb-fob-reader-if00"  # as under /dev/serial/by-id/
    link.symlink_to(serial_pair.path)
    running = reader_for(str(link), events, clock)
    running.start()
    second: tuple[int, int] | None = None
    try:
        wait_until(lambda: health(events) == ["ok"], "opened")
        serial_pair.write(encode_rdm6300("1"))
        wait_until(lambda: len(reads(events)) == 1, "the first read")
        serial_pair.close()  # pulled out
        link.unlink()
        wait_until(lambda: health(events)[-1:] == ["unplugged"], "health says unplugged")
        unplugged = [e for e in events if isinstance(e, SensorHealthChanged)][-1]
        assert unplugged.sensor == "cardreader" and unplugged.detail == "unplugged"
        master, slave = pty.openpty()  # plugged back in: a new device behind the same path
        second = (master, slave)
        tty.setraw(master)
        tty.setraw(slave)
        link.symlink_to(os.ttyname(slave))
        wait_until(lambda: health(events)[-1:] == ["ok"], "health back to ok")
        os.write(master, encode_rdm6300("2"))
        wait_until(lambda: len(reads(events)) == 2, "reads resume")
        assert health(events) == ["ok", "unplugged", "ok"]
        assert running.is_alive() and running.opens == 2
    finally:
        running.close()
        for fd in second or ():
            os.close(fd)


def test_a_reader_missing_at_start_is_unplugged_until_it_appears(
    events: list[Event], clock: ManualClock, tmp_path: Path
) -> None:
    link = tmp_path / "reader"
    running = reader_for(str(link), events, clock)
    running.start()
    master, slave = pty.openpty()
    try:
        wait_until(lambda: health(events) == ["unplugged"], "unplugged at start")
        tty.setraw(master)
        tty.setraw(slave)
        link.symlink_to(os.ttyname(slave))
        wait_until(lambda: health(events) == ["unplugged", "ok"], "found")
    finally:
        running.close()
        os.close(master)
        os.close(slave)


def test_an_unknown_mode_is_a_clear_error(events: list[Event], clock: ManualClock) -> None:
    with pytest.raises(CardReaderError, match="'wiegand'"):
        reader_for("/nonexistent", events, clock, mode="wiegand")
