-- Doorstep's core tables. Times are ISO-8601 UTC text ('2026-03-02T09:00:00.000Z').
-- Plain names, so the file reads well in Datasette or the sqlite3 shell.

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Current state of things the agent watches: a door, a counter, occupancy.
-- key is e.g. 'door/front', value is JSON.
CREATE TABLE state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Health of each part (a sensor, the fob reader, the broker link): ok / fault / unplugged.
CREATE TABLE health (
    component TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('ok', 'fault', 'unplugged', 'offline', 'unknown')),
    since TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);

CREATE TABLE rooms (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    capacity INTEGER,
    bookable INTEGER NOT NULL DEFAULT 1,
    public INTEGER NOT NULL DEFAULT 1,
    setup_minutes INTEGER NOT NULL DEFAULT 0,
    cleanup_minutes INTEGER NOT NULL DEFAULT 0,
    needs_approval INTEGER NOT NULL DEFAULT 0,
    release_no_shows INTEGER NOT NULL DEFAULT 0,
    opening_hours TEXT,           -- JSON like the site's, or NULL for the site's hours
    accessibility TEXT NOT NULL DEFAULT '',
    sort_order INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

-- Members and volunteers (visitors are not people records: they only have visits).
CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('member', 'volunteer')),
    member_number TEXT UNIQUE,
    card_hash TEXT UNIQUE,        -- keyed hash of the fob number, never the number
    contact TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);

CREATE TABLE visits (
    id INTEGER PRIMARY KEY,
    person_id INTEGER REFERENCES people(id) ON DELETE SET NULL,
    name TEXT,                    -- visitor's name, NULL once anonymised
    kind TEXT NOT NULL,           -- visitor / member / volunteer (configurable)
    visiting TEXT NOT NULL DEFAULT '',
    activity TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT 'kiosk',   -- kiosk / fob / api / dashboard
    signed_in_at TEXT NOT NULL,
    signed_out_at TEXT,
    end_reason TEXT CHECK (end_reason IN ('signed_out', 'presumed_left', 'removed')),
    anonymised_at TEXT
);
CREATE INDEX visits_open ON visits (signed_out_at, signed_in_at);
CREATE INDEX visits_person ON visits (person_id, signed_in_at);

CREATE TABLE bookings (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    room_id TEXT NOT NULL REFERENCES rooms(id),
    start_at TEXT NOT NULL,
    end_at TEXT NOT NULL,
    block_start_at TEXT NOT NULL, -- start minus the room's set-up buffer
    block_end_at TEXT NOT NULL,   -- end plus the room's clean-up buffer
    title TEXT NOT NULL,
    public INTEGER NOT NULL DEFAULT 0,
    organiser TEXT NOT NULL,
    contact TEXT NOT NULL DEFAULT '',
    group_name TEXT NOT NULL DEFAULT '',
    headcount INTEGER,
    status TEXT NOT NULL CHECK (status IN ('requested', 'confirmed', 'cancelled', 'declined', 'released')),
    cancel_code_hash TEXT NOT NULL,
    series_id INTEGER,
    checked_in_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX bookings_room_start ON bookings (room_id, block_start_at);
CREATE INDEX bookings_start ON bookings (start_at);

-- Raw sensor events, kept for sensor_event_days.
CREATE TABLE sensor_events (
    id TEXT PRIMARY KEY,          -- UUID, also the event's id on MQTT
    at TEXT NOT NULL,
    kind TEXT NOT NULL,           -- door_opened, passed_in, fob_read, ...
    sensor TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX sensor_events_at ON sensor_events (at);

-- What must still reach the broker, in order. A row goes only when the broker acknowledged it.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    payload TEXT NOT NULL,
    qos INTEGER NOT NULL DEFAULT 1,
    retain INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX outbox_topic ON outbox (topic);

-- Counts per local day, kept for reports after raw events are purged.
CREATE TABLE daily_counts (
    day TEXT NOT NULL,            -- the site's local date, YYYY-MM-DD
    sensor TEXT NOT NULL,
    metric TEXT NOT NULL,         -- in / out / motion / opened / visits_member ...
    value INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, sensor, metric)
);

CREATE TABLE admins (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    api_token_hash TEXT,
    created_at TEXT NOT NULL
);
