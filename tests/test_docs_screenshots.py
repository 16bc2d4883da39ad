"""The docs' pictures (tools/screenshots.py, `make docs`): every row's steps still work
on the pages as they are, every picture is in the docs, and no picture is left over."""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Any

import pytest
from dashboard_support import PASSWORD, make_admin

from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.storage.db import Database
from doorstep.seed import seed_bookings, seed_decisions, seed_demo, seed_history, seed_rota
from tools.screenshots import OUT, SHOTS, take

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_every_picture_is_a_row_and_in_the_docs() -> None:
    names = [s.name for s in SHOTS]
    assert len(names) == len(set(names)), "two rows with one name"
    on_disk = {p.stem for p in OUT.glob("*.png")}
    assert on_disk == set(names), "run 'make docs' (or remove pictures no row takes)"
    text = "\n".join(p.read_text(encoding="utf-8") for p in DOCS)
    embedded = set(re.findall(r"screenshots/([\w-]+)\.png", text))
    assert set(names) - embedded == set(), "every picture is shown in README.md or a page of docs/"
    assert embedded - set(names) == set(), "a page shows a picture no row takes"
    for shot in SHOTS:
        assert shot.caption, f"{shot.name}: a caption (the alt text)"


@pytest.mark.browser
def test_every_row_can_be_taken(browser: Any, db: Database, config: Config, clock: ManualClock) -> None:
    from doorstep.broker import free_port
    from kiosk import create_app
    from kiosk.server import WebServer

    seed_demo(db)
    seed_bookings(db, config)
    seed_rota(db, config)
    seed_decisions(db, config)  # as the demo does: the pictures show its open vote
    seed_history(db, config, weeks=2)
    make_admin(db, clock.now())
    today = clock.now().astimezone(config.site.zone).date()
    # As many threads as the demo (live streams hold none: the front keeps them).
    port = free_port()
    server = WebServer(create_app(config, clock=clock), "127.0.0.1", port, threads=config.web.threads)
    server.start()
    try:
        for shot in SHOTS:
            picture = take(browser, f"http://127.0.0.1:{port}/", shot, ("alice", PASSWORD), today, None)
            width, height = png_size(picture)
            assert width == shot.viewport[0], shot.name
            assert height == shot.viewport[1] or (shot.full_page and height >= shot.viewport[1]), shot.name
    finally:
        server.close()
