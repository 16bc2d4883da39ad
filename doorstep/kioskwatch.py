"""The kiosk watch: restart the entrance screen when its page is not showing.

Chromium can be left showing a blank page: its network service crashed during the first
load, a renderer died ("Aw, Snap!"), or the page gave up while the web role restarted.
Nothing in Chromium loads it again, and systemd sees cage and Chromium still running, so
the screen at the door stays white until someone power-cycles the Pi.

Every kiosk page holds the web role's ``kiosk`` live stream open, and /healthz says how
long ago the Pi's own screen (loopback) last held it. doorstep-kiosk-watch.timer runs this
every 20 seconds, as root; it restarts doorstep-kiosk.service when

- the kiosk unit and the web role have both been up for ``--grace`` seconds (a Pi 3 draws
  the first page in under a minute; an emulated one in two), and
- the web role answers, but no kiosk page has held its stream for ``--gone`` seconds.

It does nothing when the web role does not answer (the web role's own watchdog deals with
that, and a page that cannot load would come back blank) or when the kiosk unit is not
running (a Pi without a screen). Standard library only: it starts in a tenth of a second.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any

UNIT = "doorstep-kiosk.service"
GRACE_SECONDS = 150.0
GONE_SECONDS = 40.0


def verdict(health: dict[str, Any] | None, kiosk_up: float | None,
            grace: float = GRACE_SECONDS, gone: float = GONE_SECONDS) -> str | None:
    """Why the kiosk should be restarted, or None to leave it.

    ``health`` is the web role's /healthz (None: it did not answer); ``kiosk_up`` how
    long the kiosk unit has been active (None: it is not).
    """
    if kiosk_up is None or health is None:
        return None
    try:
        web_up = float(health["uptime_seconds"])
        screen = health["kiosk_screen_seconds"]
        screen = None if screen is None else float(screen)
    except (KeyError, TypeError, ValueError):
        return None  # a web role that does not report the screen: nothing to judge by
    if kiosk_up < grace or web_up < grace:
        return None
    if screen is None:
        return f"no kiosk page has opened in {min(kiosk_up, web_up):.0f} s"
    if screen > gone:
        return f"the kiosk page has been gone for {screen:.0f} s"
    return None


def read_health(url: str, timeout: float = 5.0) -> dict[str, Any] | None:
    """The web role's /healthz as a dict, or None when it does not answer well."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/healthz", timeout=timeout) as response:  # noqa: S310 (loopback)
            body = json.loads(response.read(65536))
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return body if isinstance(body, dict) else None


def kiosk_uptime(systemctl: str = "systemctl", unit: str = UNIT) -> float | None:
    """Seconds since ``unit`` became active, from systemd's monotonic timestamp."""
    try:
        shown = subprocess.run(
            [systemctl, "show", unit, "--property=ActiveState", "--property=ActiveEnterTimestampMonotonic"],
            capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    fields = dict(line.split("=", 1) for line in shown.splitlines() if "=" in line)
    if fields.get("ActiveState") != "active":
        return None
    try:
        entered = int(fields.get("ActiveEnterTimestampMonotonic", "0")) / 1e6
    except ValueError:
        return None
    return time.monotonic() - entered if entered > 0 else None


def main(argv: list[str] | None = None) -> int:
    """Check once; restart the kiosk unit if its page is not showing. Exit 0 either way."""
    parser = argparse.ArgumentParser(prog="python -m doorstep.kioskwatch", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080", help="the web role, as the kiosk page loads it")
    parser.add_argument("--grace", type=float, default=GRACE_SECONDS,
                        help="seconds the kiosk and the web role get to draw the page (default %(default)s)")
    parser.add_argument("--gone", type=float, default=GONE_SECONDS,
                        help="seconds without a kiosk page before a restart (default %(default)s)")
    args = parser.parse_args(argv)
    reason = verdict(read_health(args.url), kiosk_uptime(), args.grace, args.gone)
    if reason is None:
        return 0
    print(f"restarting {UNIT}: {reason}", flush=True)
    restarted = subprocess.run(["systemctl", "restart", "--no-block", UNIT], check=False)
    return 0 if restarted.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
