"""Server-sent events: pages update within a second of a change, without reload.

A live route is an ordinary Flask view: it checks who may watch (a login, the kiosk
network) and answers with :func:`stream`, a tiny response naming the stream. The web
role's front (kiosk/front.py) sees that name, frees the request thread at once and
keeps the connection itself, on its one event-loop thread; kiosk/hub.py renders each
stream once per database change (one shared ChangeWatcher) and sends the same frame to
every page watching it. So a live page costs a socket, never a request thread, and a
closed page's stream ends as soon as its connection does.

What a stream carries is unchanged: one snapshot at once, then one after every change
that alters it, and a comment as heartbeat when nothing changed for 15 seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response

from appliance.core.config import Config
from appliance.storage import settings
from appliance.views.public import snapshot
from kiosk.context import Web

bp = Blueprint("live", __name__, url_prefix="/live")

HEARTBEAT_SECONDS = 15.0
# The response headers by which a view hands its connection to the front.
STREAM_HEADER = "X-Doorstep-Stream"
GRANT_HEADER = "X-Doorstep-Stream-Grant"


@dataclass(frozen=True)
class Stream:
    """A named live stream: what it sends, and (for streams that need a login) which of
    the watchers' grants still hold."""

    name: str
    render: Callable[[Web], dict[str, Any]]
    still_allowed: Callable[[Web, Iterable[str]], set[str]] | None = None


STREAMS: dict[str, Stream] = {}


def register(name: str, render: Callable[[Web], dict[str, Any]],
             still_allowed: Callable[[Web, Iterable[str]], set[str]] | None = None) -> Stream:
    """Declare a live stream (the SSE event name is ``name``)."""
    found = STREAMS.get(name)
    if found is not None and found.render is not render:
        raise ValueError(f"two live streams are called {name!r}")
    STREAMS[name] = found or Stream(name, render, still_allowed)
    return STREAMS[name]


def stream(name: str, grant: str | None = None) -> Response:
    """Answer a live route: the front takes the connection over and sends stream ``name``.

    ``grant`` ties the stream to something that can end (a login session); the stream is
    closed once its Stream's ``still_allowed`` no longer lists it.
    """
    if name not in STREAMS:
        raise KeyError(f"no live stream is called {name!r}")
    response = Response("This live stream is served by the web role's front door.\n", mimetype="text/plain")
    response.headers[STREAM_HEADER] = name
    if grant:
        response.headers[GRANT_HEADER] = grant
    response.headers["Cache-Control"] = "no-store"
    return response


def public_snapshot(w: Web, config: Config | None = None) -> dict[str, Any]:
    """The public status, fresh from the database, with the Settings page's overrides
    (pass ``config`` when the caller already has them).

    Every public surface serves this one picture (display, /status.*, /live/status, the
    API); when the site chose a busy band over a number, it carries no count
    (:func:`appliance.views.public.summary`).
    """
    conn = w.db.conn()
    return snapshot(conn, config or settings.effective(w.config, conn), w.clock.now())


register("snapshot", public_snapshot)


@bp.get("/status")
def status_stream() -> Response:
    """Live public status (display, kiosk home)."""
    return stream("snapshot")
