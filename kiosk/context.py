"""What every view needs: the config, the database, the clock and the change watcher."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app

from appliance.core.clock import Clock
from appliance.core.config import Config
from appliance.people.lockout import Lockout
from appliance.storage.db import Database
from appliance.storage.watcher import ChangeWatcher


@dataclass
class Web:
    """The web role's shared objects, one per app."""

    config: Config
    db: Database
    clock: Clock
    watcher: ChangeWatcher = field(init=False)
    # wrong passwords and PINs, counted in memory (appliance/people/lockout.py)
    logins: Lockout = field(default_factory=lambda: Lockout("dashboard"))
    pins: Lockout = field(default_factory=lambda: Lockout("rollcall-pin"))
    # wrong member number and surname pairs at the kiosk (signing in, voting): paused like a PIN
    numbers: Lockout = field(default_factory=lambda: Lockout("member-number"))
    # HTTPS, when the server offers it: its port and the certificate's fingerprint
    https_port: int = 0
    tls_fingerprint: str = ""
    # how many live streams the server holds now (set by kiosk/server.py)
    live_streams: Callable[[], int] = lambda: 0
    # seconds since the Pi's own screen held its kiosk page (0: now; None: not yet), and
    # since the server started (set by kiosk/server.py; the kiosk watch reads both)
    screen_seconds: Callable[[], float | None] = lambda: None
    uptime: Callable[[], float] = lambda: 0.0

    def __post_init__(self) -> None:
        self.watcher = ChangeWatcher(self.config.database.path)

    def close(self) -> None:
        """Stop the change watcher and close the database connections (after the server
        has ended every live stream)."""
        self.watcher.stop()
        self.db.close()


def web() -> Web:
    """The current app's shared objects."""
    return current_app.extensions["doorstep"]  # type: ignore[no-any-return]
