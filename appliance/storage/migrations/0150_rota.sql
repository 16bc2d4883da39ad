-- Volunteer rotas: recurring shifts per activity, dates left out, who took which date,
-- and which activities each volunteer does (appliance/rota/, docs/ROTAS.md).

-- A recurring shift ("Bar, Friday 18:00-23:00, needs 2"). Its dates are worked out from
-- the rule when needed, never stored: a date is (shift, the site's local day). Times of
-- day are site wall time, so an 18:00 shift stays at 18:00 across clock changes.
CREATE TABLE shifts (
    id INTEGER PRIMARY KEY,
    activity TEXT NOT NULL,           -- one of kiosk.activities: what hours are counted under
    title TEXT NOT NULL DEFAULT '',   -- optional name shown instead of the activity ("Breakfast show")
    rrule TEXT NOT NULL,              -- the RRULE subset bookings use, e.g. 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR'
    dtstart_local TEXT NOT NULL,      -- first day and start time, site wall time 'YYYY-MM-DDTHH:MM'
    duration_minutes INTEGER,         -- NULL: a start time only ("Opening up, Saturday 09:00")
    last_day TEXT,                    -- last local day it runs 'YYYY-MM-DD' (inclusive); NULL: runs on
    needs INTEGER NOT NULL DEFAULT 1 CHECK (needs >= 1),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- A date left out of a shift's rule (a bank holiday, the hall closed for works).
CREATE TABLE shift_exceptions (
    shift_id INTEGER NOT NULL REFERENCES shifts(id) ON DELETE CASCADE,
    day TEXT NOT NULL,                -- the site's local date 'YYYY-MM-DD'
    kind TEXT NOT NULL CHECK (kind IN ('cancelled')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (shift_id, day)
) WITHOUT ROWID;

-- Who took which date of which shift: at the door (kiosk) or put there by an admin.
-- Keyed by the local day, not the start time, so moving a shift's time keeps its people.
CREATE TABLE shift_signups (
    shift_id INTEGER NOT NULL REFERENCES shifts(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    source TEXT NOT NULL CHECK (source IN ('kiosk', 'dashboard')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (shift_id, day, person_id)
) WITHOUT ROWID;
CREATE INDEX shift_signups_person ON shift_signups (person_id, day);
CREATE INDEX shift_signups_day ON shift_signups (day);

-- What a volunteer usually does: the shifts offered to them at the door, and the
-- activities asked first after their fob tap.
CREATE TABLE volunteer_activities (
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    activity TEXT NOT NULL,
    PRIMARY KEY (person_id, activity)
) WITHOUT ROWID;
