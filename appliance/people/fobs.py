"""Fob card numbers are never stored or published: only a keyed hash of them.

The key is a per-device secret made at first start, in a file next to the database
(mode 0600, read by the agent only). HMAC-SHA256 with it means a leaked database alone
cannot be matched against a list of card numbers, and the same fob hashes the same on
every read of this device.

Card numbers are normalised first, so a fob reads the same through an RDM6300 (which
the sensor turns into the 10-digit decimal number printed on most fobs) and through a
USB reader that types those digits.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import sqlite3
from pathlib import Path

from appliance.core import keyfile

SECRET_NAME = "fob.key"
SECRET_BYTES = 32

# The demo members' fobs (member_number -> the number printed on the fob). The simulator
# taps these; the demo gives the matching people their hashes.
DEMO_CARDS = {
    "M001": "0004817265",
    "M002": "0012345678",
    "M003": "0000424242",
    "M004": "0031415926",
}

_DIGITS = re.compile(r"^[0-9]{1,20}$")
_HEX = re.compile(r"^[0-9A-Fa-f]{1,20}$")


class FobError(Exception):
    """A card number or the fob secret cannot be used."""


def secret_path(database_path: str | Path) -> Path:
    """Where the fob secret lives: next to the database file."""
    return Path(database_path).parent / SECRET_NAME


def load_secret(path: Path) -> bytes:
    """The device's fob secret, created (mode 0600) on first use."""
    try:
        return keyfile.load_or_create(
            path, SECRET_BYTES,
            "; restore it from a backup (deleting it makes every enrolled fob unknown)",
        )
    except keyfile.KeyFileError as exc:
        raise FobError(str(exc).replace("the key file", "the fob secret").replace("key file", "fob secret")) from None


def normalise(number: str) -> str:
    """The canonical form of a card number: 10 digits for decimal numbers, else upper-case hex."""
    text = number.strip()
    if _DIGITS.match(text):
        return f"{int(text):010d}"
    if _HEX.match(text):
        return text.upper()
    raise FobError(f"{number!r} is not a card number (expected digits, e.g. 0004817265)")


def card_hash(secret: bytes, number: str) -> str:
    """The keyed hash stored and matched instead of a card number."""
    return hmac.new(secret, normalise(number).encode("ascii"), hashlib.sha256).hexdigest()


def ballot_key(secret: bytes, number: str) -> str:
    """A second keyed hash of a card number, for vote receipts only (appliance/decisions/
    voting.py): never stored, so a database alone cannot tie a receipt to a person's card."""
    return hmac.new(secret, b"ballot|" + normalise(number).encode("ascii"), hashlib.sha256).hexdigest()


def assign_demo_cards(conn: sqlite3.Connection, secret: bytes) -> int:
    """Give the demo members their fobs' hashes; return how many people got one."""
    assigned = 0
    for member_number, number in DEMO_CARDS.items():
        with contextlib.suppress(sqlite3.IntegrityError):  # already given to someone
            cur = conn.execute(
                "UPDATE people SET card_hash = ? WHERE member_number = ?",
                (card_hash(secret, number), member_number),
            )
            assigned += cur.rowcount
    return assigned
