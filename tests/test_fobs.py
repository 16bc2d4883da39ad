"""Card numbers become a keyed hash; the per-device secret is made once, private to its owner."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from appliance.people import fobs
from appliance.storage.db import Database
from doorstep.seed import seed_demo


def test_the_secret_is_created_once_next_to_the_database_with_mode_0600(tmp_path: Path) -> None:
    path = fobs.secret_path(tmp_path / "doorstep.db")
    assert path.parent == tmp_path
    first = fobs.load_secret(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) == fobs.SECRET_BYTES
    assert fobs.load_secret(path) == first


def test_each_device_has_its_own_secret(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = fobs.load_secret(fobs.secret_path(tmp_path / "a" / "x.db"))
    b = fobs.load_secret(fobs.secret_path(tmp_path / "b" / "x.db"))
    assert a != b
    assert fobs.card_hash(a, "4817265") != fobs.card_hash(b, "4817265")


def test_a_damaged_secret_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / fobs.SECRET_NAME
    path.write_text("not hex")
    with pytest.raises(fobs.FobError, match="damaged"):
        fobs.load_secret(path)


def test_the_hash_is_keyed_and_normalised() -> None:
    secret = b"k" * 32
    h = fobs.card_hash(secret, "0004817265")
    assert h == fobs.card_hash(secret, "4817265") == fobs.card_hash(secret, " 4817265\n")
    assert "4817265" not in h and len(h) == 64
    assert fobs.card_hash(b"j" * 32, "4817265") != h
    assert fobs.normalise("e3086ced") == "E3086CED"


@pytest.mark.parametrize("bad", ["", "12-34", "card 7", "9" * 21])
def test_not_a_card_number(bad: str) -> None:
    with pytest.raises(fobs.FobError, match="not a card number"):
        fobs.card_hash(b"k" * 32, bad)


def test_demo_members_get_their_fob_hashes(db: Database, tmp_path: Path) -> None:
    seed_demo(db)
    secret = fobs.load_secret(tmp_path / fobs.SECRET_NAME)
    with db.write() as conn:
        assert fobs.assign_demo_cards(conn, secret) == len(fobs.DEMO_CARDS)
    rows = dict(db.conn().execute("SELECT member_number, card_hash FROM people WHERE card_hash IS NOT NULL").fetchall())
    assert rows == {m: fobs.card_hash(secret, n) for m, n in fobs.DEMO_CARDS.items()}
