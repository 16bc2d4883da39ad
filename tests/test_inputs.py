"""The one place typed text and dates are checked (appliance.core.inputs), and the
human time format every screen uses (appliance.core.clock.human)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.core.clock import human, human_day
from appliance.core.inputs import (
    InputError,
    check_date,
    check_moment,
    clean_text,
    parse_date,
    parse_json,
    parse_moment,
)


@pytest.mark.parametrize("bad", ["\ud800", "Ada\x00", "\udfff tail"])
def test_nul_and_lone_surrogates_are_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(InputError, match="name"):
        clean_text(bad, "name", 120)


def test_control_characters_go_and_welsh_stays() -> None:
    assert clean_text("  Siân\tLlŷr \x07ap\x1b Gwilym ", "name", 120) == "Siân Llŷr ap Gwilym"
    assert clean_text("line one\r\n\x0cline two", "note", 200, multiline=True) == "line one\nline two"


def test_length_and_required() -> None:
    assert clean_text("x" * 120, "name", 120) == "x" * 120
    with pytest.raises(InputError, match="too long \\(121 characters\\); keep it to 120"):
        clean_text("x" * 121, "name", 120)
    with pytest.raises(InputError, match="Please give the name"):
        clean_text("   ", "name", 120, required=True)


@given(st.text())
def test_any_text_is_either_clean_or_refused_in_words(text: str) -> None:
    try:
        cleaned = clean_text(text, "title", 200)
    except InputError as exc:
        assert "title" in str(exc)
    else:
        cleaned.encode("utf-8")
        assert "\x00" not in cleaned and len(cleaned) <= 200


@pytest.mark.parametrize("text", ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01"])
def test_dates_outside_the_window_are_refused(text: str) -> None:
    with pytest.raises(InputError, match="outside 2000-2100"):
        parse_date(text)


def test_dates_inside_are_kept_and_junk_is_explained() -> None:
    assert parse_date("2026-03-02") == date(2026, 3, 2)
    assert check_date(date(2100, 12, 31)) == date(2100, 12, 31)
    with pytest.raises(InputError, match="not a date"):
        parse_date("next tuesday")
    with pytest.raises(InputError, match="outside"):
        check_moment(datetime(9999, 12, 31, 23, 30, tzinfo=UTC))


def test_human_times_are_in_the_site_zone() -> None:
    london = ZoneInfo("Europe/London")
    assert human(datetime(2026, 12, 3, 14, 5, tzinfo=UTC), london) == "Thu 3 Dec, 14:05"
    assert human(datetime(2026, 7, 3, 13, 5, tzinfo=UTC), london) == "Fri 3 Jul, 14:05"
    assert human(datetime(2026, 7, 3, 13, 5, tzinfo=UTC), london, with_day=False) == "14:05"
    assert human_day(date(2026, 12, 3)) == "Thu 3 Dec 2026"


@pytest.mark.parametrize(("body", "words"), [
    ("[" * 5000 + "]" * 5000, "nested too deep"),
    ('{"a":' * 40 + "1" + "}" * 40, "nested too deep"),
    ('{"title": "\\ud800"}', "title contains a character that is not valid text"),
    ('{"\\udfff": 1}', "field name"),
    ('{"name": ["ok", "A\\u0000B"]}', "name contains a NUL"),
    (b"\xff\xfe", "not UTF-8"),
    ("{", "not valid JSON"),
])
def test_json_is_refused_in_words(body: str | bytes, words: str) -> None:
    with pytest.raises(InputError, match=words):
        parse_json(body)


def test_json_that_looks_deep_only_inside_strings_is_fine() -> None:
    assert parse_json('{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\""}') == {"a": '[' * 38 + '"'}


def test_moments_are_site_time_without_an_offset_and_refused_outside_the_window() -> None:
    london = ZoneInfo("Europe/London")
    assert parse_moment("2026-07-03T14:05", london) == datetime(2026, 7, 3, 13, 5, tzinfo=UTC)
    assert parse_moment("2026-07-03T14:05Z", london) == datetime(2026, 7, 3, 14, 5, tzinfo=UTC)
    for text in ("0001-01-01T00:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"):
        with pytest.raises(InputError, match="outside 2000-2100"):
            parse_moment(text, london, "start")
    with pytest.raises(InputError, match="not a date and time"):
        parse_moment("soon", london)
