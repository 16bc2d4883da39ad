"""What every view needs: the config, the database, the clock and the change watcher."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app

from appliance.clock import Clock
from appliance.config import Config
from appliance.db import Database
from appliance.watcher import ChangeWatcher


@dataclass
class Web:
    """The web role's shared objects, one per app."""

    config: Config
    db: Database
    clock: Clock
    watcher: ChangeWatcher = field(init=False)

    def __post_init__(self) -> None:
        self.watcher = ChangeWatcher(self.config.database.path)

    def close(self) -> None:
        """Stop the watcher and close connections."""
        self.watcher.stop()
        self.db.close()


def web() -> Web:
    """The current app's shared objects."""
    return current_app.extensions["doorstep"]  # type: ignore[no-any-return]
