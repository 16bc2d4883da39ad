"""Per-device secrets kept in small files of their own (mode 0600), never in the database.

The fob key (the agent's) and the web role's session key are each made on first use with
an exclusive create, so two processes starting at once cannot both write one, and are
read back as hex. A database backup therefore never holds them.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


class KeyFileError(Exception):
    """A key file cannot be made or read; the message names the file and what to do."""


def load_or_create(path: Path, nbytes: int = 32, damaged_hint: str = "") -> bytes:
    """The key in ``path``, made (``nbytes`` random bytes as hex, mode 0600) if it is missing.

    The folder is made too (mode 0700) when it does not exist.
    """
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise KeyFileError(f"cannot create the key file {path}: {exc}") from None
    else:
        try:
            os.write(fd, secrets.token_hex(nbytes).encode("ascii"))
        finally:
            os.close(fd)
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"cannot read the key file {path}: {exc}") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise KeyFileError(f"the key file {path} is damaged{damaged_hint}")
    return key
