"""The address phones use for QR codes: the order of the sources, loopback in every
spelling, the warning in words, and the detection itself on this machine."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from appliance.core import lan


@pytest.mark.parametrize(
    ("configured", "request_url", "detected", "expected", "source"),
    [
        ("http://hall.example:8080/", "http://127.0.0.1:8080/", "192.168.1.20", "http://hall.example:8080", "config"),
        ("", "http://192.168.1.20:8080/", "10.0.0.5", "http://192.168.1.20:8080", "request"),
        ("", "http://127.0.0.1:8080/", "192.168.1.20", "http://192.168.1.20:8080", "detected"),
        ("", "http://localhost:8080/", "192.168.1.20", "http://192.168.1.20:8080", "detected"),
        ("", "http://[::1]:8080/", "192.168.1.20", "http://192.168.1.20:8080", "detected"),
        # a name a phone may not resolve (mDNS): the detected address comes first, else the name
        ("", "http://doorstep.local:8080/", "192.168.1.20", "http://192.168.1.20:8080", "detected"),
        ("", "http://doorstep.local:8080/", None, "http://doorstep.local:8080", "request"),
        ("", "http://127.0.0.1:8080/", None, "http://127.0.0.1:8080", "loopback"),
    ],
)
def test_where_phones_are_sent(configured, request_url, detected, expected, source) -> None:  # type: ignore[no-untyped-def]
    found = lan.base_url(configured, request_url, detected, 8080)
    assert (found.url, found.source) == (expected, source)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST", "pi.localhost"])
def test_loopback_in_every_spelling(host: str) -> None:
    assert lan.is_loopback(host)


@pytest.mark.parametrize("host", ["192.168.1.20", "10.0.0.1", "doorstep.local", "fe80::1", ""])
def test_not_loopback(host: str) -> None:
    assert not lan.is_loopback(host)


def test_the_warning_says_what_is_wrong_and_what_to_do() -> None:
    pi_itself = lan.unreachable(lan.BaseUrl("http://127.0.0.1:8080", "loopback"), "0.0.0.0")
    assert pi_itself is not None and "127.0.0.1" in pi_itself and "web.base_url" in pi_itself
    configured_wrong = lan.unreachable(lan.BaseUrl("http://localhost:8080", "config"), "0.0.0.0")
    assert configured_wrong is not None and "localhost" in configured_wrong
    listening_alone = lan.unreachable(lan.BaseUrl("http://192.168.1.20:8080", "detected"), "127.0.0.1")
    assert listening_alone is not None and "web.host" in listening_alone
    assert lan.unreachable(lan.BaseUrl("http://192.168.1.20:8080", "detected"), "0.0.0.0") is None


def _local_addresses() -> set[str]:
    """This machine's own IPv4 addresses, as the kernel lists them (the LOCAL entries of its routing trie)."""
    lines = Path("/proc/net/fib_trie").read_text().splitlines()
    return {lines[n - 1].split()[-1] for n, line in enumerate(lines) if "/32 host LOCAL" in line}


def test_detection_finds_an_address_of_this_machine_that_is_not_loopback() -> None:
    mine = {a for a in _local_addresses() if not ipaddress.ip_address(a).is_loopback}
    found = lan.detect_address()
    if mine:
        assert found in mine
    else:  # a machine on no network at all: nothing to find, and loopback is never offered
        assert found is None
