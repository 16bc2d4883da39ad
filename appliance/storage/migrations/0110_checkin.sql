-- Check-in and no-show release (issue 14.2): who made a booking decides whether it may be
-- released when nobody checks in, and a released booking says when and why.

-- kiosk (the touchscreen, its phone pages, the API without an admin token), admin (the
-- dashboard, the API with an admin's token, repeating bookings), import (a calendar file).
ALTER TABLE bookings ADD COLUMN made_by TEXT NOT NULL DEFAULT 'kiosk';
-- Released when nobody checks in, in a room that releases no-shows. An admin's booking is
-- not, unless the admin ticked it.
ALTER TABLE bookings ADD COLUMN release_if_no_show INTEGER NOT NULL DEFAULT 1;
ALTER TABLE bookings ADD COLUMN released_at TEXT;
ALTER TABLE bookings ADD COLUMN release_reason TEXT NOT NULL DEFAULT '';
-- How the group checked in: kiosk (We're here), fob (the organiser's tap), dashboard,
-- present (the organiser was already signed in when the booking began).
ALTER TABLE bookings ADD COLUMN checked_in_by TEXT NOT NULL DEFAULT '';
ALTER TABLE booking_series ADD COLUMN release_if_no_show INTEGER NOT NULL DEFAULT 0;

-- What is stored already: repeating and imported bookings were an admin's doing.
UPDATE bookings SET made_by = 'admin', release_if_no_show = 0 WHERE series_id IS NOT NULL;
UPDATE bookings SET made_by = 'import', release_if_no_show = 0 WHERE ical_uid IS NOT NULL;
