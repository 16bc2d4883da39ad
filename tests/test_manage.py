"""The management screens through the Flask client, logged in: rooms, bookings, people
and fobs, settings, privacy. Every change leaves one audit entry; a bad form keeps what
was typed and says what is wrong next to the field."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from csrf_support import csrf_token
from flask.testing import FlaskClient

from appliance.booking import bookings, rooms, series
from appliance.core.clock import ManualClock, iso
from appliance.core.config import Config
from appliance.people import admins, register, taps, visits
from appliance.privacy import retention
from appliance.storage import audit, settings, state
from appliance.storage.db import Database

PASSWORD = "correct horse"
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def admin(client: FlaskClient, db: Database, clock: ManualClock) -> FlaskClient:
    """The client, logged in as 'alice' through the real login form."""
    admins.create(db.conn(), "alice", PASSWORD, clock.now())
    reply = client.post("/dashboard/login", data={"name": "alice", "password": PASSWORD,
                                                  "csrf_token": csrf_token(client, "/dashboard/login")})
    assert reply.status_code == 302
    return client


def actions(db: Database) -> list[str]:
    """Audit actions, oldest first, without logins."""
    return [e.action for e in reversed(audit.recent(db.conn(), 1000)) if e.action not in ("login", "logout", "admin_created")]


def post(client: FlaskClient, path: str, data: dict | None = None, form_page: str | None = None):  # type: ignore[no-untyped-def]
    """POST with the token taken from the page holding the form."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, form_page or path)})


def local(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=LONDON)


@pytest.fixture
def hall(db: Database, clock: ManualClock) -> rooms.Room:
    with db.write():
        return rooms.create_room(db.conn(), rooms.Room(id="hall", name="Main Hall", capacity=80), clock.now())


# -- access ---------------------------------------------------------------------------------


def test_management_needs_a_login(client: FlaskClient) -> None:
    for path in ("/dashboard/manage/", "/dashboard/manage/rooms", "/dashboard/manage/privacy",
                 "/dashboard/manage/people/1/fob/status?since=x"):
        assert client.get(path).status_code in (302, 401), path
    assert client.post("/dashboard/manage/privacy/purge").status_code in (400, 401)


def test_a_post_without_its_csrf_token_is_refused(admin: FlaskClient, db: Database) -> None:
    reply = admin.post("/dashboard/manage/rooms/new", data={"id": "x", "name": "X"})
    assert reply.status_code == 400
    assert rooms.list_rooms(db.conn()) == []


def test_the_menu_links_every_screen(admin: FlaskClient) -> None:
    page = admin.get("/dashboard/manage/").get_data(as_text=True)
    for path in ("/rooms", "/bookings", "/people", "/settings", "/privacy"):
        assert f'href="/dashboard/manage{path}"' in page


def test_the_menu_marks_the_screen_you_are_on(admin: FlaskClient) -> None:
    # the menu compares request.endpoint with each link's endpoint (manage.<module>.<view>)
    for path in ("/rooms", "/bookings", "/people", "/settings", "/privacy"):
        page = admin.get(f"/dashboard/manage{path}").get_data(as_text=True)
        assert re.findall(r'<a href="([^"]+)" aria-current="page"', page) == [f"/dashboard/manage{path}"], path


# -- rooms ----------------------------------------------------------------------------------


def test_create_and_edit_a_room(admin: FlaskClient, db: Database) -> None:
    reply = post(admin, "/dashboard/manage/rooms/new", {
        "id": "green-room", "name": "Green Room", "capacity": "20", "bookable": "1", "public": "1",
        "setup_minutes": "10", "cleanup_minutes": "15", "needs_approval": "1", "hours_sun": "closed",
        "accessibility": "Step-free"})
    assert reply.status_code == 302
    room = rooms.get_room(db.conn(), "green-room")
    assert (room.capacity, room.setup_minutes, room.cleanup_minutes, room.needs_approval, room.release_no_shows) \
        == (20, 10, 15, True, False)
    assert room.opening_hours == {"sun": "closed"} and room.accessibility == "Step-free"
    reply = post(admin, "/dashboard/manage/rooms/green-room", {
        "name": "The Green Room", "capacity": "", "setup_minutes": "0", "cleanup_minutes": "0", "bookable": "1"})
    assert reply.status_code == 302
    room = rooms.get_room(db.conn(), "green-room")
    assert (room.name, room.capacity, room.public, room.opening_hours) == ("The Green Room", None, False, None)
    assert actions(db) == ["room_created", "room_changed"]
    assert "The Green Room" in admin.get("/dashboard/manage/rooms").get_data(as_text=True)


def test_a_bad_room_form_keeps_what_was_typed_and_says_why(admin: FlaskClient, db: Database) -> None:
    reply = post(admin, "/dashboard/manage/rooms/new", {
        "id": "studio", "name": "Radio Studio", "capacity": "lots", "setup_minutes": "5", "cleanup_minutes": "0",
        "hours_mon": "22:00-09:00", "accessibility": "First floor, lift"}, "/dashboard/manage/rooms/new")
    page = reply.get_data(as_text=True)
    assert reply.status_code == 400
    assert 'id="capacity-error"' in page and "not a whole number" in page
    assert 'value="Radio Studio"' in page and 'value="lots"' in page and "First floor, lift" in page
    assert rooms.list_rooms(db.conn()) == [] and actions(db) == []
    # the hours problem only shows once the numbers are right, next to Monday
    reply = post(admin, "/dashboard/manage/rooms/new", {
        "id": "studio", "name": "Radio Studio", "capacity": "6", "setup_minutes": "5", "cleanup_minutes": "0",
        "hours_mon": "22:00-09:00"}, "/dashboard/manage/rooms/new")
    assert reply.status_code == 400 and 'id="hours_mon-error"' in reply.get_data(as_text=True)


def test_an_unknown_room_is_a_404(admin: FlaskClient) -> None:
    assert admin.get("/dashboard/manage/rooms/nope").status_code == 404


# -- bookings -------------------------------------------------------------------------------


def _book(db: Database, config: Config, clock: ManualClock, room: str, start: datetime, hours: int = 2,
          title: str = "Choir") -> bookings.Booking:
    request = bookings.BookingRequest(room=room, start=start, end=start + timedelta(hours=hours), title=title,
                                      organiser="Grace Hopper", contact="grace@example.org")
    return bookings.book(db.conn(), config, request, clock.now()).booking


def test_bookings_of_a_day_and_approve_decline_cancel(admin: FlaskClient, db: Database, config: Config,
                                                      clock: ManualClock, hall: rooms.Room) -> None:
    with db.write():
        rooms.update_room(db.conn(), "hall", needs_approval=True)
    first = _book(db, config, clock, "hall", local(3, 10))
    second = _book(db, config, clock, "hall", local(3, 14), title="Quiz")
    third = _book(db, config, clock, "hall", local(4, 14), title="Film")
    page = admin.get("/dashboard/manage/bookings?day=2026-03-03&room=hall").get_data(as_text=True)
    assert f'id="booking-{first.id}"' in page and f'id="booking-{second.id}"' in page
    assert f'id="booking-{third.id}"' not in page  # another day
    assert f'id="pending-{third.id}"' in page  # but waiting for approval
    lister = "/dashboard/manage/bookings?day=2026-03-03"
    assert post(admin, f"/dashboard/manage/bookings/{first.id}/approve", form_page=lister).status_code == 302
    assert post(admin, f"/dashboard/manage/bookings/{second.id}/decline", form_page=lister).status_code == 302
    assert post(admin, f"/dashboard/manage/bookings/{first.id}/cancel", form_page=lister).status_code == 302
    statuses = [bookings.get_booking(db.conn(), b.id).status for b in (first, second, third)]
    assert statuses == ["cancelled", "declined", "requested"]
    assert actions(db) == ["booking_approved", "booking_declined", "booking_cancelled"]
    # the day's list still shows them, with their status and no buttons that would fail
    page = admin.get(lister).get_data(as_text=True)
    for booking, status in ((first, "cancelled"), (second, "declined")):
        row = page[page.index(f'id="booking-{booking.id}"'):]
        row = row[:row.index("</tr>")]
        assert status in row and "/cancel" not in row and "Edit" not in row
    # a second cancel is refused in words, and writes nothing
    reply = post(admin, f"/dashboard/manage/bookings/{first.id}/cancel", form_page=lister)
    assert "already+cancelled" in reply.headers["Location"] or "already%20cancelled" in reply.headers["Location"]
    assert actions(db) == ["booking_approved", "booking_declined", "booking_cancelled"]


def test_edit_a_booking_and_a_clash_keeps_the_form(admin: FlaskClient, db: Database, config: Config,
                                                  clock: ManualClock, hall: rooms.Room) -> None:
    one = _book(db, config, clock, "hall", local(3, 10))
    _book(db, config, clock, "hall", local(3, 14), title="Quiz")
    form = f"/dashboard/manage/bookings/{one.id}/edit"
    page = admin.get(form).get_data(as_text=True)
    assert 'value="2026-03-03T10:00"' in page and 'value="grace@example.org"' in page
    data = {"start": "2026-03-03T11:00", "end": "2026-03-03T13:00", "title": "Choir practice",
            "organiser": "Grace Hopper", "contact": "", "group": "Choir", "headcount": "12"}
    assert post(admin, form, data).status_code == 302
    changed = bookings.get_booking(db.conn(), one.id)
    assert (changed.start, changed.title, changed.group, changed.headcount) == (
        local(3, 11), "Choir practice", "Choir", 12)
    reply = post(admin, form, {**data, "end": "2026-03-03T15:00", "title": "Longer"})
    page = reply.get_data(as_text=True)
    assert reply.status_code == 400 and 'id="start-error"' in page and 'value="Longer"' in page
    reply = post(admin, form, {**data, "end": "2026-03-03T10:00"})
    assert reply.status_code == 400 and "End must be after the start" in reply.get_data(as_text=True)
    assert bookings.get_booking(db.conn(), one.id).title == "Choir practice"
    assert actions(db) == ["booking_edited"]


def test_series_edit_this_or_following_and_cancel_one(admin: FlaskClient, db: Database, config: Config,
                                                      clock: ManualClock, hall: rooms.Room) -> None:
    request = bookings.BookingRequest(room="hall", start=local(3, 18), end=local(3, 20), title="Yoga",
                                      organiser="Mary Somerville")
    series_id, _, ids = series.create(db.conn(), config, request, "FREQ=WEEKLY;COUNT=4", clock.now())
    first, second, third, fourth = ids
    data = {"start": "2026-03-10T19:00", "end": "2026-03-10T21:00", "title": "Yoga", "organiser": "Mary Somerville"}
    assert post(admin, f"/dashboard/manage/bookings/{second}/edit", {**data, "scope": "this"}).status_code == 302
    starts = [bookings.get_booking(db.conn(), i).start.astimezone(LONDON).hour for i in ids]
    assert starts == [18, 19, 18, 18]
    data = {"start": "2026-03-17T17:00", "end": "2026-03-17T19:00", "title": "Evening yoga",
            "organiser": "Mary Somerville"}
    assert post(admin, f"/dashboard/manage/bookings/{third}/edit", {**data, "scope": "following"}).status_code == 302
    got = [bookings.get_booking(db.conn(), i) for i in ids]
    assert [b.start.astimezone(LONDON).hour for b in got] == [18, 19, 17, 17]
    assert [b.title for b in got] == ["Yoga", "Yoga", "Evening yoga", "Evening yoga"]
    lister = "/dashboard/manage/bookings?day=2026-03-03"
    assert post(admin, f"/dashboard/manage/bookings/{first}/cancel", form_page=lister).status_code == 302
    assert [bookings.get_booking(db.conn(), i).status for i in ids] == ["cancelled", "confirmed", "confirmed",
                                                                       "confirmed"]
    assert post(admin, f"/dashboard/manage/bookings/{third}/cancel-following", form_page=lister).status_code == 302
    assert [bookings.get_booking(db.conn(), i).status for i in ids] == ["cancelled", "confirmed", "cancelled",
                                                                       "cancelled"]
    assert actions(db) == ["booking_edited", "booking_edited", "booking_cancelled", "series_cancelled"]
    assert series_id and fourth


# -- people and fobs ------------------------------------------------------------------------


def test_create_edit_and_deactivate_a_person(admin: FlaskClient, db: Database) -> None:
    reply = post(admin, "/dashboard/manage/people/new", {"name": "Ada Lovelace", "kind": "member",
                                                          "member_number": "M9", "contact": "ada@example.org"})
    assert reply.status_code == 302
    ada = register.list_people(db.conn())[0]
    assert (ada.name, ada.kind, ada.member_number) == ("Ada Lovelace", "member", "M9")
    reply = post(admin, "/dashboard/manage/people/new", {"name": "Someone", "kind": "member", "member_number": "M9"})
    page = reply.get_data(as_text=True)
    assert reply.status_code == 400 and 'id="member_number-error"' in page and 'value="Someone"' in page
    assert post(admin, f"/dashboard/manage/people/{ada.id}", {"name": "Ada King", "kind": "volunteer",
                                                              "member_number": "M9"}).status_code == 302
    assert register.get(db.conn(), ada.id).kind == "volunteer"  # type: ignore[union-attr]
    reply = post(admin, f"/dashboard/manage/people/{ada.id}/deactivate", form_page=f"/dashboard/manage/people/{ada.id}")
    assert reply.status_code == 302 and not register.get(db.conn(), ada.id).active  # type: ignore[union-attr]
    assert actions(db) == ["person_created", "person_changed", "person_deactivated"]
    assert "Ada King" not in admin.get("/dashboard/manage/people").get_data(as_text=True)
    assert "Ada King" in admin.get("/dashboard/manage/people?all=1").get_data(as_text=True)
    # the audit log names people by id only
    assert all("Ada" not in e.detail for e in audit.recent(db.conn()))


def _unknown_tap(db: Database, card_hash: str, at: datetime) -> None:
    with db.write():
        state.put(db.conn(), taps.LAST_UNKNOWN_KEY, {"card_hash": card_hash, "at": iso(at)}, iso(at))


def test_assign_a_fob_by_tapping_it_while_the_form_is_open(admin: FlaskClient, db: Database,
                                                          clock: ManualClock) -> None:
    with db.write():
        ada = register.create(db.conn(), clock.now(), name="Ada Lovelace", kind="member")
    _unknown_tap(db, "old-card-hash", clock.now())  # tapped before the form opened: not taken
    clock.advance(seconds=5)
    page = admin.get(f"/dashboard/manage/people/{ada.id}/fob").get_data(as_text=True)
    assert "Tap the fob on the reader now" in page
    since = re.search(r'name="since" value="([^"]+)"', page)[1]  # type: ignore[index]
    status_url = f"/dashboard/manage/people/{ada.id}/fob/status?since={since}"
    assert admin.get(status_url).get_json() == {"tapped": False, "at": None}
    # pressing Assign before a tap says what to do, and assigns nothing
    reply = admin.post(f"/dashboard/manage/people/{ada.id}/fob",
                       data={"since": since, "csrf_token": csrf_token(admin, f"/dashboard/manage/people/{ada.id}/fob")})
    assert reply.status_code == 400 and "No fob has been read" in reply.get_data(as_text=True)
    clock.advance(seconds=3)
    _unknown_tap(db, "new-card-hash", clock.now())
    answer = admin.get(status_url)
    assert answer.get_json()["tapped"] is True and "card-hash" not in answer.get_data(as_text=True)
    reply = admin.post(f"/dashboard/manage/people/{ada.id}/fob",
                       data={"since": since, "csrf_token": csrf_token(admin, f"/dashboard/manage/people/{ada.id}/fob")})
    assert reply.status_code == 302
    assert register.by_card(db.conn(), "new-card-hash").id == ada.id  # type: ignore[union-attr]
    assert actions(db) == ["fob_assigned"]
    page = admin.get(f"/dashboard/manage/people/{ada.id}?fob=assigned").get_data(as_text=True)
    assert "Fob assigned" in page and "card-hash" not in page


def test_a_fob_someone_else_holds_is_refused(admin: FlaskClient, db: Database, clock: ManualClock) -> None:
    with db.write():
        ada = register.create(db.conn(), clock.now(), name="Ada Lovelace", kind="member")
        grace = register.create(db.conn(), clock.now(), name="Grace Hopper", kind="volunteer")
        register.assign_card(db.conn(), grace.id, "graces-card")
    fob_page = f"/dashboard/manage/people/{ada.id}/fob"
    since = re.search(r'name="since" value="([^"]+)"', admin.get(fob_page).get_data(as_text=True))[1]  # type: ignore[index]
    clock.advance(seconds=1)
    _unknown_tap(db, "graces-card", clock.now())
    reply = admin.post(fob_page, data={"since": since, "csrf_token": csrf_token(admin, fob_page)})
    assert reply.status_code == 400 and "already belongs to someone else" in reply.get_data(as_text=True)
    assert register.by_card(db.conn(), "graces-card").id == grace.id  # type: ignore[union-attr]
    assert actions(db) == []


# -- settings -------------------------------------------------------------------------------


def test_settings_change_and_a_bad_value_keeps_the_form(admin: FlaskClient, db: Database, config: Config) -> None:
    page = admin.get("/dashboard/manage/settings").get_data(as_text=True)
    assert "no config file was loaded" in page  # the test config comes from no file (config.source == "")
    assert "<code>database.path</code>" in page and "<code>mqtt.host</code>" in page
    form = {f.key.replace(".", "__"): f.text for f in settings.describe(config, db.conn())}
    reply = post(admin, "/dashboard/manage/settings", {**form, "site__name": "The Old School",
                                                        "privacy__visitor_days": "14"})
    assert reply.status_code == 302
    now = settings.effective(config, db.conn())
    assert (now.site.name, now.privacy.visitor_days) == ("The Old School", 14)
    assert actions(db) == ["settings_changed"]
    assert "privacy.visitor_days: 30 -> 14" in audit.recent(db.conn())[0].detail
    reply = post(admin, "/dashboard/manage/settings", {**form, "site__name": "Typed but not saved",
                                                        "site__opening_hours__tue": "9 till late"})
    page = reply.get_data(as_text=True)
    assert reply.status_code == 400 and 'id="site__opening_hours__tue-error"' in page
    assert 'value="Typed but not saved"' in page and 'value="9 till late"' in page
    assert settings.effective(config, db.conn()).site.name == "The Old School"


# -- privacy --------------------------------------------------------------------------------


def test_purge_now_shows_the_counts(admin: FlaskClient, db: Database, config: Config, clock: ManualClock) -> None:
    with db.write():
        visits.sign_in(db.conn(), config, clock.now() - timedelta(days=40), kind="visitor", name="Old Visitor")
    reply = post(admin, "/dashboard/manage/privacy/purge", form_page="/dashboard/manage/privacy")
    assert reply.status_code == 302
    page = admin.get(reply.headers["Location"]).get_data(as_text=True)
    assert 'id="purged-notice"' in page and '<td data-kind="visitor_visits">1</td>' in page
    assert retention.last_purge(db.conn())["counts"]["visitor_visits"] == 1  # type: ignore[index]
    assert actions(db) == ["retention_purged"]
    assert 'id="audit-log"' in page and "retention_purged" in page


def test_export_then_erase_with_confirmation(admin: FlaskClient, db: Database, config: Config,
                                             clock: ManualClock) -> None:
    with db.write():
        ada = register.create(db.conn(), clock.now(), name="Ada Lovelace", kind="member", contact="ada@example.org")
        visits.sign_in(db.conn(), config, clock.now(), kind="member", person_id=ada.id)
    counts = db.conn().execute("SELECT * FROM daily_counts").fetchall()
    reply = admin.get(f"/dashboard/manage/privacy/people/{ada.id}/export.json")
    assert reply.status_code == 200 and reply.mimetype == "application/json"
    assert "attachment" in reply.headers["Content-Disposition"]
    assert json.loads(reply.data)["person"]["contact"] == "ada@example.org"
    reply = admin.get(f"/dashboard/manage/privacy/people/{ada.id}/export.zip")
    with zipfile.ZipFile(io.BytesIO(reply.data)) as archive:
        assert "visits.csv" in archive.namelist()
    assert admin.get(f"/dashboard/manage/privacy/people/{ada.id}/export.pdf").status_code == 404
    confirm = f"/dashboard/manage/privacy/people/{ada.id}"
    reply = post(admin, f"{confirm}/erase", {"confirm_name": "Ada"}, form_page=confirm)
    assert reply.status_code == 400 and "Nothing was erased" in reply.get_data(as_text=True)
    assert register.get(db.conn(), ada.id) is not None
    reply = post(admin, f"{confirm}/erase", {"confirm_name": " ada  lovelace "}, form_page=confirm)
    assert reply.status_code == 302 and register.get(db.conn(), ada.id) is None
    assert db.conn().execute("SELECT * FROM daily_counts").fetchall() == counts
    assert actions(db) == ["person_exported", "person_exported", "person_erased"]
    assert admin.get(confirm).status_code == 404


def test_erase_a_visitor_by_name_typed_twice(admin: FlaskClient, db: Database, config: Config,
                                            clock: ManualClock) -> None:
    with db.write():
        visits.sign_in(db.conn(), config, clock.now(), kind="visitor", name="Carol Danvers", visiting="the cafe")
    page = "/dashboard/manage/privacy"
    reply = post(admin, f"{page}/visitor-erase", {"visitor_name": "Carol Danvers", "visitor_confirm": "Carol"},
                 form_page=page)
    text = reply.get_data(as_text=True)
    assert reply.status_code == 400 and 'id="visitor_confirm-error"' in text and 'value="Carol Danvers"' in text
    reply = post(admin, f"{page}/visitor-erase", {"visitor_name": "carol danvers", "visitor_confirm": "Carol  Danvers"},
                 form_page=page)
    assert reply.status_code == 302
    assert db.conn().execute("SELECT count(*) FROM visits WHERE name IS NOT NULL").fetchone()[0] == 0
    assert db.conn().execute("SELECT count(*) FROM visits").fetchone()[0] == 1
    assert actions(db) == ["visitor_erased"]


def test_export_holds_linked_bookings_only_and_lists_name_only_matches(
    admin: FlaskClient, db: Database, config: Config, clock: ManualClock, hall: rooms.Room
) -> None:
    """Issue 14.7: a booking typed at the kiosk under the same name (someone else's, with
    their contact) is not in Ada's export; the page lists it for the admin, who links it only
    when Ada confirms it is hers."""
    with db.write():
        ada = register.create(db.conn(), clock.now(), name="Ada Lovelace", kind="member", contact="ada@example.org")
    mine = bookings.book(db.conn(), config, bookings.BookingRequest(
        room="hall", start=local(3, 10), end=local(3, 11), title="Chess", organiser="Ada Lovelace",
        person_id=ada.id), clock.now()).booking
    namesake = bookings.book(db.conn(), config, bookings.BookingRequest(
        room="hall", start=local(4, 10), end=local(4, 11), title="Quiz", organiser="ada lovelace",
        contact="07700 900123"), clock.now()).booking
    page = f"/dashboard/manage/privacy/people/{ada.id}"
    exported = json.loads(admin.get(f"{page}/export.json").data)
    assert [b["reference"] for b in exported["bookings"]] == [mine.reference]
    assert "07700 900123" not in json.dumps(exported)
    html = admin.get(page).get_data(as_text=True)
    assert 'id="name-only"' in html and namesake.reference in html and "07700 900123" in html
    # nothing ticked: nothing linked, and the admin is told
    reply = post(admin, f"{page}/link", {}, form_page=page)
    assert reply.status_code == 400 and "Nothing was linked" in reply.get_data(as_text=True)
    # a row that is not one of her matches cannot be linked by a crafted form
    reply = post(admin, f"{page}/link", {"booking": str(mine.id)}, form_page=page)
    assert reply.status_code == 400
    reply = post(admin, f"{page}/link", {"booking": str(namesake.id)}, form_page=page)
    assert reply.status_code == 302
    assert bookings.get_booking(db.conn(), namesake.id).person_id == ada.id
    exported = json.loads(admin.get(f"{page}/export.json").data)
    assert sorted(b["reference"] for b in exported["bookings"]) == sorted([mine.reference, namesake.reference])
    assert 'id="name-only"' not in admin.get(page).get_data(as_text=True)
    assert actions(db) == ["person_exported", "person_linked", "person_exported"]
