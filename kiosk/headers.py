"""Security headers on every response: what a browser may load and run on our pages,
that no other site may frame them, and that nothing showing a name is kept in a cache.

The Content-Security-Policy allows scripts only from our own static files (no inline
script, no on* attributes, no javascript: URLs); style attributes are still tolerated.
The front (kiosk/front.py) adds the same headers to the few answers it makes itself.
"""

from __future__ import annotations

from flask import Flask, Response, request

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
HEADERS: dict[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",  # for browsers older than frame-ancestors
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# Never a name on these, so a short cache is harmless; every other answer is no-store.
CACHEABLE_ENDPOINTS = frozenset({"static", "status.status_json", "status.status_txt",
                                 "feeds.site_feed", "feeds.room_feed"})


def as_bytes() -> list[tuple[bytes, bytes]]:
    """The headers as (name, value) byte pairs, for answers made outside Flask."""
    return [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()] + [(b"cache-control", b"no-store")]


def init_app(app: Flask) -> None:
    """Add the headers to every response the app makes, error pages included."""

    @app.after_request
    def secure(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.endpoint not in CACHEABLE_ENDPOINTS:
            response.headers["Cache-Control"] = "no-store"
        return response
