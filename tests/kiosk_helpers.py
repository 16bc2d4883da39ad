"""Helpers shared by the kiosk tests (not fixtures: plain functions)."""

from __future__ import annotations

import re
from typing import Any

from appliance import people
from appliance.clock import ManualClock
from appliance.db import Database
from appliance.seed import seed_demo

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(client: Any, url: str = "/kiosk/") -> str:
    """The CSRF token of a kiosk page, as the browser would send it back."""
    page = client.get(url).get_data(as_text=True)
    match = TOKEN.search(page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post(client: Any, url: str, data: dict[str, str], **kw: Any) -> Any:
    """POST a kiosk form with a valid CSRF token."""
    return client.post(url, data={"csrf_token": csrf(client), **data}, **kw)


def seed(db: Database, clock: ManualClock) -> None:
    """Demo rooms and members; Ada (M001) holds the card hashed 'card-ada'."""
    seed_demo(db)
    with db.write() as conn:
        ada = people.by_member_number(conn, "M001")
        assert ada is not None
        people.assign_card(conn, ada.id, "card-ada")
