"""Talking to the real web role over its sockets: a cookie-keeping client that can log in
to the dashboard, and a reader of server-sent events (live streams are served by the
front, so they are tested through a real connection, never Flask's test client)."""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from csrf_support import token_in

PASSWORD = "correct horse"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:  # keep 3xx as answers
        return None


@dataclass
class Browser:
    """A client with a cookie jar, from one source address (127.0.0.x stands in for a LAN host)."""

    base: str
    source: str = "127.0.0.1"
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def _opener(self) -> urllib.request.OpenerDirector:
        source = self.source

        class Handler(urllib.request.HTTPHandler):
            def http_open(self, req: Any) -> Any:
                return self.do_open(lambda host, **kw: http.client.HTTPConnection(
                    host, source_address=(source, 0), **kw), req)

        return urllib.request.build_opener(Handler, _NoRedirect, urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, path: str, data: dict[str, str] | None = None, method: str | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        """Status, headers and text of one request (redirects are answers, not followed)."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base.rstrip("/") + path, data=body, method=method, headers=headers or {})
        try:
            with self._opener().open(req, timeout=30) as response:
                return response.status, response.headers, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read().decode("utf-8", "replace")

    def post_form(self, page: str, data: dict[str, str], action: str | None = None) -> tuple[int, Message, str]:
        """POST a form with the CSRF token scraped from ``page``, as a browser would."""
        status, _, html = self.request(page)
        assert status == 200, f"{page} answered {status}"
        token = token_in(html)
        assert token, f"no CSRF token on {page}"
        return self.request(action or page, {**data, "csrf_token": token})

    def log_in(self, name: str = "alice", password: str = PASSWORD) -> int:
        """Log in to the dashboard; the status of the answer (302 when it worked)."""
        return self.post_form("/dashboard/login", {"name": name, "password": password})[0]

    def cookie_header(self) -> str:
        """The Cookie header this browser would send."""
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def sse(port: int, path: str, source: str = "127.0.0.1", cookie: str = "",
        timeout: float = 20) -> Iterator[tuple[str, Any]]:
    """(event, data) pairs from a live stream over a real socket; data is parsed JSON.
    The generator's close() closes the socket."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0))
    try:
        headers = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n"
        if cookie:
            headers += f"Cookie: {cookie}\r\n"
        sock.sendall((headers + "\r\n").encode())
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            chunk = sock.recv(65536)
            assert chunk, f"{path}: the connection closed before an answer: {buffer!r}"
            buffer += chunk
        head, buffer = buffer.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 200"), head.decode("latin-1")
        assert b"text/event-stream" in head.lower(), head.decode("latin-1")
        text = ""
        while True:
            # undo chunked transfer coding
            while b"\r\n" in buffer:
                size_line, rest = buffer.split(b"\r\n", 1)
                size = int(size_line.split(b";")[0], 16)
                if len(rest) < size + 2:
                    break
                text += rest[:size].decode("utf-8")
                buffer = rest[size + 2:]
                if size == 0:
                    return
            while "\n\n" in text:
                frame, text = text.split("\n\n", 1)
                event, data = "", []
                for line in frame.split("\n"):
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: "):
                        data.append(line[6:])
                if event:
                    yield event, json.loads("\n".join(data))
            chunk = sock.recv(65536)
            if not chunk:
                return
            buffer += chunk
    finally:
        sock.close()
