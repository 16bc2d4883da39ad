"""Settings an admin may change from the dashboard, kept as overrides of the config file.

The config file stays the one place a volunteer edits to set a Doorstep up. A few keys
are safe to change while running (the site's name, opening hours, what volunteers sign in
for, the kiosk's roll-call PIN, how long records are kept, until when a volunteer may give
up a shift at the door); the dashboard stores those in the ``settings`` table under
``config:<dotted key>`` and :func:`effective` lays them over the file. Everything else
(ports, pins, the broker, the database path) only the file can change, because a wrong
value there can lock the dashboard itself out.

Overrides are validated with the same checks the file loader uses (each key's declared
range or rule in appliance/core/config.py, then the rules that span keys), so the
dashboard can never store a value the file would refuse, and an error names the key.
The page shows each key with the label and help text of its declaration, in
:data:`GROUPS`: what a volunteer looks for, not how the file is laid out.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import sqlite3
import typing
from dataclasses import dataclass
from typing import Any

from appliance.core.config import Config, ConfigError, Range, check_whole
from appliance.core.config_reference import iter_keys
from appliance.storage.db import put_setting

PREFIX = "config:"

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# The keys the dashboard may change, grouped as a volunteer looks for them: (heading, what
# the group is for, keys). The order is the order of the settings page.
GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("This place", "The name everyone sees on the kiosk, the hall display and the dashboard.", ("site.name",)),
    ("Opening hours", "When the space is open: 'HH:MM-HH:MM' (for example 09:00-22:00), or 'closed'. The kiosk, "
     "the display and bookings follow them; at closing time anyone still signed in is presumed to have left.",
     tuple(f"site.opening_hours.{day}" for day in DAYS)),
    ("The entrance screen", "What the touchscreen at the door offers.", ("kiosk.activities", "kiosk.idle_seconds", "kiosk.done_seconds", "kiosk.receipt_seconds")),
    ("Volunteer rota", "The shifts volunteers take at the door or on the dashboard.", ("rota.giveup_hours",)),
    ("Fire roll-call", "Who is in the building, for a fire marshal: on the dashboard, and on the kiosk behind a PIN.",
     ("kiosk.rollcall_pin", "privacy.uncertain_hours")),
    ("How long records are kept", "After this many days each kind of record loses the person (or goes); "
     "daily counts are always kept. The purge runs once a day.",
     ("privacy.visitor_days", "privacy.member_visit_days", "privacy.booking_contact_days", "privacy.sensor_event_days",
      "privacy.audit_days")),
)
EDITABLE: tuple[str, ...] = tuple(key for _, _, keys in GROUPS for key in keys)


class SettingsError(Exception):
    """One or more values cannot be stored; ``errors`` maps each dotted key to a sentence."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Setting:
    """One editable key as the settings page shows it: the words of its declaration, the
    file's value and the value in force (as text a form field holds), and its range."""

    key: str
    label: str
    help: str
    kind: type
    file_value: Any
    value: Any
    overridden: bool
    low: float | None = None
    high: float | None = None

    @property
    def text(self) -> str:
        """The value in force as a form field holds it (a list: one entry per line)."""
        return as_text(self.value)

    @property
    def file_text(self) -> str:
        """The config file's value, in words for the page."""
        if isinstance(self.file_value, tuple):
            return ", ".join(self.file_value)
        return str(self.file_value) if self.file_value != "" else "(empty)"

    @property
    def is_list(self) -> bool:
        """A list of texts (a text area, one entry per line)."""
        return self.kind is not int and self.kind is not str


def as_text(value: Any) -> str:
    """A setting's value as text a form holds: a list is one entry per line."""
    return "\n".join(value) if isinstance(value, tuple) else str(value)


@functools.cache
def _field(dotted: str) -> tuple[dataclasses.Field[Any], type]:
    """The dataclass field and Python type behind a dotted key (cached: get_type_hints costs
    about a quarter of a millisecond, and :func:`effective` runs on every page and live update)."""
    cls: Any = Config
    parts = dotted.split(".")
    for part in parts[:-1]:
        cls = typing.get_type_hints(cls)[part]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    return fields[parts[-1]], typing.get_type_hints(cls)[parts[-1]]


def _lookup(config: Config, dotted: str) -> Any:
    value: Any = config
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def _replace(obj: Any, parts: list[str], value: Any) -> Any:
    if len(parts) == 1:
        return dataclasses.replace(obj, **{parts[0]: value})
    return dataclasses.replace(obj, **{parts[0]: _replace(getattr(obj, parts[0]), parts[1:], value)})


def parse_value(dotted: str, text: str) -> Any:
    """Turn what was typed into the key's type and check it as the file loader would.

    Raises :class:`SettingsError` naming the key when it is not editable or not valid; the
    sentence itself starts with the key, so it is clear wherever it is shown.
    """
    if dotted not in EDITABLE:
        raise SettingsError({dotted: f"{dotted}: only the config file can change this key"})
    f, kind = _field(dotted)
    if not isinstance(text, str):
        raise SettingsError({dotted: f"{dotted}: must be text"})
    value: Any
    if kind is int:
        try:
            value = int(text.strip())
        except ValueError:
            raise SettingsError({dotted: f"{dotted}: {text.strip()[:40]!r} is not a whole number"}) from None
    elif kind is str:
        value = text.strip()
    else:  # a list of texts: one per line, blank lines ignored
        value = tuple(line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip())
    check = f.metadata.get("check")
    problem = check(value) if check else None
    if problem:
        raise SettingsError({dotted: f"{dotted}: {problem}"})
    return value


def overrides(conn: sqlite3.Connection) -> dict[str, Any]:
    """The stored overrides, by dotted key (keys no longer editable are ignored)."""
    rows = conn.execute(
        "SELECT key, value FROM settings WHERE key >= ? AND key < ?", (PREFIX, PREFIX + "\uffff")
    )
    found = {}
    for row in rows:
        dotted = row["key"][len(PREFIX):]
        if dotted in EDITABLE:
            try:
                found[dotted] = json.loads(row["value"])
            except ValueError:
                continue  # a row written by hand (Datasette): the file's value applies
    return found


def apply(config: Config, values: dict[str, Any]) -> Config:
    """``config`` with the given dotted-key values laid over it."""
    for dotted, value in values.items():
        config = _replace(config, dotted.split("."), value)
    return config


def effective(config: Config, conn: sqlite3.Connection) -> Config:
    """The config file's values with the dashboard's overrides applied.

    An override that no longer passes its check (say the rules tightened in an upgrade)
    is skipped, so a stale row can never stop a role from starting.
    """
    usable = {}
    for dotted, value in overrides(conn).items():
        try:
            usable[dotted] = parse_value(dotted, as_text(tuple(value)) if isinstance(value, list) else str(value))
        except (SettingsError, TypeError):
            continue
    try:
        return _whole(apply(config, usable))
    except SettingsError:
        return config  # overrides that no longer fit together: the file rules until someone saves again


def save(conn: sqlite3.Connection, config: Config, form: dict[str, str], at: str) -> dict[str, tuple[Any, Any]]:
    """Validate every editable key in ``form`` and store those that differ from now.

    A value equal to the config file's removes the override (the file rules again).
    All or nothing: if any key is wrong, nothing is stored and :class:`SettingsError`
    lists every wrong key. Returns ``{key: (old, new)}`` for what changed, for the audit log.
    """
    errors: dict[str, str] = {}
    parsed: dict[str, Any] = {}
    for dotted, text in form.items():
        try:
            parsed[dotted] = parse_value(dotted, text)
        except SettingsError as exc:
            errors.update(exc.errors)
    if errors:
        raise SettingsError(errors)
    current = effective(config, conn)
    _whole(apply(current, parsed))
    changed = {}
    for dotted, value in parsed.items():
        old = _lookup(current, dotted)
        if old == value:
            continue
        changed[dotted] = (old, value)
        if value == _lookup(config, dotted):
            conn.execute("DELETE FROM settings WHERE key = ?", (PREFIX + dotted,))
        else:
            put_setting(conn, PREFIX + dotted, json.dumps(value, ensure_ascii=False), at)
    return changed


def _whole(config: Config) -> Config:
    """``config`` if the rules that span keys hold (as the file loader checks them)."""
    try:
        check_whole(config)
    except ConfigError as exc:
        key = str(exc).partition(": ")[0]
        raise SettingsError({key: str(exc)}) from None
    return config


def reset(conn: sqlite3.Connection, dotted: str) -> bool:
    """Drop one override so the file's value applies again; True if there was one."""
    return conn.execute("DELETE FROM settings WHERE key = ?", (PREFIX + dotted,)).rowcount > 0


def describe(config: Config, conn: sqlite3.Connection) -> list[Setting]:
    """Every editable key with its label and help from the declarations, the file's value
    and the value in force, in the page's order."""
    stored = overrides(conn)
    now = effective(config, conn)
    result = []
    for dotted in EDITABLE:
        f, kind = _field(dotted)
        check = f.metadata.get("check")
        low, high = (check.low, check.high) if isinstance(check, Range) else (None, None)
        result.append(Setting(dotted, f.metadata.get("label") or f.metadata.get("doc", dotted),
                              f.metadata.get("doc", ""), kind, _lookup(config, dotted), _lookup(now, dotted),
                              dotted in stored, low, high))
    return result


def file_only_keys() -> list[str]:
    """Dotted keys that only the config file can change (tables themselves left out)."""
    out = []
    for dotted, _ in iter_keys():
        # whole tables (site, privacy...) are headings, not keys a person sets
        if "[]" not in dotted and dataclasses.is_dataclass(_field(dotted)[1]):
            continue
        if dotted not in EDITABLE:
            out.append(dotted)
    return out
