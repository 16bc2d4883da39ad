"""Reports for funders: footfall per day/week/month, visits by kind, volunteer hours per
person and activity, room use per room and group; on screen and as CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from dashboard_support import log_in, make_admin, sign_in_person, sign_in_visitor

from appliance.booking import bookings
from appliance.core.clock import ManualClock
from appliance.core.config import Config
from appliance.people.visits import sign_out
from appliance.storage import state
from appliance.storage.db import Database, transaction
from appliance.views import reports
from doorstep.seed import seed_demo


def _counts(db: Database, day: str, beam_in: int, beam_out: int) -> None:
    conn = db.conn()
    with transaction(conn):
        state.add_count(conn, day, "front", "in", beam_in)
        state.add_count(conn, day, "front", "out", beam_out)
        state.add_count(conn, day, "front-door", "opened", 99)  # not footfall: must not be counted


def test_footfall_per_day_week_and_month(db: Database) -> None:
    _counts(db, "2026-03-02", 10, 8)   # Monday
    _counts(db, "2026-03-04", 5, 5)    # Wednesday, same week
    _counts(db, "2026-03-09", 7, 6)    # next Monday
    _counts(db, "2026-04-01", 3, 3)    # next month
    daily = reports.footfall(db.conn(), date(2026, 3, 2), date(2026, 3, 4), "day")
    assert daily.headers[0] == "Date" and "People in (door counter)" in daily.headers
    assert [(r[0], r[1], r[2]) for r in daily.rows] == [("2026-03-02", 10, 8), ("2026-03-03", 0, 0),
                                                        ("2026-03-04", 5, 5)]
    assert daily.chart is not None and daily.chart.bars == [("2 Mar", 10), ("3 Mar", 0), ("4 Mar", 5)]
    assert daily.title == "Footfall per day, Mon 2 Mar 2026 to Wed 4 Mar 2026"
    weekly = reports.footfall(db.conn(), date(2026, 3, 2), date(2026, 3, 15), "week")
    assert weekly.headers[0] == "Week starting (Monday)"  # one column names the week: no From and To
    assert [(r[0], r[1]) for r in weekly.rows] == [("2026-03-02", 15), ("2026-03-09", 7)]
    monthly = reports.footfall(db.conn(), date(2026, 3, 1), date(2026, 4, 30), "month")
    assert [(r[0], r[1]) for r in monthly.rows] == [("2026-03", 22), ("2026-04", 3)]


def test_visits_by_kind_and_sign_ins_in_footfall(db: Database, config: Config, clock: ManualClock) -> None:
    sign_in_visitor(db, config, clock.now(), "Visitor One")
    sign_in_visitor(db, config, clock.now(), "Visitor Two")
    sign_in_person(db, config, clock.now(), "Vol Unteer", activity="Cafe")
    report = reports.visits_by_kind(db.conn(), date(2026, 3, 1), date(2026, 3, 31))
    assert report.headers == ("Kind", "Visits")
    assert report.rows == [("visitor", 2), ("volunteer", 1)]
    assert reports.footfall(db.conn(), date(2026, 3, 2), date(2026, 3, 2)).rows[0][3] == 3
    assert report.chart is not None and report.chart.bars == [("visitor", 2), ("volunteer", 1)]


def _volunteer_shift(db: Database, config: Config, at: datetime, hours: float, name: str, activity: str) -> None:
    visit = sign_in_person(db, config, at, name, activity=activity)
    with transaction(db.conn()):
        sign_out(db.conn(), at + timedelta(hours=hours), visit.id)


def test_volunteer_hours_per_person_and_activity(db: Database, config: Config, clock: ManualClock) -> None:
    monday = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    _volunteer_shift(db, config, monday, 2.5, "Ada Lovelace", "Cafe")
    _volunteer_shift(db, config, monday + timedelta(days=1), 3, "Ada Lovelace", "Reception")
    _volunteer_shift(db, config, monday, 1.5, "Mary Somerville", "Cafe")
    _volunteer_shift(db, config, monday + timedelta(days=20), 4, "Out Of Range", "Cafe")
    sign_in_visitor(db, config, monday, "Not A Volunteer")
    now = monday + timedelta(days=30)
    people = reports.volunteer_hours_by_person(db.conn(), config, date(2026, 3, 1), date(2026, 3, 7), now)
    assert people.rows == [("Ada Lovelace", 2, 5.5, 0.0, 0.0), ("Mary Somerville", 1, 1.5, 0.0, 0.0)]
    activities = reports.volunteer_hours_by_activity(db.conn(), config, date(2026, 3, 1), date(2026, 3, 7), now)
    assert activities.rows == [("Cafe", 2, 2, 4.0, 0.0, 0.0), ("Reception", 1, 1, 3.0, 0.0, 0.0)]


def test_hours_to_a_presumed_sign_out_are_kept_apart(db: Database, config: Config, clock: ManualClock) -> None:
    from appliance.people import endofday

    sign_in_person(db, config, datetime(2026, 3, 2, 20, 0, tzinfo=UTC), "Forgot To Sign Out", activity="Events")
    endofday.sweep(db, config, datetime(2026, 3, 2, 23, 0, tzinfo=UTC))
    report = reports.volunteer_hours_by_person(db.conn(), config, date(2026, 3, 2), date(2026, 3, 2),
                                               datetime(2026, 3, 3, tzinfo=UTC))
    assert report.rows == [("Forgot To Sign Out", 1, 0.0, 2.0, 0.0)]


def test_room_use_per_room_and_group(db: Database, config: Config, clock: ManualClock) -> None:
    seed_demo(db)
    conn = db.conn()
    day = datetime(2026, 3, 3, tzinfo=UTC)

    def book(room: str, start_h: int, end_h: int, group: str = "") -> bookings.Booked:
        request = bookings.BookingRequest(room=room, start=day + timedelta(hours=start_h), end=day + timedelta(hours=end_h),
                                          title="Something", organiser="Org", group=group)
        return bookings.book(conn, config, request, clock.now())

    book("main-hall", 10, 12, "Choir")
    book("main-hall", 14, 15, "Choir")
    book("green-room", 13, 14)
    cancelled = book("green-room", 16, 18)
    bookings.cancel(conn, config, cancelled.booking.reference, cancelled.cancel_code, clock.now())
    report = reports.room_use(conn, config, date(2026, 3, 1), date(2026, 3, 31))
    assert report.headers == ("Room", "Group", "Bookings", "Hours booked", "Checked in")
    assert report.rows == [("Green Room", "(no group)", 1, 1.0, 0), ("Main Hall", "Choir", 2, 3.0, 0)]


def test_csv_has_plain_headers_and_rows(db: Database) -> None:
    _counts(db, "2026-03-02", 10, 8)
    report = reports.footfall(db.conn(), date(2026, 3, 2), date(2026, 3, 2))
    text = report.to_csv()
    assert text.startswith("\ufeff")  # the byte-order mark Excel needs to read UTF-8
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == ["Date", "People in (door counter)", "People out (door counter)", "Sign-ins"]
    assert rows[1] == ["2026-03-02", "10", "8", "0"]
    assert report.filename.endswith(".csv") and "/" not in report.filename


def test_csv_cells_typed_at_the_kiosk_cannot_run_as_formulas() -> None:
    report = reports.Report("Activities", ("Activity", "Hours"), [("=HYPERLINK(\"x\")", 2), ("Choir", -1)])
    rows = list(csv.reader(io.StringIO(report.to_csv().removeprefix("\ufeff"))))
    assert rows[1:] == [["'=HYPERLINK(\"x\")", "2"], ["Choir", "-1"]]


@pytest.mark.parametrize(("start", "end", "message"), [
    ("2026-03-09", "2026-03-01", "before it starts"),
    ("yesterday", "2026-03-01", "not a date"),
    ("2000-01-01", "2026-03-01", "ten years"),
])
def test_bad_ranges_are_refused_clearly(start: str, end: str, message: str) -> None:
    with pytest.raises(reports.ReportError, match=message):
        reports.parse_range(start, end)


def test_unknown_report_and_period_are_refused(db: Database, config: Config, clock: ManualClock) -> None:
    with pytest.raises(reports.ReportError, match="no report called"):
        reports.build(db.conn(), config, "nope", date(2026, 3, 1), date(2026, 3, 2), clock.now())
    with pytest.raises(reports.ReportError, match="period"):
        reports.footfall(db.conn(), date(2026, 3, 1), date(2026, 3, 2), "fortnight")


def test_reports_on_screen_and_as_csv_download(client, db: Database, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    _counts(db, "2026-03-02", 12, 9)
    make_admin(db, clock.now())
    log_in(client)
    page = client.get("/dashboard/reports/?report=footfall&from=2026-03-01&to=2026-03-02&period=day")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<td>12</td>" in text and "Download as CSV" in text
    download = client.get("/dashboard/reports/report.csv?report=footfall&from=2026-03-01&to=2026-03-02")
    assert download.mimetype == "text/csv" and download.mimetype_params["charset"] == "utf-8"
    assert download.headers["Content-Disposition"] == 'attachment; filename="footfall-per-day-2026-03-01-to-2026-03-02.csv"'
    assert download.data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    assert download.get_data(as_text=True).splitlines()[2].split(",")[1] == "12"
    assert 'id="report-chart"' in text and "<svg" in text
    bad = client.get("/dashboard/reports/?from=2026-03-09&to=2026-03-01")
    assert bad.status_code == 400 and b"before it starts" in bad.data
    assert client.get("/dashboard/reports/report.csv?report=nope").status_code == 400


def test_footfall_by_hour_of_the_day_from_the_door_counter(db: Database, config: Config, clock: ManualClock) -> None:
    from dashboard_support import record

    from appliance.core.events import Passed

    for minutes in (0, 20, 70, 75, 80):  # 09:00, 09:20, 10:10, 10:15, 10:20 (London = UTC in March)
        record(db, config, clock, Passed(at=clock.now() + timedelta(minutes=minutes), beam="front", direction="in"))
    record(db, config, clock, Passed(at=clock.now() + timedelta(minutes=90), beam="front", direction="out"))
    report = reports.build(db.conn(), config, "hours", date(2026, 3, 2), date(2026, 3, 2), clock.now())
    assert report.headers == ("Hour", "People in (door counter)")
    assert dict(report.rows)["09:00"] == 2 and dict(report.rows)["10:00"] == 3 and len(report.rows) == 24
    assert report.chart is not None and len(report.chart.bars) == 24
    assert "90 days" in report.note


def test_csv_of_accented_names_reads_back_in_utf8_with_a_bom(db: Database, config: Config, clock: ManualClock) -> None:
    _volunteer_shift(db, config, clock.now(), 2, "Siân Llŷr ap Gwilym", "Cafe")
    clock.advance(hours=3)
    report = reports.volunteer_hours_by_person(db.conn(), config, date(2026, 3, 1), date(2026, 3, 31), clock.now())
    raw = report.to_csv().encode("utf-8")
    assert raw.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))[1][0] == "Siân Llŷr ap Gwilym"


def test_volunteer_hours_come_from_fob_sign_ins_matched_to_shifts(
    db: Database, config: Config, clock: ManualClock
) -> None:
    """A fob sign-in records no activity unless the volunteer chose one or had a shift: the
    report counts it under the shift it overlaps, and "(none given)" only without either."""
    from rota_support import make_shift, with_rota_activities

    from appliance.core.events import FobRead
    from appliance.people import register
    from appliance.rota import signups
    from appliance.sensing.recorder import Recorder
    from doorstep.agent import RULES

    cfg = with_rota_activities(config)
    conn = db.conn()
    bar = make_shift(conn, clock.now(), "Bar", days=("FR",), start="18:00", end="23:00")
    with db.write() as tx:
        siân = register.create(tx, clock.now(), name="Siân Llŷr ap Gwilym", kind="volunteer")
        register.assign_card(tx, siân.id, "card-sian")
    signups.take(conn, cfg, clock.now(), person_id=siân.id, shift_id=bar.id, day=date(2026, 3, 6), source="kiosk")

    def tap(at: datetime) -> None:
        clock.set(at)
        Recorder(db, cfg, clock, RULES).write([FobRead(at=at, reader="entrance", card_hash="card-sian")])

    tap(datetime(2026, 3, 5, 14, 0, tzinfo=UTC))  # Thursday, no shift: 2 hours with nothing given
    tap(datetime(2026, 3, 5, 16, 0, tzinfo=UTC))
    tap(datetime(2026, 3, 6, 16, 0, tzinfo=UTC))  # Friday, two hours before the Bar: no activity at the tap
    tap(datetime(2026, 3, 6, 23, 30, tzinfo=UTC))
    assert [r["activity"] for r in conn.execute("SELECT activity FROM visits ORDER BY id")] == ["", ""]
    now = datetime(2026, 3, 8, tzinfo=UTC)
    report = reports.volunteer_hours_by_activity(conn, cfg, date(2026, 3, 2), date(2026, 3, 8), now)
    assert report.rows == [("(none given)", 1, 1, 2.0, 0.0, 0.0), ("Bar", 1, 1, 7.5, 0.0, 5.0)]
    people = reports.volunteer_hours_by_person(conn, cfg, date(2026, 3, 2), date(2026, 3, 8), now)
    assert people.rows == [("Siân Llŷr ap Gwilym", 2, 9.5, 0.0, 5.0)]
