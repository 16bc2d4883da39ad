"""Helpers shared by the kiosk tests (not fixtures: plain functions)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from csrf_support import csrf_token

from appliance.core.clock import ManualClock
from appliance.people import register
from appliance.storage.db import Database
from doorstep.seed import seed_demo


def post(client: Any, url: str, data: dict[str, str], **kw: Any) -> Any:
    """POST a kiosk form with a valid CSRF token."""
    return client.post(url, data={"csrf_token": csrf_token(client, "/kiosk/"), **data}, **kw)


def seed(db: Database, clock: ManualClock) -> None:
    """Demo rooms and members; Ada (M001) holds the card hashed 'card-ada'."""
    seed_demo(db)
    with db.write() as conn:
        ada = register.by_member_number(conn, "M001")
        assert ada is not None
        register.assign_card(conn, ada.id, "card-ada")


# -- checks in real Chromium (axe-core and the 48 px target rule) ----------------------------


def axe_script() -> str:
    """axe-core as shipped inside the axe-playwright-python wheel (no network needed)."""
    try:
        import axe_playwright_python
    except ImportError:
        pytest.fail("axe-playwright-python is missing: run 'make test' (pip install -e '.[test]')")
    path = Path(axe_playwright_python.__file__).parent / "axe.min.js"
    if not path.exists():
        pytest.fail(f"{path} is missing from axe-playwright-python")
    return str(path)


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical findings on the page as it is now."""
    # evaluated by the test harness, not added as an inline <script> (which the page's
    # Content-Security-Policy rightly blocks)
    page.evaluate(Path(axe_script()).read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
             .map(v => ({id: v.id, impact: v.impact, help: v.help,
                         targets: v.nodes.map(n => n.target.join(' '))}))"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


def small_targets(page: Any) -> list[str]:
    """Visible links, buttons and text boxes smaller than 48 x 48 px (the kiosk's target rule).

    Measured once the page has loaded: a visible element is not yet a styled one, and before
    the stylesheet applies every button has the browser's own 19 px height."""
    page.wait_for_load_state("load")
    return list(page.evaluate(
        """() => Array.from(document.querySelectorAll(
              'a, button, input:not([type=hidden]):not([type=radio]):not([type=checkbox]), label.choice'))
             .filter(e => e.offsetParent !== null)
             .map(e => [e, e.getBoundingClientRect()])
             .filter(([e, r]) => r.width < 48 || r.height < 48)
             .map(([e, r]) => e.outerHTML.slice(0, 80) + ' ' + r.width + 'x' + r.height)"""
    ))




def run_clock(page: Any, ms: int) -> None:
    """Move the page's installed clock on by ``ms``, once the page's scripts have run: the
    kiosk's timers (idle reset, receipt, done screen) are set by deferred scripts, and a
    fake clock moved before they are set leaves them never firing."""
    page.wait_for_load_state("load")
    page.clock.run_for(ms)
