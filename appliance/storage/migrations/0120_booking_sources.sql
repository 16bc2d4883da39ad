-- Where a booking came from, so the dashboard can say "asked from a phone" and the
-- phone page can cap how many requests from phones wait at once:
-- '' (before this migration, the kiosk or the API), 'kiosk', 'api', 'dashboard',
-- 'phone', 'import'.
ALTER TABLE bookings ADD COLUMN source TEXT NOT NULL DEFAULT '';
CREATE INDEX bookings_source_status ON bookings (source, status);

-- A series an admin made on the dashboard is confirmed as it is generated, even in a
-- room that needs approval (the admin is the approval); others follow the room.
ALTER TABLE booking_series ADD COLUMN approved INTEGER NOT NULL DEFAULT 0;
ALTER TABLE booking_series ADD COLUMN source TEXT NOT NULL DEFAULT '';
