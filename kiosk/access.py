"""Who may write: kiosk actions come from the kiosk networks (loopback, the Pi's own
screen, by default) or carry an admin's API token; forms carry a CSRF token."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, request

from appliance.people import admins
from kiosk.context import web

F = TypeVar("F", bound=Callable[..., Any])


def from_kiosk_network() -> bool:
    """The request comes from one of ``web.kiosk_networks``."""
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    networks = web().config.web.kiosk_networks
    return any(address in ipaddress.ip_network(n, strict=False) for n in networks)


def token_admin() -> str | None:
    """The admin whose API token is in the Authorization header, or None."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    return admins.token_owner(web().db.conn(), header.removeprefix("Bearer ").strip())


def kiosk_write(view: F) -> F:
    """Allow a write only from the kiosk networks or with an admin's API token (else 403)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not from_kiosk_network() and token_admin() is None:
            abort(403, description="This action is only accepted from the entrance screen or with an admin's API token.")
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
