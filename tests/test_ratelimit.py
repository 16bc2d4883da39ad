"""The per-address limit of the phone pages: a sliding window, a cap on keys, IPv6 by /64."""

from __future__ import annotations

import threading

import pytest

from appliance.core.ratelimit import RateLimit, address_key


def test_a_sliding_window_per_key() -> None:
    limit = RateLimit(3, 3600)
    assert [limit.allow("a", t) for t in (0, 10, 20, 30)] == [True, True, True, False]
    assert limit.allow("b", 30)  # another address is not held back
    assert limit.retry_after("a", 30) == 3570
    assert not limit.allow("a", 3599)
    assert limit.allow("a", 3600.5)  # the first one has left the window
    assert limit.retry_after("b", 30) == 0


def test_the_number_of_keys_is_capped() -> None:
    limit = RateLimit(1, 60, max_keys=100)
    for n in range(1000):
        assert limit.allow(f"10.0.{n // 256}.{n % 256}", 1.0)
    assert len(limit._seen) == 100
    assert not limit.allow("10.0.3.231", 2.0)  # the most recent are kept


def test_threads_share_one_count() -> None:
    limit = RateLimit(50, 60)
    allowed = []

    def hammer() -> None:
        allowed.extend(limit.allow("a", 1.0) for _ in range(20))

    threads = [threading.Thread(target=hammer) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 50


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("192.168.1.20", "192.168.1.20"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
        ("::ffff:192.168.1.20", "192.168.1.20"),
        ("not an address", "not an address"),
    ],
)
def test_addresses_count_as_the_device_behind_them(address: str, key: str) -> None:
    assert address_key(address) == key


def test_a_limit_must_allow_something() -> None:
    with pytest.raises(ValueError, match="limit >= 1"):
        RateLimit(0, 60)
