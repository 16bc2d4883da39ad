"""Links phones can open, and their QR codes: the booking receipt, the "book from your
phone" code on the kiosk and the display, the private calendar feed on the dashboard.

The address comes from appliance.core.lan (``web.base_url``, else the request's address
when it is not the Pi itself, else the Pi's LAN address found at the time of asking);
:func:`problem` says in words when phones could not open it (the kiosk and the dashboard
show it to whoever set the Doorstep up).
"""

from __future__ import annotations

from typing import Any

import segno
from flask import request, url_for
from markupsafe import Markup

from appliance.core import lan
from kiosk.context import web


def lan_base() -> lan.BaseUrl:
    """Where phones on the hall's network reach this Doorstep (no trailing slash)."""
    w = web()
    return lan.base_url(w.config.web.base_url, request.host_url, lan.detect_address(), w.config.web.port)


def phone_url(endpoint: str, **values: Any) -> str:
    """The absolute address of a page, as a phone on the hall's network opens it."""
    return lan_base().url + url_for(endpoint, **values)


def problem() -> str | None:
    """Why the QR codes would open nothing on a phone (they point at the Pi itself), in
    words; None when they hold an address on the network. The kiosk shows this."""
    return lan.points_at_itself(lan_base())


def reach_problem() -> str | None:
    """:func:`problem`, or the web role listening on loopback only: the dashboard's fuller check."""
    return lan.unreachable(lan_base(), web().config.web.host)


def qr_svg(url: str, title: str) -> Markup:
    """A QR code of ``url`` as inline SVG with an accessible title (made here: nothing is fetched)."""
    svg = segno.make(url, error="m").svg_inline(scale=5, border=2, title=title)
    return Markup(svg)
