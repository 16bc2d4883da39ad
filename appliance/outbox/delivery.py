"""What the dashboard shows about delivery to the broker, read from the database by
either role (the agent's publisher writes it; the web role only reads)."""

from __future__ import annotations

import sqlite3
from typing import Any

from appliance.outbox import store
from appliance.storage import state


def broker_status(conn: sqlite3.Connection) -> dict[str, Any]:
    """What the dashboard shows about the broker link, from the database (either role).

    Keys: ``connected`` (bool), ``status`` ('ok' / 'offline' / 'unknown' before the
    agent ever tried), ``since`` (when that status began), ``detail`` (in words),
    ``depth`` (messages waiting), ``events_waiting``, ``oldest_waiting_at``,
    ``last_ack_at``, ``dropped`` (events given up for the bound, ever),
    ``last_dropped_at``, ``last_error`` and ``last_error_at`` (None when never).
    """
    row = conn.execute("SELECT status, since, detail FROM health WHERE component = 'broker'").fetchone()
    error = state.get(conn, "broker/last_error")
    gone = store.dropped(conn)
    return {
        "connected": bool(row and row["status"] == "ok"),
        "status": row["status"] if row else "unknown",
        "since": row["since"] if row else None,
        "detail": row["detail"] if row else "the agent has not tried to reach the broker yet",
        "depth": store.depth(conn),
        "events_waiting": store.events_waiting(conn),
        "oldest_waiting_at": store.oldest_waiting(conn),
        "last_ack_at": state.get(conn, "broker/last_ack"),
        "dropped": gone.total,
        "last_dropped_at": gone.last_dropped_at,
        "last_error": error["detail"] if isinstance(error, dict) else None,
        "last_error_at": error["at"] if isinstance(error, dict) else None,
    }
