"""Booking references and cancel codes: short, unambiguous, and the codes stored only as
a slow hash (a lost code cannot be shown again; an admin cancels instead).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3

# Booking references and cancel codes: no 0/O, 1/I/L, 2/Z, 5/S, 8/B, so they survive
# being read aloud, handwritten or typed on a touchscreen.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
REFERENCE_LENGTH = 6
CODE_LENGTH = 6
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def new_code(length: int = CODE_LENGTH) -> str:
    """A short random code from the unambiguous alphabet."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def hash_code(code: str) -> str:
    """How a cancel code is stored: scrypt with a random salt (slow on purpose: codes are short)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(normalise_code(code).encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def normalise_code(code: str) -> str:
    """Codes are case-blind and ignore spaces and dashes people type in."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def verify_code(code: str, stored: str) -> bool:
    """The code matches its stored hash (constant-time compare)."""
    try:
        _, salt, digest = stored.split("$")
        actual = hashlib.scrypt(normalise_code(code).encode(), salt=bytes.fromhex(salt), **_SCRYPT)
    except ValueError:
        return False
    return hmac.compare_digest(actual.hex(), digest)


def new_reference(conn: sqlite3.Connection) -> str:
    """A booking reference no booking has yet."""
    while True:  # 25^6 = 244 million: a collision is rare, and then we draw again
        ref = new_code(REFERENCE_LENGTH)
        if conn.execute("SELECT 1 FROM bookings WHERE reference = ?", (ref,)).fetchone() is None:
            return ref
