"""What people type, checked in one place before anything is stored.

Every edge (kiosk and dashboard forms, the JSON API, config files, calendar imports)
passes text and dates through here, so a NUL byte, a lone surrogate, a control
character or a date in the year 1 or 9999 is refused with a sentence naming the field,
never stored and never a 500.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, date, datetime, tzinfo
from typing import Any

# Dates outside this window are refused everywhere (bookings, reports, day lists, feeds).
FIRST_YEAR = 2000
LAST_YEAR = 2100
EARLIEST = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
LATEST = datetime(LAST_YEAR, 12, 31, 23, 59, 59, tzinfo=UTC)
# JSON deeper than this is refused before anything reads it (our own bodies are 2 deep).
MAX_JSON_DEPTH = 32
# Format characters that carry meaning in real names and emoji: zero-width (non-)joiner.
_KEPT_FORMAT = {"\u200c", "\u200d"}


class InputError(ValueError):
    """A value a person gave cannot be used; the message says which and why."""


class FieldError(Exception):
    """A form cannot be acted on as asked: ``field`` names the form field at fault (the
    dashboard marks it), ``code`` which rule was broken (the kiosk says it in the screen's
    language). The rota's and the decisions' errors are these."""

    def __init__(self, message: str, *, field: str = "_form", code: str = "invalid") -> None:
        super().__init__(message)
        self.field = field
        self.code = code


def clean_text(value: object, label: str, max_length: int, *, required: bool = False, multiline: bool = False) -> str:
    """Text as a person meant it: whitespace runs folded to one space (newlines kept when
    ``multiline``), no control characters, no lone surrogates, at most ``max_length``
    characters. Raises :class:`InputError` naming ``label``."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InputError(f"The {label} must be text.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"The {label} contains a character that is not valid text; type it again.") from None
    if "\x00" in value:
        raise InputError(f"The {label} contains a NUL character; type it again.")
    value = unicodedata.normalize("NFC", value)
    if multiline:
        lines = [_visible(" ".join(line.split())) for line in value.replace("\r\n", "\n").split("\n")]
        text = "\n".join(lines).strip()
    else:
        text = _visible(" ".join(value.split()))
    if required and not text:
        raise InputError(f"Please give the {label}.")
    if len(text) > max_length:
        raise InputError(f"The {label} is too long ({len(text)} characters); keep it to {max_length}.")
    return text


def _visible(text: str) -> str:
    """Drop control and format characters that are not whitespace (they never show, and
    bidirectional overrides can make a name read as another), keeping the zero-width
    joiners that some scripts and emoji need."""
    return "".join(ch for ch in text
                   if unicodedata.category(ch) not in ("Cc", "Cs", "Cf") or ch in "\t" or ch in _KEPT_FORMAT)


def check_date(day: date, label: str = "date") -> date:
    """``day`` if within the years Doorstep accepts; else :class:`InputError`."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InputError(f"The {label} {day.isoformat()} is outside {FIRST_YEAR}-{LAST_YEAR}; check the year.")
    return day


def check_moment(when: datetime, label: str = "time") -> datetime:
    """An aware ``when`` if within the years Doorstep accepts; else :class:`InputError`."""
    if when.tzinfo is None:
        raise InputError(f"The {label} needs a timezone.")
    if not EARLIEST <= when <= LATEST:
        raise InputError(f"The {label} {when.date().isoformat()} is outside {FIRST_YEAR}-{LAST_YEAR}; check the year.")
    return when


def parse_date(text: object, label: str = "date") -> date:
    """A YYYY-MM-DD date a person or a URL gave, checked with :func:`check_date`."""
    if not isinstance(text, str):
        raise InputError(f"The {label} must be a date like 2026-03-02.")
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{text[:40]!r} is not a date; use YYYY-MM-DD, like 2026-03-02.") from None
    return check_date(day, label)


def parse_moment(text: object, zone: tzinfo, label: str = "time") -> datetime:
    """An ISO-8601 date and time a person or a program gave, as aware UTC; without an offset
    it is the site's wall time (``zone``). Checked with :func:`check_moment`."""
    if not isinstance(text, str):
        raise InputError(f"The {label} must be a date and time like 2026-03-02T18:30.")
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{text[:40]!r} is not a date and time; use ISO-8601 like 2026-03-02T18:30.") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    if not FIRST_YEAR <= value.year <= LAST_YEAR:  # before converting: the year 1 or 9999 overflows
        raise InputError(f"The {label} {value.date().isoformat()} is outside {FIRST_YEAR}-{LAST_YEAR}; check the year.")
    return check_moment(value.astimezone(UTC), label)


def parse_json(body: bytes | str, label: str = "request body", max_depth: int = MAX_JSON_DEPTH) -> Any:
    """JSON a client sent, refused in words (:class:`InputError`) when it is not UTF-8, not
    JSON, nested deeper than ``max_depth``, or holds a string that is not valid text (a lone
    surrogate or a NUL), naming the field it was in. Never a RecursionError."""
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"The {label} is not UTF-8 text.") from None
    if _depth_exceeds(body, max_depth):
        raise InputError(f"The {label} is nested too deep (more than {max_depth} levels); send a flat JSON object.")
    try:
        value = json.loads(body)
    except RecursionError:  # pragma: no cover - the depth scan above refuses these first
        raise InputError(f"The {label} is nested too deep; send a flat JSON object.") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"The {label} is not valid JSON ({exc.msg} at character {exc.pos}); "
                         "send a JSON object.") from None
    _check_strings(value, label)
    return value


def _depth_exceeds(text: str, limit: int) -> bool:
    """Brackets open at once, outside strings, beyond ``limit`` (a scan, no recursion)."""
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def _check_strings(value: Any, label: str) -> None:
    """Every key and string in parsed JSON must be text that can be stored (walked with a stack)."""
    stack: list[tuple[Any, str]] = [(value, label)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            _storable(item, where)
        elif isinstance(item, dict):
            for key, inner in item.items():
                _storable(key, f"field name in the {label}")
                stack.append((inner, key))
        elif isinstance(item, list):
            stack.extend((inner, where) for inner in item)


def _storable(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"The {where} contains a character that is not valid text (a lone surrogate); "
                         "send UTF-8 text.") from None
    if "\x00" in text:
        raise InputError(f"The {where} contains a NUL character; send it without.")
