"""Server-sent events: pages update within a second of a change, without reload.

All clients of this process are fed by the one shared ChangeWatcher: a change bumps its
generation, each stream wakes, renders the public snapshot and sends it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from flask import Blueprint, Response, stream_with_context

from appliance import settings
from appliance.config import Config
from appliance.status import snapshot
from kiosk.context import Web, web

bp = Blueprint("live", __name__, url_prefix="/live")

HEARTBEAT_SECONDS = 15.0


def event_stream(w: Web, render: Callable[[Web], dict[str, Any]], name: str = "snapshot") -> Iterator[str]:
    """Yield SSE frames: one now, then one after every database change; comments as heartbeat."""
    w.watcher.start()
    w.stream_opened()
    try:
        seen = w.watcher.generation
        yield "retry: 2000\n\n"
        last = None
        while not w.watcher.stopped:
            data = json.dumps(render(w), sort_keys=True)
            if data != last:
                last = data
                yield f"event: {name}\ndata: {data}\n\n"
            generation = w.watcher.wait(seen, HEARTBEAT_SECONDS)
            if w.watcher.stopped:
                break
            if generation == seen:
                yield ": heartbeat\n\n"
            seen = generation
    finally:
        w.stream_closed()


def sse(render: Callable[[Web], dict[str, Any]], name: str = "snapshot") -> Response:
    """A streaming response of ``render``'s output, refreshed on every change."""
    w = web()
    response = Response(stream_with_context(event_stream(w, render, name)), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    return response


def public_snapshot(w: Web, config: Config | None = None) -> dict[str, Any]:
    """The public status, fresh from the database, with the Settings page's overrides
    (pass ``config`` when the caller already has them).

    Every public surface serves this one picture (display, /status.*, /live/status, the
    API); when the site chose a busy band over a number, it carries no count
    (:func:`appliance.status.summary`).
    """
    conn = w.db.conn()
    return snapshot(conn, config or settings.effective(w.config, conn), w.clock.now())


@bp.get("/status")
def status_stream() -> Response:
    """Live public status (display, kiosk home)."""
    return sse(public_snapshot)
