"""Who may hold what at the web role's front door: connections and live streams, counted
per client address, with the Pi's own screen (127.0.0.1) on a budget of its own.

The hall's Wi-Fi is shared with the public, so every LAN address may be hostile. One
address may hold only so many connections and live streams; the whole LAN only so many
connections; the kiosk on the Pi itself is counted apart, so nothing on the LAN can use
up what the touchscreen needs. Everything here runs on the front's one event-loop
thread, so plain counters suffice.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from dataclasses import dataclass

# The Pi's own screen. Only these exact addresses: other 127.x addresses are not the kiosk.
LOCAL_ADDRESSES = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})


def is_local(address: str) -> bool:
    """The connection comes from the Pi itself (the kiosk's browser)."""
    return address in LOCAL_ADDRESSES


@dataclass(frozen=True)
class Limits:
    """The budgets (web.streams_per_address, web.connections_per_address, web.lan_connections)."""

    streams_per_address: int = 4
    connections_per_address: int = 32
    lan_connections: int = 600
    local_connections: int = 256
    local_streams: int = 64
    retry_after_seconds: int = 30


class Gate:
    """Counts open connections and streams; says whether one more may open."""

    def __init__(self, limits: Limits, trusted_proxies: tuple[str, ...] = ()) -> None:
        self.limits = limits
        self.proxies = tuple(ipaddress.ip_network(n, strict=False) for n in trusted_proxies)
        self.connections: Counter[str] = Counter()
        self.streams: Counter[str] = Counter()
        self.lan_connections = 0
        self.local_connections = 0
        self.refused_connections = 0
        self.refused_streams = 0

    def is_proxy(self, address: str) -> bool:
        """``address`` is one of ``web.trusted_proxies`` (its forwarded headers are believed)."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.proxies)

    def open_connection(self, address: str) -> bool:
        """Count a new connection from ``address``; False (and nothing counted) when over budget."""
        limits = self.limits
        if is_local(address):
            if self.local_connections >= limits.local_connections:
                self.refused_connections += 1
                return False
            self.local_connections += 1
        else:
            per_address_full = (self.connections[address] >= limits.connections_per_address
                                and not self.is_proxy(address))
            if per_address_full or self.lan_connections >= limits.lan_connections:
                self.refused_connections += 1
                return False
            self.lan_connections += 1
        self.connections[address] += 1
        return True

    def close_connection(self, address: str) -> None:
        """A connection counted by :meth:`open_connection` ended."""
        if is_local(address):
            self.local_connections -= 1
        else:
            self.lan_connections -= 1
        self.connections[address] -= 1
        if self.connections[address] <= 0:
            del self.connections[address]

    def open_stream(self, client: str) -> bool:
        """Count a live stream for ``client`` (the address behind any trusted proxy); False when
        that address already holds its share."""
        cap = self.limits.local_streams if is_local(client) else self.limits.streams_per_address
        if self.streams[client] >= cap:
            self.refused_streams += 1
            return False
        self.streams[client] += 1
        return True

    def close_stream(self, client: str) -> None:
        """A stream counted by :meth:`open_stream` ended."""
        self.streams[client] -= 1
        if self.streams[client] <= 0:
            del self.streams[client]
