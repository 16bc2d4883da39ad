"""Volunteer rotas: recurring shifts per activity, taken at the door or assigned on the
dashboard, and checked against who actually signed in (docs/ROTAS.md).

- shifts.py: the shifts themselves ("Bar, Friday 18:00-23:00, needs 2") and their dates,
  worked out with the recurrence rules bookings use, with dates left out;
- signups.py: taking and giving up a date, at the door or by an admin;
- coverage.py: covered / taken but not yet in / uncovered, the public "volunteers
  needed" list (no names), and the shift a visit belongs to (volunteer hours);
- volunteers.py: what each volunteer usually does, and what to ask after their tap;
- door.py: the fob tap's rule for volunteers and the kiosk's rota screen.
"""
