"""Check-in people can use (issue 14.2): a "We're here" button on the kiosk's what's on (the
booking reference or the organiser's name), the organiser's fob when the booking is linked
to them (booked with their fob at the kiosk, or an admin picked them), a Check in button on
the dashboard's day list. Bookings are released only in rooms that opt in, never one an
admin made unless the admin opted it in, and a released booking shows on the day list
with the time and the reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from csrf_support import csrf_token
from dashboard_support import log_in, log_in_page, make_admin, record
from flask.testing import FlaskClient
from playwright.sync_api import Browser, expect

from appliance.booking import attendance, bookings
from appliance.booking.bookings import BookingRequest
from appliance.booking.rooms import Room, create_room
from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.core.events import FobRead
from appliance.people import register, visits
from appliance.sensing import housekeeping
from appliance.storage.db import Database, transaction
from doorstep.agent import JOBS

ADA_CARD = "card-hash-of-ada"


@pytest.fixture
def hall(db: Database, clock: ManualClock) -> Room:
    """A room that releases no-shows, and one that does not."""
    with db.write():
        create_room(db.conn(), Room(id="attic", name="Attic"), clock.now())
        return create_room(db.conn(), Room(id="hall", name="Main Hall", release_no_shows=True), clock.now())


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 2, hour, minute, tzinfo=UTC)  # London is on UTC in March


def _book(db: Database, config: Config, clock: ManualClock, start: datetime, **extra) -> bookings.Booking:  # type: ignore[no-untyped-def]
    values = {"room": "hall", "title": "Yoga", "organiser": "Ada Lovelace", **extra}
    return bookings.book(db.conn(), config, BookingRequest(start=start, end=start + timedelta(hours=1), **values),
                         clock.now()).booking


def _release_run(db: Database, config: Config, clock: ManualClock, at: datetime) -> None:
    clock.set(at)
    housekeeping.run_due([j for j in JOBS if j.name == "bookings.release_no_shows"], db, config, clock, {})


def test_only_kiosk_bookings_and_opted_in_ones_are_released_with_time_and_reason(
    db: Database, config: Config, clock: ManualClock, hall: Room
) -> None:
    kiosk = _book(db, config, clock, _at(10))
    admin = _book(db, config, clock, _at(11), made_by="admin")
    opted = _book(db, config, clock, _at(12), made_by="admin", release_if_no_show=True)
    attic = _book(db, config, clock, _at(10), room="attic")
    for start in (_at(10), _at(11), _at(12)):
        _release_run(db, config, clock, start + timedelta(minutes=16))
    conn = db.conn()
    assert bookings.get_booking(conn, admin.id).status == "confirmed"  # an admin's booking is never released
    assert bookings.get_booking(conn, attic.id).status == "confirmed"  # the room did not opt in
    for made in (kiosk, opted):
        released = bookings.get_booking(conn, made.id)
        assert released.status == "released"
        assert released.released_at == made.start + timedelta(minutes=16)
        assert released.release_reason == f"nobody checked in by {made.start:%H:%M} + 15 minutes"


def test_an_organiser_already_in_the_building_is_not_released(
    db: Database, config: Config, clock: ManualClock, hall: Room
) -> None:
    conn = db.conn()
    with transaction(conn):
        ada = register.create(conn, clock.now(), name="Ada Lovelace", kind="member")
        visits.sign_in(conn, config, _at(8), kind="member", person_id=ada.id)
    booking = _book(db, config, clock, _at(10), person_id=ada.id)
    _release_run(db, config, clock, _at(10, 20))
    kept = bookings.get_booking(conn, booking.id)
    assert kept.status == "confirmed" and kept.checked_in_at is not None


@pytest.fixture
def kiosk(app) -> FlaskClient:  # type: ignore[no-untyped-def]
    return app.test_client()  # from 127.0.0.1: the kiosk's own screen


def test_we_are_here_on_the_kiosk_by_name_or_reference(
    kiosk: FlaskClient, db: Database, config: Config, clock: ManualClock, hall: Room
) -> None:
    first = _book(db, config, clock, _at(9, 30), organiser="Siân Llŷr ap Gwilym")
    later = _book(db, config, clock, _at(14))
    whatson = kiosk.get("/kiosk/whatson").get_data(as_text=True)
    assert 'href="/kiosk/checkin/hall"' in whatson and 'href="/kiosk/checkin/attic"' not in whatson
    page = "/kiosk/checkin/hall"
    form = kiosk.get(page).get_data(as_text=True)
    assert "Main Hall" in form and first.reference not in form and "Siân" not in form  # nothing to copy
    wrong = kiosk.post(page, data={"words": "Somebody Else", "csrf_token": csrf_token(kiosk, page)})
    assert wrong.status_code == 400 and "does not match" in wrong.get_data(as_text=True)
    done = kiosk.post(page, data={"words": "  siân llŷr AP gwilym ", "csrf_token": csrf_token(kiosk, page)})
    assert done.status_code == 200 and "checked in" in done.get_data(as_text=True)
    assert bookings.get_booking(db.conn(), first.id).checked_in_at == clock.now()
    assert bookings.get_booking(db.conn(), later.id).checked_in_at is None  # not open for check-in yet
    clock.set(_at(13, 45))
    by_reference = kiosk.post(page, data={"words": later.reference.lower(), "csrf_token": csrf_token(kiosk, page)})
    assert by_reference.status_code == 200
    _release_run(db, config, clock, _at(14, 30))
    assert bookings.get_booking(db.conn(), later.id).status == "confirmed"


def test_we_are_here_is_a_kiosk_write(app, db: Database, config: Config, clock: ManualClock, hall: Room) -> None:  # type: ignore[no-untyped-def]
    _book(db, config, clock, _at(9, 30))
    lan = app.test_client()
    page = "/kiosk/checkin/hall"
    token = csrf_token(lan, page)
    reply = lan.post(page, data={"words": "Ada Lovelace", "csrf_token": token}, environ_base={"REMOTE_ADDR": "192.168.1.50"})
    assert reply.status_code == 403
    assert "/kiosk/checkin/" not in lan.get("/kiosk/whatson", environ_base={"REMOTE_ADDR": "192.168.1.50"}).get_data(as_text=True)


def test_a_member_books_with_their_fob_and_their_tap_checks_them_in(
    kiosk: FlaskClient, db: Database, config: Config, clock: ManualClock, hall: Room
) -> None:
    conn = db.conn()
    with transaction(conn):
        ada = register.create(conn, clock.now(), name="Ada Lovelace", kind="member")
        register.assign_card(conn, ada.id, ADA_CARD)
    page = "/kiosk/book/hall/2026-03-02T11:00/60"
    asked = kiosk.post(page, data={"organiser": "Ada", "action": "fob", "csrf_token": csrf_token(kiosk, page)})
    assert asked.status_code == 200 and "Tap your fob" in asked.get_data(as_text=True)
    assert 'value="Ada"' in asked.get_data(as_text=True)  # what was typed is kept
    clock.advance(5)
    record(db, config, clock, FobRead(reader="desk", card_hash=ADA_CARD, at=clock.now()))
    assert visits.open_visit_of(conn, ada.id) is None  # the tap said who she is; it did not sign her in
    clock.advance(5)
    booked = kiosk.post(page, data={"organiser": "Ada", "csrf_token": csrf_token(kiosk, page)}, follow_redirects=True)
    assert booked.status_code == 200, booked.get_data(as_text=True)[:400]
    assert "your fob checks you in" in booked.get_data(as_text=True)
    booking = conn.execute("SELECT * FROM bookings").fetchone()
    assert booking["person_id"] == ada.id and booking["made_by"] == "kiosk"
    # the next tap is an ordinary one again
    clock.set(_at(10, 45))
    record(db, config, clock, FobRead(reader="desk", card_hash=ADA_CARD, at=clock.now()))
    assert visits.open_visit_of(conn, ada.id) is not None
    assert bookings.get_booking(conn, booking["id"]).checked_in_at == clock.now()


def test_a_fob_tap_long_after_the_question_is_an_ordinary_tap(
    kiosk: FlaskClient, db: Database, config: Config, clock: ManualClock, hall: Room
) -> None:
    with transaction(db.conn()):
        ada = register.create(db.conn(), clock.now(), name="Ada Lovelace", kind="member")
        register.assign_card(db.conn(), ada.id, ADA_CARD)
    page = "/kiosk/book/hall/2026-03-02T11:00/60"
    kiosk.post(page, data={"organiser": "Ada", "action": "fob", "csrf_token": csrf_token(kiosk, page)})
    clock.advance(300)
    record(db, config, clock, FobRead(reader="desk", card_hash=ADA_CARD, at=clock.now()))
    assert visits.open_visit_of(db.conn(), ada.id) is not None
    kiosk.post(page, data={"organiser": "Ada", "csrf_token": csrf_token(kiosk, page)})
    assert db.conn().execute("SELECT person_id FROM bookings").fetchone()[0] is None


@pytest.fixture
def admin(client: FlaskClient, db: Database, clock: ManualClock) -> FlaskClient:
    make_admin(db, clock.now())
    log_in(client)
    return client


def test_the_dashboard_day_list_checks_in_and_shows_releases(
    admin: FlaskClient, db: Database, config: Config, clock: ManualClock, hall: Room
) -> None:
    gone = _book(db, config, clock, _at(9, 15), title="Early yoga")
    here = _book(db, config, clock, _at(10, 30))
    clock.set(_at(9, 31))
    attendance.release_no_shows(db.conn(), config, clock.now())
    clock.set(_at(10, 10))
    page = "/dashboard/manage/bookings?day=2026-03-02"
    html = admin.get(page).get_data(as_text=True)
    assert f'action="/dashboard/manage/bookings/{here.id}/checkin"' in html
    row = html.split(f'id="booking-{gone.id}"', 1)[1].split("</tr>", 1)[0]
    assert "Released" in row and "09:31" in row and "nobody checked in by 09:15 + 15 minutes" in row
    reply = admin.post(f"/dashboard/manage/bookings/{here.id}/checkin", data={"csrf_token": csrf_token(admin, page)})
    assert reply.status_code == 302
    assert bookings.get_booking(db.conn(), here.id).checked_in_at == clock.now()
    assert "Checked in 10:10" in admin.get(page).get_data(as_text=True)


def test_an_admin_links_the_organiser_and_opts_a_booking_in_to_release(
    admin: FlaskClient, db: Database, config: Config, clock: ManualClock, hall: Room
) -> None:
    with transaction(db.conn()):
        ada = register.create(db.conn(), clock.now(), name="Ada Lovelace", kind="member")
    booking = _book(db, config, clock, _at(11), made_by="admin")
    page = f"/dashboard/manage/bookings/{booking.id}/edit"
    form = admin.get(page).get_data(as_text=True)
    assert 'name="person_id"' in form and 'name="release_if_no_show"' in form
    values = {"title": "Yoga", "organiser": "Ada Lovelace", "start": "2026-03-02T11:00", "end": "2026-03-02T12:00",
              "person_id": str(ada.id), "release_if_no_show": "1", "scope": "this"}
    reply = admin.post(page, data={**values, "csrf_token": csrf_token(admin, page)})
    assert reply.status_code == 302, reply.get_data(as_text=True)[:500]
    edited = bookings.get_booking(db.conn(), booking.id)
    assert edited.person_id == ada.id and edited.release_if_no_show


@pytest.mark.browser
def test_we_are_here_at_800_by_480(live_server, browser: Browser, db: Database, config: Config,  # type: ignore[no-untyped-def]
                                   clock: ManualClock, hall: Room) -> None:
    booking = _book(db, config, clock, _at(9, 30), organiser="Grace Hopper", title="Code club", public=True)
    context = browser.new_context(viewport={"width": 800, "height": 480}, has_touch=True)
    page = context.new_page()
    try:
        page.goto(live_server.url + "kiosk/whatson")
        button = page.get_by_role("link", name="We're here")
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert box is not None and box["height"] >= 48  # a touch target
        button.click()
        expect(page.locator("h1")).to_contain_text("Main Hall")
        page.fill("#words", "grace hopper")
        page.get_by_role("button", name="Check in").click()
        expect(page.locator(".done[role=status]")).to_contain_text("checked in")
        assert bookings.get_booking(db.conn(), booking.id).checked_in_at is not None
        page.goto(live_server.url + "kiosk/whatson")
        expect(page.get_by_role("link", name="We're here")).to_have_count(0)
        expect(page.locator("body")).to_contain_text("Checked in")
    finally:
        context.close()
    _release_run(db, config, clock, _at(9, 50))
    assert bookings.get_booking(db.conn(), booking.id).status == "confirmed"


@pytest.mark.browser
def test_the_dashboard_check_in_button_in_a_browser(live_server, page, db: Database, config: Config,  # type: ignore[no-untyped-def]
                                                    clock: ManualClock, hall: Room) -> None:
    booking = _book(db, config, clock, _at(9, 30))
    log_in_page(page, db, clock.now(), live_server.url + "dashboard/manage/bookings?day=2026-03-02")
    page.locator(f"#booking-{booking.id}").get_by_role("button", name="Check in").click()
    expect(page.locator(f"#booking-{booking.id}")).to_contain_text("Checked in 09:00")


def test_a_booking_through_the_api_with_an_admin_token_is_kept(
    app, db: Database, config: Config, clock: ManualClock, hall: Room
) -> None:  # type: ignore[no-untyped-def]
    from appliance.people import admins

    make_admin(db, clock.now())
    token = admins.issue_token(db.conn(), "alice", clock.now())
    lan = app.test_client()
    body = {"room": "hall", "start": "2026-03-02T10:00", "end": "2026-03-02T11:00", "title": "Board", "organiser": "Sam"}
    made = lan.post("/api/v1/bookings", json=body, headers={"Authorization": f"Bearer {token}"},
                    environ_base={"REMOTE_ADDR": "192.168.1.50"})
    opted = lan.post("/api/v1/bookings", json={**body, "start": "2026-03-02T12:00", "end": "2026-03-02T13:00",
                                                "release_if_no_show": True},
                     headers={"Authorization": f"Bearer {token}"}, environ_base={"REMOTE_ADDR": "192.168.1.50"})
    kiosk = lan.post("/api/v1/bookings", json={**body, "start": "2026-03-02T14:00", "end": "2026-03-02T15:00"})
    assert (made.status_code, opted.status_code, kiosk.status_code) == (201, 201, 201)
    rows = db.conn().execute("SELECT made_by, release_if_no_show FROM bookings ORDER BY start_at").fetchall()
    assert [tuple(r) for r in rows] == [("admin", 0), ("admin", 1), ("kiosk", 1)]
