"""How often one address may do something: a sliding window per key, in memory.

The hall's Wi-Fi is shared with the public, so the phone pages count what each address
asks (booking requests, cancel attempts) and refuse the excess in words. Kept in the web
role's memory: a restart forgets the counts, which costs nothing but a fresh window.
The number of keys is capped, so a flood of made-up addresses cannot grow it without
bound (the oldest key is dropped first).
"""

from __future__ import annotations

import ipaddress
import threading
from collections import OrderedDict, deque

MAX_KEYS = 10_000


class RateLimit:
    """At most ``limit`` events per ``window`` seconds for each key (thread-safe)."""

    def __init__(self, limit: int, window: float, max_keys: int = MAX_KEYS) -> None:
        if limit < 1 or window <= 0:
            raise ValueError(f"a rate limit needs limit >= 1 and window > 0, not {limit} per {window}")
        self.limit = limit
        self.window = window
        self._max_keys = max_keys
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str, now: float) -> bool:
        """Count one event for ``key`` at monotonic time ``now`` if it is within the limit."""
        with self._lock:
            times = self._recent(key, now)
            if len(times) >= self.limit:
                return False
            times.append(now)
            self._seen[key] = times
            self._seen.move_to_end(key)
            while len(self._seen) > self._max_keys:
                self._seen.popitem(last=False)
            return True

    def retry_after(self, key: str, now: float) -> int:
        """Whole seconds until ``key`` may act again (0: now)."""
        with self._lock:
            times = self._recent(key, now)
            if len(times) < self.limit:
                return 0
            return max(1, int(times[0] + self.window - now + 0.999))

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._seen.get(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times


def address_key(address: str) -> str:
    """The key an address counts under: an IPv4 address itself, an IPv6 one by its /64
    (one device may use many addresses in its network's /64)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if parsed.version == 6 and parsed.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed.ipv4_mapped or parsed) if parsed.version == 6 else str(parsed)
