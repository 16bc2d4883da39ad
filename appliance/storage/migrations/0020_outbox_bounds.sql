-- The outbox's event stream is bounded (mqtt.events_max_rows / events_max_days);
-- trimming walks the undelivered events oldest first, so index them that way.
CREATE INDEX outbox_stream ON outbox (retain, id);

-- What the outbox had to give up, for the dashboard: one row per local day.
CREATE TABLE outbox_dropped (
    day TEXT PRIMARY KEY,         -- UTC date the rows were dropped, YYYY-MM-DD
    dropped INTEGER NOT NULL DEFAULT 0,
    oldest_at TEXT,               -- created_at of the oldest dropped row
    last_dropped_at TEXT NOT NULL
);
