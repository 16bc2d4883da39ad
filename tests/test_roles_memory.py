"""What the web role keeps after work that needs a lot of memory for a moment.

A booking's cancel code, and an admin's password, are hashed with scrypt, which takes
16 MiB for each hash on purpose. glibc serves a block that large with mmap and gives it
back when freed, but after the first such free it raises its threshold so that the next
ones come from its heap, which it keeps: a morning's bookings from a few phones left the
web role holding 100 MiB more than at start, on a Pi that may have 512 MiB. The role is
started as its systemd unit starts it (the unit's Environment=), on a real SQLite file,
and booked through the API from several clients at once, as phones do
(bench.bench_memory.web_after_bookings, which make bench reports as a ratio).
"""

from __future__ import annotations

from pathlib import Path

from bench.bench_memory import web_after_bookings

SCRYPT_MIB = 16


def test_bookings_from_several_phones_do_not_stay_in_memory(tmp_path: Path) -> None:
    before, after = (kib / 1024 for kib in web_after_bookings(tmp_path, clients=4, each=6))
    # One hash's block may stay (glibc keeps a little at the top of its heap); not one per booking.
    assert after - before <= 1.5 * SCRYPT_MIB, (
        f"24 bookings left the web role {after - before:.0f} MiB bigger ({before:.0f} -> {after:.0f} MiB)"
    )
