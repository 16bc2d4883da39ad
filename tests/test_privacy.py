"""Erase and export for a data subject: rows that are theirs by key, counts stay right;
name-only matches are listed for an admin to confirm (link), never taken on a guess."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest

from appliance.core.clock import ManualClock, iso
from appliance.core.config import Config
from appliance.people import register, taps, visits
from appliance.privacy import export, holdings, requests
from appliance.storage import audit, state
from appliance.storage.db import Database

NAME = "Ada Lovelace"


def _booking(conn, ref: str, organiser: str, contact: str, title: str, start: str, end: str,
             person_id: int | None = None) -> None:
    conn.execute(
        "INSERT INTO bookings (reference, room_id, start_at, end_at, block_start_at, block_end_at, title,"
        " organiser, contact, status, cancel_code_hash, created_at, updated_at, person_id)"
        " VALUES (?, 'hall', ?, ?, ?, ?, ?, ?, ?, 'confirmed', 'x', ?, ?, ?)",
        (ref, start, end, start, end, title, organiser, contact, start, start, person_id),
    )


@pytest.fixture
def populated(db: Database, config: Config, clock: ManualClock) -> dict:
    """Ada (member with a fob, visits, bookings, mentions in free text) and Grace (someone else)."""
    conn = db.conn()
    now = clock.now()
    with db.write():
        conn.execute("INSERT INTO rooms (id, name, created_at) VALUES ('hall', 'Main Hall', ?)", (iso(now),))
        ada = register.create(conn, now, name=NAME, kind="member", member_number="M0042", contact="ada@example.org")
        grace = register.create(conn, now, name="Grace Hopper", kind="volunteer", contact="grace@example.org")
        register.assign_card(conn, ada.id, "hash-of-adas-fob")
        audit.record(conn, "admin", holdings.FOB_ASSIGNED_ACTION, holdings.fob_detail(ada.id), now)
        audit.record(conn, "admin", "person_created", f"{NAME} (member)", now)
        first = visits.sign_in(conn, config, now, kind="member", person_id=ada.id)
        visits.sign_out(conn, now + timedelta(hours=2), first.id)
        visits.sign_in(conn, config, now, kind="volunteer", person_id=grace.id, activity="Cafe")
        # Before she joined, Ada came as a visitor and typed her name (spaced oddly).
        visits.sign_in(conn, config, now - timedelta(days=3), kind="visitor", name="ada  LOVELACE",
                       visiting="the radio studio")
        visits.sign_in(conn, config, now, kind="visitor", name="Someone Else", visiting=f"{NAME}'s talk")
        start, end = iso(now + timedelta(days=1)), iso(now + timedelta(days=1, hours=2))
        _booking(conn, "B1", NAME, "ada@example.org", f"{NAME}'s birthday", start, end)
        _booking(conn, "B2", "Grace Hopper", "grace@example.org", "Compiler club", start, end, grace.id)
        _booking(conn, "B3", "A. L.", "", "Chess", start, end, ada.id)
        taps.record_fob_outcome(conn, now, "signed_in", ada.first_name, person=ada)
        state.put(conn, "notes/example", {"who": NAME, "card": "hash-of-adas-fob"}, iso(now))
    return {"ada": ada.id, "grace": grace.id}


def _mentions(conn, text: str, tables: tuple[str, ...] = ("people", "visits", "bookings", "booking_series")) -> list[str]:
    """Every table.column of ``tables`` whose text contains ``text`` in any case."""
    found = []
    for table in tables:
        for column in [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]:
            hit = conn.execute(f'SELECT 1 FROM "{table}" WHERE lower("{column}") LIKE ? LIMIT 1',
                               (f"%{text.lower()}%",)).fetchone()
            if hit:
                found.append(f"{table}.{column}")
    return found


def test_name_only_matches_are_listed_not_taken(db: Database, populated: dict) -> None:
    held = holdings.holdings(db.conn(), populated["ada"])
    assert [b.reference for b in held.name_only_bookings] == ["B1"]  # her name, her contact, not linked
    assert len(held.name_only_visits) == 1  # the visit she typed as a visitor
    assert held.booking_ids and held.visit_ids


def test_erase_after_linking_leaves_no_trace_of_the_name_and_counts_unchanged(db: Database, clock: ManualClock,
                                                                              populated: dict) -> None:
    conn = db.conn()
    held = holdings.holdings(conn, populated["ada"])
    counts_before = conn.execute("SELECT * FROM daily_counts ORDER BY day, sensor, metric").fetchall()
    visits_by_kind = conn.execute("SELECT kind, count(*) FROM visits GROUP BY kind ORDER BY kind").fetchall()
    notes = state.get(conn, "notes/example")
    with db.write():
        # she confirms the kiosk booking and the old visitor visit are hers
        requests.link(conn, populated["ada"], booking_ids=[b.id for b in held.name_only_bookings],
                      visit_ids=[v.id for v in held.name_only_visits])
        result = requests.erase(conn, populated["ada"], clock.now())
    # someone else's visit gave "Ada Lovelace's talk" as the reason: their row, not hers
    others = conn.execute("SELECT id, visiting FROM visits WHERE name = 'Someone Else'").fetchall()
    with db.write():
        conn.execute("UPDATE visits SET visiting = '' WHERE name = 'Someone Else'")
    for term in (NAME, "ada  lovelace", "ada@example.org", "M0042", "hash-of-adas-fob", "Lovelace"):
        assert _mentions(conn, term) == [], term
    # free text in rows that are not hers (a note, someone else's reason) is not searched
    assert state.get(conn, "notes/example") == notes
    assert [r["visiting"] for r in others] == [f"{NAME}'s talk"]
    assert conn.execute("SELECT * FROM daily_counts ORDER BY day, sensor, metric").fetchall() == counts_before
    assert conn.execute("SELECT kind, count(*) FROM visits GROUP BY kind ORDER BY kind").fetchall() == visits_by_kind
    assert register.get(conn, populated["ada"]) is None
    assert NAME not in result.summary and result.rows["people"] == 1
    # the kiosk greeting kept her first name; it is gone too
    assert "Ada" not in json.dumps(state.get(conn, taps.LAST_FOB_KEY))


def test_erase_keeps_everyone_else(db: Database, clock: ManualClock, populated: dict) -> None:
    conn = db.conn()
    with db.write():
        requests.erase(conn, populated["ada"], clock.now())
    grace = register.get(conn, populated["grace"])
    assert grace is not None and grace.contact == "grace@example.org"
    b2 = conn.execute("SELECT organiser, contact, person_id FROM bookings WHERE reference = 'B2'").fetchone()
    assert tuple(b2) == ("Grace Hopper", "grace@example.org", populated["grace"])
    assert conn.execute("SELECT count(*) FROM visits WHERE person_id = ?", (populated["grace"],)).fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM visits WHERE name = 'Someone Else'").fetchone()[0] == 1
    # a booking linked by id but under another spelling loses its organiser too
    b3 = conn.execute("SELECT organiser, person_id, title FROM bookings WHERE reference = 'B3'").fetchone()
    assert tuple(b3) == ("", None, "Chess")


def test_erase_an_unknown_person_says_so(db: Database, clock: ManualClock) -> None:
    with db.write(), pytest.raises(requests.PrivacyError, match="no person #99"):
        requests.erase(db.conn(), 99, clock.now())


def test_short_names_are_not_swept_out_of_ordinary_words(db: Database, clock: ManualClock) -> None:
    conn = db.conn()
    now = clock.now()
    with db.write():
        conn.execute("INSERT INTO rooms (id, name, created_at) VALUES ('hall', 'Main Hall', ?)", (iso(now),))
        al = register.create(conn, now, name="Al", kind="member")
        requests.erase(conn, al.id, now)
    assert conn.execute("SELECT name FROM rooms").fetchone()[0] == "Main Hall"


def test_export_has_their_data_and_nobody_elses(db: Database, clock: ManualClock, populated: dict) -> None:
    conn = db.conn()
    data = json.loads(export.export_json(conn, populated["ada"], clock.now()))
    assert data["person"]["name"] == NAME and data["person"]["member_number"] == "M0042"
    assert data["fob"] == {"has_fob": True, "assigned_at": iso(clock.now())}
    assert len(data["visits"]) == 1 and data["visits"][0]["signed_out_at"] is not None
    # B1 only has her name and contact: it could be anyone's until she confirms it
    assert sorted(b["reference"] for b in data["bookings"]) == ["B3"]
    with db.write():
        requests.link(conn, populated["ada"], booking_ids=[b.id for b in holdings.holdings(conn, populated["ada"]).name_only_bookings])
    data = json.loads(export.export_json(conn, populated["ada"], clock.now()))
    assert sorted(b["reference"] for b in data["bookings"]) == ["B1", "B3"]
    text = json.dumps(data)
    assert "Grace" not in text and "grace@" not in text and "Someone Else" not in text
    assert "hash-of-adas-fob" not in text  # the hash is no use to them and a handle for others


def test_export_zip_holds_csv_files(db: Database, clock: ManualClock, populated: dict) -> None:
    blob = export.export_zip(db.conn(), populated["ada"], clock.now())
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        assert set(archive.namelist()) == {"person.csv", "fob.csv", "visits.csv", "bookings.csv", "shifts.csv",
                                           "votes.csv", "comments.csv", "README.txt"}
        raw = archive.read("bookings.csv")
        assert raw.startswith(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark: Excel shows accents as typed
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
        person = next(csv.DictReader(io.StringIO(archive.read("person.csv").decode("utf-8-sig"))))
    assert [r["reference"] for r in rows] == ["B3"]
    assert person["name"] == NAME


def test_export_of_an_unknown_person_says_so(db: Database, clock: ManualClock) -> None:
    with pytest.raises(export.ExportError, match="no person #7"):
        export.export(db.conn(), 7, clock.now())


def test_csv_cells_cannot_become_spreadsheet_formulas(db: Database, clock: ManualClock) -> None:
    conn = db.conn()
    with db.write():
        p = register.create(conn, clock.now(), name="=HYPERLINK(1)", kind="member")
    blob = export.export_zip(conn, p.id, clock.now())
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        assert "'=HYPERLINK(1)" in archive.read("person.csv").decode("utf-8")


def test_erase_a_visitor_by_name(db: Database, clock: ManualClock, populated: dict) -> None:
    conn = db.conn()
    now = clock.now()
    counts = conn.execute("SELECT * FROM daily_counts ORDER BY day, sensor, metric").fetchall()
    with db.write():
        result = requests.erase_visitor(conn, "someone   else", now)
    assert _mentions(conn, "Someone Else") == []
    assert result.summary.startswith("a visitor erased") and result.rows["visits"] == 1
    assert conn.execute("SELECT * FROM daily_counts ORDER BY day, sensor, metric").fetchall() == counts
    assert register.get(conn, populated["ada"]) is not None  # nobody else touched
    b2 = conn.execute("SELECT organiser FROM bookings WHERE reference = 'B2'").fetchone()
    assert b2[0] == "Grace Hopper"


def test_erase_visitor_refuses_a_member_name_or_a_partial_one(db: Database, clock: ManualClock,
                                                             populated: dict) -> None:
    with db.write(), pytest.raises(requests.PrivacyError, match="their own record"):
        requests.erase_visitor(db.conn(), "Ada Lovelace", clock.now())
    with db.write(), pytest.raises(requests.PrivacyError, match="whole name"):
        requests.erase_visitor(db.conn(), "Someone", clock.now())


def test_erase_reaches_a_table_added_later_by_its_key(db: Database, clock: ManualClock) -> None:
    conn = db.conn()
    now = clock.now()
    with db.write():
        conn.execute("CREATE TABLE key_duties (day TEXT, topic TEXT, person_id INTEGER REFERENCES people(id),"
                     " body TEXT, PRIMARY KEY (day, topic)) WITHOUT ROWID")
        ada = register.create(conn, now, name=NAME, kind="member")
        conn.execute("INSERT INTO key_duties VALUES ('2026-03-02', 'keys', ?, 'Ada Lovelace has the spare key')", (ada.id,))
        conn.execute("INSERT INTO key_duties VALUES ('2026-03-03', 'keys', NULL, 'Ada Lovelace again')")
        result = requests.erase(conn, ada.id, now)
    assert conn.execute("SELECT person_id FROM key_duties WHERE day = '2026-03-02'").fetchone()[0] is None
    assert result.rows["key_duties"] == 1
    # free text in a row that is not hers is not searched
    assert conn.execute("SELECT body FROM key_duties WHERE day = '2026-03-03'").fetchone()[0] == "Ada Lovelace again"


def test_erasing_a_volunteer_removes_their_rota_and_exporting_lists_it(
    db: Database, config: Config, clock: ManualClock
) -> None:
    from datetime import date

    from rota_support import make_shift, with_rota_activities

    from appliance.rota import coverage, signups, volunteers

    cfg = with_rota_activities(config)
    conn = db.conn()
    bar = make_shift(conn, clock.now(), "Bar", days=("FR",), start="18:00", end="23:00", needs=2)
    with db.write() as tx:
        siân = register.create(tx, clock.now(), name="Siân Llŷr ap Gwilym", kind="volunteer")
    volunteers.set_activities(conn, cfg, siân.id, ["Bar"])
    signups.take(conn, cfg, clock.now(), person_id=siân.id, shift_id=bar.id, day=date(2026, 3, 6), source="kiosk")
    exported = export.export(conn, siân.id, clock.now())
    assert exported["volunteers_for"] == ["Bar"]
    assert exported["shifts"] == [{"day": "2026-03-06", "shift": "Bar", "activity": "Bar", "source": "kiosk",
                                   "taken_at": "2026-03-02T09:00:00.000Z"}]
    with db.write() as tx:
        erased = requests.erase(tx, siân.id, clock.now())
    assert erased.rows.get("shift_signups") == 1 and erased.rows.get("volunteer_activities") == 1
    assert conn.execute("SELECT count(*) FROM shift_signups").fetchone()[0] == 0
    # The date is open again; the shift itself stays.
    assert [n["open"] for n in coverage.needed(conn, cfg, clock.now())] == [2]
