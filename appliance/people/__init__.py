"""Members and volunteers, visits, fobs, admins, the end-of-day sweep and the roll-call."""
