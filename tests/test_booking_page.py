"""The page a booking's QR code opens: what the booker needs, nothing private."""

from __future__ import annotations

from datetime import UTC, datetime

from appliance.booking import bookings
from appliance.booking.bookings import BookingRequest
from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.storage.db import Database
from doorstep.seed import seed_demo


def _book(db: Database, config: Config, clock: ManualClock, public: bool) -> str:
    seed_demo(db)
    start = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    request = BookingRequest(
        room="green-room", start=start, end=start.replace(hour=15), title="Secret planning meeting",
        organiser="Ada Lovelace", contact="ada@example.org", public=public,
    )
    return bookings.book(db.conn(), config, request, clock.now()).booking.reference


def test_a_private_booking_page_shows_times_but_nothing_private(client, db, config, clock) -> None:  # type: ignore[no-untyped-def]
    reference = _book(db, config, clock, public=False)
    page = client.get(f"/booking/{reference}").get_data(as_text=True)
    assert reference in page and "Green Room" in page and "14:00–15:00" in page  # London is on UTC in March
    assert "Monday 2 March 2026" in page and "Confirmed" in page
    for secret in ("Secret planning meeting", "Ada", "ada@example.org"):
        assert secret not in page
    assert "Booked" in page


def test_a_public_title_is_shown_and_an_unknown_reference_is_a_friendly_404(client, db, config, clock) -> None:  # type: ignore[no-untyped-def]
    reference = _book(db, config, clock, public=True)
    assert "Secret planning meeting" in client.get(f"/booking/{reference}").get_data(as_text=True)
    missing = client.get("/booking/NOPE123")
    assert missing.status_code == 404
    assert b"no booking with the reference" in missing.data and b"Traceback" not in missing.data


def test_the_qr_code_links_to_the_booking_page(app) -> None:  # type: ignore[no-untyped-def]
    from kiosk.entrance.booking import booking_url

    # a page opened on the LAN by its address: the QR code uses that address
    with app.test_request_context("/", base_url="http://192.168.1.20:8080/"):
        assert booking_url("ABC123") == "http://192.168.1.20:8080/booking/ABC123"
