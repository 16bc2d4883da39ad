"""The front's private line to waitress: one whole request over a Unix socket in a
folder only this process reaches, one whole answer back.

Waitress's own peer is that socket, so the client's address and scheme travel in two
headers only the front can send (clients' copies are dropped), and :func:`behind_front`
turns them back into REMOTE_ADDR and wsgi.url_scheme for the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import h11

log = logging.getLogger(__name__)

UPSTREAM_SECONDS = 120.0
PEER_HEADER = b"x-doorstep-peer"
SCHEME_HEADER = b"x-doorstep-scheme"
PRIVATE = b"x-doorstep-"
HOP_BY_HOP = frozenset({
    b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"te", b"trailer",
    b"upgrade", b"content-length",
})


def behind_front(app: Any) -> Callable[..., Any]:
    """The WSGI app as waitress serves it behind the front: the client's address and scheme
    come from the front's headers (waitress's own peer is the front's Unix socket)."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        peer = environ.pop("HTTP_X_DOORSTEP_PEER", None)
        scheme = environ.pop("HTTP_X_DOORSTEP_SCHEME", None)
        if peer:
            environ["REMOTE_ADDR"] = peer
        if scheme in ("http", "https"):
            environ["wsgi.url_scheme"] = scheme
        return app(environ, start_response)

    return wsgi


@dataclass(frozen=True)
class Answer:
    """What waitress answered to one request."""

    status: int
    reason: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def header(self, name: bytes) -> bytes | None:
        """The first value of header ``name`` (lower case), or None."""
        return next((v for n, v in self.headers if n == name), None)


async def exchange(upstream: str, request: h11.Request, body: bytes, client: str, scheme: str) -> Answer:
    """Ask waitress, on its private Unix socket, one whole request; its whole answer.

    The client's own hop-by-hop and X-Doorstep-* headers are dropped; the front says who
    the client is and how it came (X-Doorstep-Peer, X-Doorstep-Scheme).
    """
    headers = [(n, v) for n, v in request.headers if n not in HOP_BY_HOP and not n.startswith(PRIVATE)]
    if not any(n == b"host" for n, _ in headers):
        headers.append((b"host", b"localhost"))
    headers += [(b"content-length", str(len(body)).encode()), (b"connection", b"close"),
                (PEER_HEADER, client.encode()), (SCHEME_HEADER, scheme.encode())]
    opening = asyncio.ensure_future(asyncio.open_unix_connection(upstream, limit=1024 * 1024))
    try:
        reader, writer = await asyncio.shield(opening)
    except asyncio.CancelledError:
        # cancelled (the server is closing) while connecting: close what the connect makes
        opening.add_done_callback(_close_opened)
        raise
    except OSError as exc:
        log.error("front: waitress does not answer on %s: %s", upstream, exc)
        return Answer(502, b"Bad Gateway", [(b"content-type", b"text/plain")], b"The web role is restarting.\n")
    try:
        up = h11.Connection(h11.CLIENT)
        out = up.send(h11.Request(method=request.method, target=request.target, headers=headers))
        if body:
            out += up.send(h11.Data(data=body))
        out += up.send(h11.EndOfMessage())
        writer.write(out)
        await writer.drain()
        status, reason, answer_headers, chunks = 0, b"", [], bytearray()
        while True:
            event = up.next_event()
            if event is h11.NEED_DATA:
                up.receive_data(await asyncio.wait_for(reader.read(65536), UPSTREAM_SECONDS))
            elif isinstance(event, h11.Response):
                status, reason, answer_headers = event.status_code, event.reason, list(event.headers)
            elif isinstance(event, h11.Data):
                chunks += event.data
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                break
        if not status:  # waitress closed without an answer
            return Answer(502, b"Bad Gateway", [(b"content-type", b"text/plain")], b"No answer; try again.\n")
        return Answer(status, reason, answer_headers, bytes(chunks))
    finally:
        await closed(writer)


def _close_opened(opening: asyncio.Future[tuple[asyncio.StreamReader, asyncio.StreamWriter]]) -> None:
    if not opening.cancelled() and opening.exception() is None:
        opening.result()[1].close()


async def closed(writer: asyncio.StreamWriter) -> None:
    """Close a connection and let its transport finish closing (even in a cancelled task)."""
    with contextlib.suppress(Exception, asyncio.CancelledError):
        writer.close()
        await asyncio.wait_for(writer.wait_closed(), 1)
