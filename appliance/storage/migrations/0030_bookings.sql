-- Room bookings: recurring series, their exceptions, and what fob check-in needs.
-- The bookings and rooms tables themselves are in 0001_core.sql.

-- A recurring booking. Occurrences are rows in bookings (series_id), stored up to
-- generated_until and extended by housekeeping. Times of day are in the site's
-- timezone (dtstart_local), so a 19:00 class stays at 19:00 across clock changes.
CREATE TABLE booking_series (
    id INTEGER PRIMARY KEY,
    room_id TEXT NOT NULL REFERENCES rooms(id),
    rrule TEXT NOT NULL,              -- RFC 5545 RRULE subset, e.g. 'FREQ=WEEKLY;INTERVAL=2;COUNT=10'
    dtstart_local TEXT NOT NULL,      -- first occurrence, site wall time 'YYYY-MM-DDTHH:MM'
    duration_minutes INTEGER NOT NULL,
    title TEXT NOT NULL,
    public INTEGER NOT NULL DEFAULT 0,
    organiser TEXT NOT NULL,
    contact TEXT NOT NULL DEFAULT '',
    group_name TEXT NOT NULL DEFAULT '',
    headcount INTEGER,
    person_id INTEGER REFERENCES people(id) ON DELETE SET NULL,
    cancel_code_hash TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'ended', 'cancelled')),
    generated_until TEXT NOT NULL,    -- occurrences starting before this (UTC) are stored
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX booking_series_active ON booking_series (status, generated_until);

-- What differs from the rule for one occurrence: cancelled, moved/edited, or not
-- stored because something else already held the slot when it was generated (clashed).
-- Keyed by the occurrence's original start, so regenerating never resurrects or
-- overwrites it.
CREATE TABLE booking_exceptions (
    series_id INTEGER NOT NULL REFERENCES booking_series(id) ON DELETE CASCADE,
    occurrence_start TEXT NOT NULL,   -- the start the rule gave (UTC)
    kind TEXT NOT NULL CHECK (kind IN ('cancelled', 'edited', 'clashed')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (series_id, occurrence_start)
);

-- The organiser as a person, so their fob tap checks the booking in.
ALTER TABLE bookings ADD COLUMN person_id INTEGER REFERENCES people(id) ON DELETE SET NULL;
-- For a series occurrence: the start the rule gave it (UTC), even after it was moved.
ALTER TABLE bookings ADD COLUMN occurrence_start TEXT;
-- For an imported event: its iCalendar UID, so re-importing does not duplicate it.
ALTER TABLE bookings ADD COLUMN ical_uid TEXT;

CREATE UNIQUE INDEX bookings_series_occurrence ON bookings (series_id, occurrence_start);
CREATE INDEX bookings_person_start ON bookings (person_id, start_at);
