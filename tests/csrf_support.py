"""The one way the tests take a form's CSRF token: scraped from the page, as a browser
would send it back (kiosk, dashboard, roll-call and fault-suite tests all use it)."""

from __future__ import annotations

import re
from typing import Any

# Either attribute order, so a template that writes value= first still yields its token.
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def token_in(html: str) -> str | None:
    """The first CSRF token in a page's HTML, or None when it holds no form with one."""
    match = TOKEN.search(html)
    return (match[1] or match[2]) if match else None


def csrf_token(client: Any, path: str) -> str:
    """The CSRF token of the form on ``path`` (fails the test if the page does not answer
    200 or has no token)."""
    page = client.get(path)
    assert page.status_code == 200, f"{path} answered {page.status_code}, not the page with the form"
    token = token_in(page.get_data(as_text=True))
    assert token, f"no CSRF token on {path}"
    return token
