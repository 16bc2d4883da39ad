"""Erase and export for a data subject: every table is scanned, counts stay right."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest

from appliance import audit, people, privacy, state, visits
from appliance.clock import ManualClock, iso
from appliance.config import Config
from appliance.db import Database

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
        ada = people.create(conn, now, name=NAME, kind="member", member_number="M0042", contact="ada@example.org")
        grace = people.create(conn, now, name="Grace Hopper", kind="volunteer", contact="grace@example.org")
        people.assign_card(conn, ada.id, "hash-of-adas-fob")
        audit.record(conn, "admin", privacy.FOB_ASSIGNED_ACTION, privacy.fob_detail(ada.id), now)
        audit.record(conn, "admin", "person_created", f"{NAME} (member)", now)
        first = visits.sign_in(conn, config, now, kind="member", person_id=ada.id)
        visits.sign_out(conn, config, now + timedelta(hours=2), first.id)
        visits.sign_in(conn, config, now, kind="volunteer", person_id=grace.id, activity="Cafe")
        # Before she joined, Ada came as a visitor and typed her name (spaced oddly).
        visits.sign_in(conn, config, now - timedelta(days=3), kind="visitor", name="ada  LOVELACE",
                       visiting="the radio studio")
        visits.sign_in(conn, config, now, kind="visitor", name="Someone Else", visiting=f"{NAME}'s talk")
        start, end = iso(now + timedelta(days=1)), iso(now + timedelta(days=1, hours=2))
        _booking(conn, "B1", NAME, "ada@example.org", f"{NAME}'s birthday", start, end)
        _booking(conn, "B2", "Grace Hopper", "grace@example.org", "Compiler club", start, end, grace.id)
        _booking(conn, "B3", "A. L.", "", "Chess", start, end, ada.id)
        visits.record_fob_outcome(conn, now, "signed_in", ada.first_name)
        state.put(conn, "notes/example", {"who": NAME, "card": "hash-of-adas-fob"}, iso(now))
    return {"ada": ada.id, "grace": grace.id}


def _mentions(conn, text: str) -> list[str]:
    """Every table.column whose text contains ``text`` in any case, over the whole schema."""
    found = []
    for table, column, _ in privacy.text_columns(conn):
        hit = conn.execute(f'SELECT 1 FROM "{table}" WHERE lower("{column}") LIKE ? LIMIT 1',
                           (f"%{text.lower()}%",)).fetchone()
        if hit:
            found.append(f"{table}.{column}")
    return found


def test_text_columns_cover_every_table_in_the_schema(db: Database) -> None:
    tables = {t for t, _, _ in privacy.text_columns(db.conn())}
    assert {"people", "visits", "bookings", "state", "audit_log", "sensor_events", "settings"} <= tables


def test_erase_leaves_no_trace_of_the_name_and_counts_unchanged(db: Database, clock: ManualClock,
                                                                 populated: dict) -> None:
    conn = db.conn()
    assert _mentions(conn, NAME), "the fixture should mention the name somewhere"
    counts_before = conn.execute("SELECT * FROM daily_counts ORDER BY day, sensor, metric").fetchall()
    visits_by_kind = conn.execute("SELECT kind, count(*) FROM visits GROUP BY kind ORDER BY kind").fetchall()
    with db.write():
        result = privacy.erase(conn, populated["ada"], clock.now())
    for term in (NAME, "ada  lovelace", "ada@example.org", "M0042", "hash-of-adas-fob", "Lovelace"):
        assert _mentions(conn, term) == [], term
    assert conn.execute("SELECT * FROM daily_counts ORDER BY day, sensor, metric").fetchall() == counts_before
    assert conn.execute("SELECT kind, count(*) FROM visits GROUP BY kind ORDER BY kind").fetchall() == visits_by_kind
    assert people.get(conn, populated["ada"]) is None
    assert NAME not in result.summary and result.rows["people"] == 1
    # the kiosk greeting kept her first name; it is gone too
    assert "Ada" not in json.dumps(state.get(conn, visits.LAST_FOB_KEY))


def test_erase_keeps_everyone_else(db: Database, clock: ManualClock, populated: dict) -> None:
    conn = db.conn()
    with db.write():
        privacy.erase(conn, populated["ada"], clock.now())
    grace = people.get(conn, populated["grace"])
    assert grace is not None and grace.contact == "grace@example.org"
    b2 = conn.execute("SELECT organiser, contact, person_id FROM bookings WHERE reference = 'B2'").fetchone()
    assert tuple(b2) == ("Grace Hopper", "grace@example.org", populated["grace"])
    assert conn.execute("SELECT count(*) FROM visits WHERE person_id = ?", (populated["grace"],)).fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM visits WHERE name = 'Someone Else'").fetchone()[0] == 1
    # a booking linked by id but under another spelling loses its organiser too
    b3 = conn.execute("SELECT organiser, person_id, title FROM bookings WHERE reference = 'B3'").fetchone()
    assert tuple(b3) == ("", None, "Chess")


def test_erase_an_unknown_person_says_so(db: Database, clock: ManualClock) -> None:
    with db.write(), pytest.raises(privacy.PrivacyError, match="no person #99"):
        privacy.erase(db.conn(), 99, clock.now())


def test_short_names_are_not_swept_out_of_ordinary_words(db: Database, clock: ManualClock) -> None:
    conn = db.conn()
    now = clock.now()
    with db.write():
        conn.execute("INSERT INTO rooms (id, name, created_at) VALUES ('hall', 'Main Hall', ?)", (iso(now),))
        al = people.create(conn, now, name="Al", kind="member")
        privacy.erase(conn, al.id, now)
    assert conn.execute("SELECT name FROM rooms").fetchone()[0] == "Main Hall"


def test_export_has_their_data_and_nobody_elses(db: Database, clock: ManualClock, populated: dict) -> None:
    conn = db.conn()
    data = json.loads(privacy.export_json(conn, populated["ada"], clock.now()))
    assert data["person"]["name"] == NAME and data["person"]["member_number"] == "M0042"
    assert data["fob"] == {"has_fob": True, "assigned_at": iso(clock.now())}
    assert len(data["visits"]) == 1 and data["visits"][0]["signed_out_at"] is not None
    assert sorted(b["reference"] for b in data["bookings"]) == ["B1", "B3"]
    text = json.dumps(data)
    assert "Grace" not in text and "grace@" not in text and "Someone Else" not in text
    assert "hash-of-adas-fob" not in text  # the hash is no use to them and a handle for others


def test_export_zip_holds_csv_files(db: Database, clock: ManualClock, populated: dict) -> None:
    blob = privacy.export_zip(db.conn(), populated["ada"], clock.now())
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        assert set(archive.namelist()) == {"person.csv", "fob.csv", "visits.csv", "bookings.csv", "README.txt"}
        rows = list(csv.DictReader(io.StringIO(archive.read("bookings.csv").decode("utf-8"))))
        person = next(csv.DictReader(io.StringIO(archive.read("person.csv").decode("utf-8"))))
    assert [r["reference"] for r in rows] == ["B1", "B3"]
    assert person["name"] == NAME


def test_export_of_an_unknown_person_says_so(db: Database, clock: ManualClock) -> None:
    with pytest.raises(privacy.PrivacyError, match="no person #7"):
        privacy.export(db.conn(), 7, clock.now())


def test_csv_cells_cannot_become_spreadsheet_formulas(db: Database, clock: ManualClock) -> None:
    conn = db.conn()
    with db.write():
        p = people.create(conn, clock.now(), name="=HYPERLINK(1)", kind="member")
    blob = privacy.export_zip(conn, p.id, clock.now())
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        assert "'=HYPERLINK(1)" in archive.read("person.csv").decode("utf-8")


def test_erase_a_visitor_by_name(db: Database, clock: ManualClock, populated: dict) -> None:
    conn = db.conn()
    now = clock.now()
    counts = conn.execute("SELECT * FROM daily_counts ORDER BY day, sensor, metric").fetchall()
    with db.write():
        result = privacy.erase_visitor(conn, "someone   else", now)
    assert _mentions(conn, "Someone Else") == []
    assert result.summary.startswith("a visitor erased") and result.rows["visits"] == 1
    assert conn.execute("SELECT * FROM daily_counts ORDER BY day, sensor, metric").fetchall() == counts
    assert people.get(conn, populated["ada"]) is not None  # nobody else touched
    b2 = conn.execute("SELECT organiser FROM bookings WHERE reference = 'B2'").fetchone()
    assert b2[0] == "Grace Hopper"


def test_erase_visitor_refuses_a_member_name_or_a_partial_one(db: Database, clock: ManualClock,
                                                             populated: dict) -> None:
    with db.write(), pytest.raises(privacy.PrivacyError, match="their own record"):
        privacy.erase_visitor(db.conn(), "Ada Lovelace", clock.now())
    with db.write(), pytest.raises(privacy.PrivacyError, match="whole name"):
        privacy.erase_visitor(db.conn(), "Someone", clock.now())


def test_erase_reaches_a_table_added_later_even_without_rowid(db: Database, clock: ManualClock) -> None:
    conn = db.conn()
    now = clock.now()
    with db.write():
        conn.execute("CREATE TABLE notes (day TEXT, topic TEXT, body TEXT, PRIMARY KEY (day, topic)) WITHOUT ROWID")
        conn.execute("INSERT INTO notes VALUES ('2026-03-02', 'keys', 'Ada Lovelace has the spare key')")
        ada = people.create(conn, now, name=NAME, kind="member")
        privacy.erase(conn, ada.id, now)
    assert conn.execute("SELECT body FROM notes").fetchone()[0] == "[erased] has the spare key"
