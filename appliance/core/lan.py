"""The address phones on the hall's Wi-Fi use to reach this Doorstep, for the QR codes
the kiosk, the display and the dashboard show.

The kiosk itself opens pages on 127.0.0.1, so a QR code made from its own request would
point a phone at the phone. The order: ``web.base_url`` when the installer set one; else
the address the request came to, when it is an IP address other than loopback (a laptop
or a second kiosk on the LAN); else the Pi's own LAN address, found from the route the
system would use (no packet is sent); else the request's host name (phones may not
resolve a name like doorstep.local, so an address comes first); else loopback, which
:func:`unreachable` turns into a warning in words.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

# Asked in turn: a documentation address (the default route), then the top of each
# private range, so a hall network without a gateway still gives its LAN address.
_PROBES = ("192.0.2.1", "10.255.255.254", "172.31.255.254", "192.168.255.254")


def detect_address() -> str | None:
    """This machine's IPv4 address on its network, or None when it has none but loopback.

    A UDP socket's connect only picks a route: nothing is sent, and it costs microseconds,
    so it is asked afresh each time (the Wi-Fi may come up after the web role started).
    """
    for probe in _PROBES:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.connect((probe, 9))
                address = str(sock.getsockname()[0])
        except OSError:
            continue
        if not is_loopback(address) and address != "0.0.0.0":
            return address
    return None


def is_loopback(host: str) -> bool:
    """The host name or address means this machine itself (127.0.0.1, ::1, localhost)."""
    host = host.strip("[]").lower()
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class BaseUrl:
    """Where phones should go, and how that was decided."""

    url: str  # no trailing slash
    source: str  # 'config', 'request', 'detected' or 'loopback'

    @property
    def host(self) -> str:
        """The host part of the URL."""
        return urlsplit(self.url).hostname or ""


def base_url(configured: str, request_url: str, detected: str | None, port: int) -> BaseUrl:
    """The base URL for QR codes (see the module's docstring for the order)."""
    if configured.strip():
        return BaseUrl(configured.strip().rstrip("/"), "config")
    parts = urlsplit(request_url)
    named = bool(parts.hostname) and not is_loopback(parts.hostname or "")
    if named and _is_address(parts.hostname or ""):
        return BaseUrl(f"{parts.scheme}://{parts.netloc}", "request")
    if detected:
        return BaseUrl(f"http://{detected}:{port}", "detected")
    if named:
        return BaseUrl(f"{parts.scheme}://{parts.netloc}", "request")
    return BaseUrl(f"{parts.scheme or 'http'}://{parts.netloc or f'127.0.0.1:{port}'}", "loopback")


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def points_at_itself(base: BaseUrl) -> str | None:
    """Why a QR code of ``base`` would open nothing on a phone, in words; None when it is an
    address on the network."""
    if is_loopback(base.host):
        return (f"QR codes would point at {base.host}, which on a phone is the phone itself: connect this "
                "Doorstep to the hall's network (its address is found by itself), or set web.base_url to "
                "its address on the hall's network, e.g. http://192.168.1.20:8080.")
    return None


def unreachable(base: BaseUrl, listen_host: str) -> str | None:
    """Why a phone could not open ``base`` (its address, or the web role listening on
    loopback only), in words; None when it should work."""
    if itself := points_at_itself(base):
        return itself
    if is_loopback(listen_host):
        return (f"The web role listens on {listen_host} only, so phones cannot reach it: set web.host to "
                "0.0.0.0 (every network) in the config.")
    return None
