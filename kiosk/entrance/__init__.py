"""/kiosk/: the entrance touchscreen — home, sign in, sign out, booking, what's on, roll-call.

The 'entrance' blueprint carries what every screen shares (kiosk/entrance/frame.py: the
layout's values and the friendly error pages); each screen's module holds its own
blueprint, nested here, so its endpoints read ``entrance.<module>.<view>``.
"""

from __future__ import annotations

from flask import Blueprint
from werkzeug.exceptions import HTTPException

from kiosk.entrance import booking, checkin, frame, home, rollcall, tapped, visits, vote

bp = Blueprint("entrance", __name__, url_prefix="/kiosk")
# On the parent, so they serve every nested screen (Flask looks up a request's
# blueprint and then each parent for context processors and error handlers).
bp.context_processor(frame.layout)
bp.register_error_handler(HTTPException, frame.friendly)
bp.register_error_handler(Exception, frame.unexpected)
bp.after_request(frame.no_store)

bp.register_blueprint(home.bp)  # /kiosk/, /kiosk/language, /kiosk/live, any unknown /kiosk/ address
bp.register_blueprint(visits.bp)  # /kiosk/signin, /kiosk/signin/<kind>, /kiosk/signout
bp.register_blueprint(booking.bp)  # /kiosk/book/..., /kiosk/whatson
bp.register_blueprint(checkin.bp)  # /kiosk/checkin/<room>: "We're here"
bp.register_blueprint(rollcall.bp)  # /kiosk/rollcall (the PIN), /kiosk/rollcall/list
bp.register_blueprint(tapped.bp)  # /kiosk/tap: after a fob tap (activity, a volunteer's shifts, undo)
bp.register_blueprint(vote.bp)  # /kiosk/vote/<id>: member decisions (the question, who, the ballot, done)
