"""/dashboard/manage/: the screens where admins change things (rooms, bookings, people
and fobs, visits corrected by hand, settings, privacy, admins).

Every view needs a login (``login_required``, and the /dashboard guard in kiosk/auth.py
behind it) and every change is written with its audit entry in one transaction
(kiosk/manage/forms.py, the helpers every screen shares). Each screen's module holds its
own blueprint, nested here, so its endpoints read ``manage.<module>.<view>``
(e.g. ``manage.rooms.rooms_list``).
"""

from __future__ import annotations

from flask import Blueprint

from kiosk.manage import (
    accounts,
    bookings,
    calendars,
    decisions,
    menu,
    newbooking,
    people,
    privacy,
    rooms,
    settings,
    shifts,
    visits,
    week,
)

bp = Blueprint("manage", __name__, url_prefix="/dashboard/manage")
bp.register_blueprint(menu.bp)  # /dashboard/manage/
bp.register_blueprint(rooms.bp)  # /rooms, /rooms/new, /rooms/<id>
bp.register_blueprint(bookings.bp)  # /bookings and each booking's actions
bp.register_blueprint(newbooking.bp)  # /bookings/new (and its live preview): one-off or repeating
bp.register_blueprint(week.bp)  # /bookings/week: a room's week as a grid
bp.register_blueprint(calendars.bp)  # /calendars: feed links, the private link, .ics import
bp.register_blueprint(people.bp)  # /people, a person, their fob
bp.register_blueprint(visits.bp)  # /visits: sign in or out by hand, reset the count, the history
bp.register_blueprint(shifts.bp)  # /shifts: volunteer shifts
bp.register_blueprint(decisions.bp)  # /decisions: member proposals and polls, results, the sheet
bp.register_blueprint(settings.bp)  # /settings
bp.register_blueprint(privacy.bp)  # /privacy: purge, export, erase, the audit log
bp.register_blueprint(accounts.bp)  # /admins: add, remove, change your password
