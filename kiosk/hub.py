"""The live streams' hub, on the front's event-loop thread: each stream is rendered once
per change (on one worker thread, inside the Flask app) and the same frame goes to every
page watching it.

The shared ChangeWatcher wakes the hub when the database changes; a tick every
HEARTBEAT_SECONDS renders again (open/closed follows the clock, not only the database)
and sends a heartbeat comment to pages that heard nothing meanwhile. A page that stops
reading (its buffer grows past MAX_BUFFER) is dropped rather than allowed to pile up
memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from flask import Flask

from kiosk import live
from kiosk.context import Web

log = logging.getLogger(__name__)

MAX_BUFFER = 512 * 1024
MIN_RENDER_GAP = 0.5  # seconds: under a storm of sensor events, at most two renders a second


@dataclass(eq=False)
class Watcher:
    """One page watching one stream: how to send it bytes and what it was sent last."""

    stream: str
    send: Callable[[str], None]
    close: Callable[[], None]
    buffered: Callable[[], int]
    grant: str | None = None
    # the kiosk page on the Pi's own screen (the kiosk stream from loopback)
    screen: bool = False
    sent: str | None = None
    last_write: float = field(default_factory=time.monotonic)

    def write(self, frame: str) -> None:
        """Send one SSE frame, or drop the page if it has stopped reading."""
        if self.buffered() > MAX_BUFFER:
            self.close()
            return
        self.send(frame)
        self.last_write = time.monotonic()


class Hub:
    """Every open live stream of one web role."""

    def __init__(self, app: Flask, web: Web, loop: asyncio.AbstractEventLoop) -> None:
        self.app = app
        self.web = web
        self.loop = loop
        self.watchers: dict[str, set[Watcher]] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-render")
        self._dirty: set[str] = set()
        self._rendering: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._closed = False
        self._count = 0
        self._screens = 0
        self._started = time.monotonic()
        self._screen_left: float | None = None
        self._last: dict[str, tuple[str, int, float]] = {}  # stream -> (JSON, generation, when)

    # -- called on the loop thread ------------------------------------------------------

    def start(self) -> None:
        """Listen to the watcher and start the heartbeat tick."""
        self.web.watcher.start()
        self.web.watcher.listen(self._changed_elsewhere)
        self._ticker = self.loop.create_task(self._tick())

    def count(self) -> int:
        """How many pages are watching (safe to ask from any thread)."""
        return self._count

    def screen_seconds(self) -> float | None:
        """How long since the Pi's own screen last held its kiosk page open: 0 while it
        does, None if it has not since this web role started (safe from any thread).

        The kiosk watch (doorstep/kioskwatch.py) restarts a kiosk whose page never came
        back: a blank or crashed Chromium page holds no stream.
        """
        if self._screens > 0:
            return 0.0
        left = self._screen_left
        return None if left is None else round(time.monotonic() - left, 1)

    def uptime(self) -> float:
        """Seconds since this web role's hub was made."""
        return round(time.monotonic() - self._started, 1)

    def subscribe(self, watcher: Watcher) -> None:
        """A page starts watching; it gets the stream's snapshot at once."""
        self.watchers.setdefault(watcher.stream, set()).add(watcher)
        self._count += 1
        if watcher.screen:
            self._screens += 1
        cached = self._last.get(watcher.stream)
        fresh = (cached is not None and cached[1] == self.web.watcher.generation
                 and time.monotonic() - cached[2] < MIN_RENDER_GAP * 5 and watcher.grant is None)
        if cached is not None and fresh:
            watcher.sent = cached[0]
            watcher.write(f"event: {watcher.stream}\ndata: {cached[0]}\n\n")
        else:
            self.changed({watcher.stream})

    def unsubscribe(self, watcher: Watcher) -> None:
        """A page stopped watching (its connection ended)."""
        group = self.watchers.get(watcher.stream)
        if group is not None and watcher in group:
            group.discard(watcher)
            self._count -= 1
            if watcher.screen:
                self._screens -= 1
                self._screen_left = time.monotonic()
            if not group:
                del self.watchers[watcher.stream]

    def changed(self, streams: set[str] | None = None) -> None:
        """Render these streams (all watched ones by default) again soon."""
        if self._closed:
            return
        self._dirty |= set(self.watchers) if streams is None else streams
        if self._rendering is None or self._rendering.done():
            self._rendering = self.loop.create_task(self._render_dirty())

    def close(self) -> None:
        """End every stream and stop rendering."""
        self._closed = True
        self.web.watcher.unlisten(self._changed_elsewhere)
        for task in (self._ticker, self._rendering):
            if task is not None:
                task.cancel()
        for group in list(self.watchers.values()):
            for watcher in list(group):
                watcher.close()
        self.watchers.clear()
        self._count = 0
        self._screens = 0
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- internals ------------------------------------------------------------------------

    def _changed_elsewhere(self) -> None:
        """The ChangeWatcher's thread saw a change: hop onto the loop."""
        with contextlib.suppress(RuntimeError):  # the loop is closing
            self.loop.call_soon_threadsafe(self.changed)

    async def _render_dirty(self) -> None:
        while self._dirty and not self._closed:
            names, self._dirty = self._dirty, set()
            started = time.monotonic()
            for name in names:
                group = self.watchers.get(name)
                if not group:
                    continue
                grants = {w.grant for w in group if w.grant}
                generation = self.web.watcher.generation
                try:
                    data, allowed = await self.loop.run_in_executor(self._pool, self._render, name, grants)
                except RuntimeError:
                    return  # the pool is shut down: the hub is closing
                except Exception:
                    log.exception("live stream %s could not be rendered", name)
                    continue
                self._last[name] = (data, generation, time.monotonic())
                self._deliver(name, data, allowed)
            await asyncio.sleep(max(0.0, MIN_RENDER_GAP - (time.monotonic() - started)))

    def _render(self, name: str, grants: set[str]) -> tuple[str, set[str] | None]:
        """On the render thread: the stream's JSON, and which grants still hold."""
        stream = live.STREAMS[name]
        with self.app.app_context(), self.app.test_request_context("/", base_url="http://localhost/"):
            data = json.dumps(stream.render(self.web), sort_keys=True)
            allowed = stream.still_allowed(self.web, grants) if stream.still_allowed else None
        return data, allowed

    def _deliver(self, name: str, data: str, allowed: set[str] | None) -> None:
        frame = f"event: {name}\ndata: {data}\n\n"
        for watcher in list(self.watchers.get(name, ())):
            if allowed is not None and watcher.grant not in allowed:
                watcher.close()  # the login behind it ended
            elif watcher.sent != data:
                watcher.sent = data
                watcher.write(frame)

    async def _tick(self) -> None:
        while not self._closed:
            await asyncio.sleep(live.HEARTBEAT_SECONDS / 3)
            self.changed()  # what a stream shows can follow the clock as well as the database
            quiet_since = time.monotonic() - live.HEARTBEAT_SECONDS
            for group in list(self.watchers.values()):
                for watcher in list(group):
                    if watcher.last_write < quiet_since:
                        watcher.write(": heartbeat\n\n")

