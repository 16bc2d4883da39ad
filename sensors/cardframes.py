"""Turning the bytes a fob reader sends into card numbers; everything else is dropped and counted.

Two formats:

- **RDM6300** (125 kHz EM4100 module, 9600 8N1): ``0x02``, 10 ASCII hex digits (a
  version byte and the 32-bit card id), 2 ASCII hex digits of checksum (the XOR of the
  5 data bytes), ``0x03``. The card number is the 32-bit id as 10 decimal digits, the
  number printed on most fobs, so it matches what a USB reader types.
- **line**: many USB readers send the digits then a newline.

Parsers are pure (no I/O) and resynchronise on their own after garbage or a frame cut
short when the reader was unplugged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STX = 0x02
ETX = 0x03
FRAME_LEN = 14
_HEXDIGITS = frozenset(b"0123456789ABCDEFabcdef")
_LINE = re.compile(rb"^[0-9]{4,20}$")
MAX_LINE = 64


class FrameError(Exception):
    """A frame that cannot be decoded (used for reporting, never raised out of feed)."""


@dataclass
class Counters:
    """What the parser threw away."""

    bytes_dropped: int = 0
    frames_rejected: int = 0
    frames_read: int = 0


def decode_rdm6300(frame: bytes) -> str:
    """The card number of one complete RDM6300 frame, or FrameError saying what is wrong."""
    if len(frame) != FRAME_LEN or frame[0] != STX or frame[-1] != ETX:
        raise FrameError("not framed by STX ... ETX with 12 characters between")
    body = frame[1:-1]
    if not all(c in _HEXDIGITS for c in body):
        raise FrameError("non-hex characters in the frame")
    data = bytes.fromhex(body[:10].decode("ascii"))
    checksum = int(body[10:12], 16)
    xor = 0
    for b in data:
        xor ^= b
    if xor != checksum:
        raise FrameError(f"checksum {checksum:02X} but the data gives {xor:02X}")
    return f"{int.from_bytes(data[1:], 'big'):010d}"


def encode_rdm6300(number: str, version: int = 0) -> bytes:
    """The frame an RDM6300 sends for a card number (the simulator and the tests use it)."""
    data = bytes([version]) + int(number).to_bytes(4, "big")
    xor = 0
    for b in data:
        xor ^= b
    return bytes([STX]) + f"{data.hex().upper()}{xor:02X}".encode("ascii") + bytes([ETX])


class Rdm6300Parser:
    """Finds valid frames in a byte stream."""

    def __init__(self) -> None:
        self.counters = Counters()
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[str]:
        """Add bytes; return the card numbers of the valid frames completed by them."""
        buf = self._buffer
        buf += data
        cards: list[str] = []
        while buf:
            start = buf.find(STX)
            if start < 0:
                self.counters.bytes_dropped += len(buf)
                buf.clear()
                break
            if start:
                self.counters.bytes_dropped += start
                del buf[:start]
            if len(buf) < FRAME_LEN:
                # A partial frame: wait for more unless a later STX already shows it is cut short.
                later = buf.find(STX, 1)
                if later < 0:
                    break
                self.counters.frames_rejected += 1
                self.counters.bytes_dropped += later
                del buf[:later]
                continue
            candidate = bytes(buf[:FRAME_LEN])
            try:
                cards.append(decode_rdm6300(candidate))
            except FrameError:
                self.counters.frames_rejected += 1
                # Resynchronise on the next STX: a real frame may start inside this one.
                later = buf.find(STX, 1)
                cut = later if 0 < later < FRAME_LEN else FRAME_LEN
                self.counters.bytes_dropped += cut
                del buf[:cut]
                continue
            self.counters.frames_read += 1
            del buf[:FRAME_LEN]
        return cards

    def reset(self) -> None:
        """Forget a partial frame (the device went away); it counts as dropped."""
        if self._buffer:
            self.counters.frames_rejected += 1
            self.counters.bytes_dropped += len(self._buffer)
            self._buffer.clear()


class LineParser:
    """Card numbers sent as digits and a newline."""

    def __init__(self) -> None:
        self.counters = Counters()
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[str]:
        """Add bytes; return the card numbers of the complete, valid lines."""
        self._buffer += data.replace(b"\r", b"\n")
        cards: list[str] = []
        while True:
            end = self._buffer.find(b"\n")
            if end < 0:
                if len(self._buffer) > MAX_LINE:  # no newline coming: garbage
                    self.counters.frames_rejected += 1
                    self.counters.bytes_dropped += len(self._buffer)
                    self._buffer.clear()
                return cards
            line = bytes(self._buffer[:end]).strip()
            del self._buffer[: end + 1]
            if not line:
                continue  # the \n of a \r\n pair, or a blank line
            if _LINE.match(line):
                self.counters.frames_read += 1
                cards.append(f"{int(line):010d}")
            else:
                self.counters.frames_rejected += 1
                self.counters.bytes_dropped += len(line) + 1

    def reset(self) -> None:
        """Forget a partial line."""
        if self._buffer:
            self.counters.frames_rejected += 1
            self.counters.bytes_dropped += len(self._buffer)
            self._buffer.clear()
