"""The web role's front door: one asyncio thread owns the public sockets (port 8080, and
the HTTPS port when there is one) and hands each complete request to waitress.

Why a front at all: waitress gives each request a thread until its response ends, and
its connection limit counts half-sent requests. A live page or a slow phone on the
hall's Wi-Fi could hold every thread or every connection, and the touchscreen with them.
Here an idle connection, a half-sent request or a live stream costs a coroutine and a
socket, not a thread:

- requests are read with h11 (a well-kept HTTP/1.1 parser) under a deadline, and only a
  whole request reaches waitress, on a private Unix socket (kiosk/upstream.py), one at a
  time per connection;
- a view that answers with a live stream (kiosk/live.py) frees its thread at once; the
  front keeps the connection and kiosk/hub.py feeds it, so a closed page's stream ends
  when its socket does;
- kiosk/gate.py caps connections and streams per LAN address and for the whole LAN,
  with the Pi's own screen (127.0.0.1) on a budget of its own; LAN requests may use all
  but a few of waitress's threads, so the kiosk always finds one free.

Waitress still does the WSGI work. It learns the real client address and scheme from
X-Doorstep-Peer and X-Doorstep-Scheme, which only the front can send (the socket is in
a private folder) and which the front strips from what clients send.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import ssl
import threading
from collections.abc import Iterable
from typing import Any

import h11
from flask import Flask

from kiosk import live
from kiosk.context import Web
from kiosk.gate import Gate, Limits, is_local
from kiosk.headers import as_bytes as security_headers
from kiosk.hub import Hub, Watcher
from kiosk.upstream import HOP_BY_HOP, PRIVATE, Answer, closed, exchange

log = logging.getLogger(__name__)

MAX_HEAD = 16 * 1024
MAX_BODY = 2 * 1024 * 1024 + 64 * 1024  # Flask's MAX_CONTENT_LENGTH plus the form's own overhead
HEAD_SECONDS_LAN = 10.0  # a request head (or the pause before the next one) from the LAN
HEAD_SECONDS_LOCAL = 60.0
BODY_SECONDS = 30.0
LOCAL_RESERVE = 4  # waitress threads LAN requests may never take
SECURITY_HEADERS = security_headers()  # on the answers the front makes itself
SCREEN_STREAM = "kiosk"  # the entrance pages' stream: from loopback, the Pi's own screen


class Closed(Exception):
    """The client went away, sent nonsense, or was too slow."""


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound, listening TCP socket (raises OSError when the port is taken)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host or "0.0.0.0", port))
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


class Front:
    """The event-loop thread in front of waitress."""

    def __init__(self, app: Flask, web: Web, upstream: str, listeners: Iterable[tuple[socket.socket, ssl.SSLContext | None]],
                 limits: Limits, trusted_proxies: tuple[str, ...] = (), threads: int = 8) -> None:
        self.app = app
        self.upstream = upstream
        self.listeners = list(listeners)
        self.gate = Gate(limits, trusted_proxies)
        self.loop = asyncio.new_event_loop()
        self.hub = Hub(app, web, self.loop)
        self.lan_slots = max(1, threads - LOCAL_RESERVE)
        self._lan_slots: asyncio.Semaphore | None = None
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    # -- life -------------------------------------------------------------------------------

    def start(self) -> None:
        """Serve on a thread of its own; returns once the sockets accept."""
        self._thread = threading.Thread(target=self._run, name="web-front", daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def is_alive(self) -> bool:
        """The front's thread is running."""
        return bool(self._thread and self._thread.is_alive())

    def close(self) -> None:
        """Stop accepting, end every connection and stream, stop the thread."""
        if self._thread is None or not self._thread.is_alive():
            for sock, _ in self.listeners:
                sock.close()
            return
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop)
        with contextlib.suppress(Exception):
            future.result(timeout=5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._open())
        finally:
            self._ready.set()
        try:
            self.loop.run_forever()
        finally:
            self._finish()

    def _finish(self) -> None:
        """After the loop stopped: end what is left (connections accepted during the close
        included), so no socket outlives the server."""
        for _ in range(5):
            for writer in list(self._writers):
                writer.close()
            for task in list(self._tasks):
                task.cancel()
            # asyncio's own accept tasks are left to finish: cancelled before they start,
            # they would drop their socket unclosed; finished, they hand it to us to close
            pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
            try:
                self.loop.run_until_complete(asyncio.wait(pending, timeout=0.5) if pending else asyncio.sleep(0.02))
            except Exception:
                log.exception("front: while closing")
            if not pending and not self._writers:
                break
        self._close_stray_transports()
        with contextlib.suppress(Exception):
            self.loop.run_until_complete(asyncio.sleep(0.01))  # transports finish closing
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    def _close_stray_transports(self) -> None:
        """Close any transport still registered with the loop's selector.

        A connection caught between asyncio's accept or connect and our code at the moment
        of shutdown is owned by no task we can reach; the selector still knows it.
        """
        selector = getattr(self.loop, "_selector", None)
        if selector is None:
            return
        for key in list(selector.get_map().values()):
            for handle in key.data or ():
                transport = getattr(getattr(handle, "_callback", None), "__self__", None)
                if isinstance(transport, asyncio.BaseTransport) and not transport.is_closing():
                    transport.close()

    async def _open(self) -> None:
        self._lan_slots = asyncio.Semaphore(self.lan_slots)
        self.hub.start()
        for sock, tls in self.listeners:
            scheme = "https" if tls else "http"

            def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, scheme: str = scheme) -> None:
                self._writers.add(writer)
                task = self.loop.create_task(self._connection(reader, writer, scheme))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

            self._servers.append(await asyncio.start_server(
                handler, sock=sock, ssl=tls, ssl_handshake_timeout=HEAD_SECONDS_LAN if tls else None,
                limit=MAX_HEAD * 4))

    async def _shutdown(self) -> None:
        for server in self._servers:
            server.close()
        self.hub.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=3)
        for writer in list(self._writers):  # also those whose task was cancelled before it began
            writer.close()
        await asyncio.sleep(0.01)  # let the transports finish closing

    # -- one connection ---------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, scheme: str) -> None:
        peer = writer.get_extra_info("peername")
        address = str(peer[0]) if peer else ""
        if not self.gate.open_connection(address):
            with contextlib.suppress(Exception):
                writer.write(_plain_answer(503, b"Service Unavailable", b"Too many connections; try again shortly.\n",
                                           retry_after=self.gate.limits.retry_after_seconds))
            self._writers.discard(writer)
            await closed(writer)
            return
        try:
            await self._converse(reader, writer, address, scheme)
        except (Closed, ConnectionError, TimeoutError, asyncio.IncompleteReadError, ssl.SSLError, h11.ProtocolError):
            pass
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("front: unexpected error on a connection from %s", address)
        finally:
            self.gate.close_connection(address)
            self._writers.discard(writer)
            await closed(writer)

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, address: str,
                        scheme: str) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        head_seconds = HEAD_SECONDS_LOCAL if is_local(address) else HEAD_SECONDS_LAN
        while True:
            try:
                # the whole head within the deadline, however it is dribbled in (slowloris)
                event = await self._next(conn, reader, self.loop.time() + head_seconds)
                if not isinstance(event, h11.Request):
                    return
                request = event
                body = bytearray()
                body_deadline = self.loop.time() + BODY_SECONDS
                while True:
                    event = await self._next(conn, reader, body_deadline)
                    if isinstance(event, h11.Data):
                        body += event.data
                        if len(body) > MAX_BODY:
                            await self._send_plain(conn, writer, 413, b"Payload Too Large", b"That is too much to send.\n")
                            return
                    elif isinstance(event, h11.EndOfMessage):
                        break
                    else:
                        return
            except h11.RemoteProtocolError as exc:
                if conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
                    await self._send_plain(conn, writer, exc.error_status_hint, b"Bad Request",
                                           b"That request could not be understood.\n")
                return
            client, client_scheme = self._client(address, scheme, request.headers)
            answer = await self._ask_waitress(request, bytes(body), client, client_scheme, local=is_local(address))
            stream = answer.header(live.STREAM_HEADER.lower().encode())
            if stream is not None and answer.status == 200 and request.method == b"GET":
                await self._stream(conn, reader, writer, client, answer, stream.decode("latin-1"))
                return
            await self._send(conn, writer, request, answer)
            if conn.our_state is h11.MUST_CLOSE or conn.their_state is not h11.DONE:
                return
            conn.start_next_cycle()

    async def _next(self, conn: h11.Connection, reader: asyncio.StreamReader, deadline: float) -> Any:
        """The next h11 event, reading more bytes until ``deadline`` (the loop's clock)."""
        while True:
            event = conn.next_event()
            if event is not h11.NEED_DATA:
                return event
            try:
                data = await asyncio.wait_for(reader.read(65536), max(0.0, deadline - self.loop.time()))
            except TimeoutError:
                raise Closed("too slow") from None
            conn.receive_data(data)  # b"" tells h11 the client closed

    def _client(self, address: str, scheme: str, headers: Iterable[tuple[bytes, bytes]]) -> tuple[str, str]:
        """The client's address and scheme: the peer's, unless the peer is a trusted proxy."""
        if not self.gate.is_proxy(address):
            return address, scheme
        forwarded_for = b",".join(v for n, v in headers if n == b"x-forwarded-for").decode("latin-1")
        proto = next((v for n, v in headers if n == b"x-forwarded-proto"), b"").decode("latin-1").strip().lower()
        client = address
        for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                break
            client = hop
            if not self.gate.is_proxy(hop):
                break
        return client, proto if proto in ("http", "https") else scheme

    # -- waitress ---------------------------------------------------------------------------

    async def _ask_waitress(self, request: h11.Request, body: bytes, client: str, scheme: str, local: bool) -> Answer:
        if local:
            return await exchange(self.upstream, request, body, client, scheme)
        assert self._lan_slots is not None
        async with self._lan_slots:
            return await exchange(self.upstream, request, body, client, scheme)

    # -- answering --------------------------------------------------------------------------

    async def _send(self, conn: h11.Connection, writer: asyncio.StreamWriter, request: h11.Request, answer: Answer) -> None:
        headers = [(n, v) for n, v in answer.headers if n not in HOP_BY_HOP and not n.startswith(PRIVATE)]
        length = answer.header(b"content-length") if request.method == b"HEAD" else None
        headers.append((b"content-length", length or str(len(answer.body)).encode()))
        data = conn.send(h11.Response(status_code=answer.status, reason=answer.reason, headers=headers)) or b""
        if answer.body and request.method != b"HEAD":
            data += conn.send(h11.Data(data=answer.body)) or b""
        data += conn.send(h11.EndOfMessage()) or b""
        writer.write(data)
        await writer.drain()

    async def _send_plain(self, conn: h11.Connection, writer: asyncio.StreamWriter, status: int, reason: bytes,
                          text: bytes, retry_after: int | None = None) -> None:
        fields = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(text)).encode()),
                  (b"connection", b"close"), *SECURITY_HEADERS]
        if retry_after:
            fields.append((b"retry-after", str(retry_after).encode()))
        data = conn.send(h11.Response(status_code=status, reason=reason, headers=fields)) or b""
        data += (conn.send(h11.Data(data=text)) or b"") + (conn.send(h11.EndOfMessage()) or b"")
        writer.write(data)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer.drain(), 5)

    async def _stream(self, conn: h11.Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                      client: str, answer: Answer, name: str) -> None:
        """Keep the connection as live stream ``name`` until the page goes away."""
        if name not in live.STREAMS:
            await self._send_plain(conn, writer, 500, b"Internal Server Error", b"Unknown live stream.\n")
            return
        if not self.gate.open_stream(client):
            await self._send_plain(conn, writer, 503, b"Service Unavailable",
                                   b"Too many live pages are open from this address; close one and reload.\n",
                                   retry_after=self.gate.limits.retry_after_seconds)
            return
        try:
            grant = answer.header(live.GRANT_HEADER.lower().encode())
            skip = HOP_BY_HOP | {b"content-type", b"cache-control"}
            headers = [(n, v) for n, v in answer.headers if n not in skip and not n.startswith(PRIVATE)]
            headers += [(b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-store"),
                        (b"x-accel-buffering", b"no")]
            writer.write((conn.send(h11.Response(status_code=200, headers=headers)) or b"")
                         + (conn.send(h11.Data(data=b"retry: 2000\n\n")) or b""))
            transport = writer.transport

            def send(frame: str) -> None:
                if not transport.is_closing():
                    writer.write(conn.send(h11.Data(data=frame.encode("utf-8"))) or b"")

            watcher = Watcher(name, send, transport.close, transport.get_write_buffer_size,
                              grant.decode("latin-1") if grant else None,
                              screen=name == SCREEN_STREAM and is_local(client))
            self.hub.subscribe(watcher)
            try:
                # A page sends nothing more on a stream: any read returning means it left.
                while await reader.read(4096):
                    pass
            finally:
                self.hub.unsubscribe(watcher)
        finally:
            self.gate.close_stream(client)


def _plain_answer(status: int, reason: bytes, text: bytes, retry_after: int) -> bytes:
    """A whole HTTP/1.1 answer for a connection refused before it was read."""
    head = [f"HTTP/1.1 {status} {reason.decode()}", "Content-Type: text/plain; charset=utf-8",
            f"Content-Length: {len(text)}", f"Retry-After: {retry_after}", "Connection: close",
            *(f"{k.decode()}: {v.decode()}" for k, v in SECURITY_HEADERS)]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + text
