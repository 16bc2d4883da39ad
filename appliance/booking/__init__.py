"""Rooms and bookings: availability, series, attendance, calendar feeds, what's on."""
