"""Settings an admin may change from the dashboard, kept as overrides of the config file.

The config file stays the one place a volunteer edits to set a Doorstep up. A few keys
are safe to change while running (the site's name, opening hours, how long records are
kept); the dashboard stores those in the ``settings`` table under ``config:<dotted key>``
and :func:`effective` lays them over the file. Everything else (ports, pins, the broker,
the database path) only the file can change, because a wrong value there can lock the
dashboard itself out.

Overrides are validated with the same checks the file loader uses, so the dashboard can
never store a value the file would refuse.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import sqlite3
import typing
from dataclasses import dataclass
from typing import Any

from appliance.config import Config
from appliance.config_reference import iter_keys
from appliance.db import put_setting

PREFIX = "config:"

# The keys the dashboard may change; the order is the order of the settings form.
EDITABLE: tuple[str, ...] = (
    "site.name",
    *(f"site.opening_hours.{day}" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")),
    "privacy.visitor_days",
    "privacy.member_visit_days",
    "privacy.sensor_event_days",
    "privacy.booking_contact_days",
    "privacy.audit_days",
    "privacy.uncertain_hours",
)


class SettingsError(Exception):
    """One or more values cannot be stored; ``errors`` maps each dotted key to a sentence."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Setting:
    """One editable key as the settings page shows it."""

    key: str
    doc: str
    kind: type
    file_value: Any
    value: Any
    overridden: bool


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

    Raises :class:`SettingsError` naming the key when it is not editable or not valid.
    """
    if dotted not in EDITABLE:
        raise SettingsError({dotted: "only the config file can change this key"})
    f, kind = _field(dotted)
    text = text.strip()
    value: Any
    if kind is int:
        try:
            value = int(text)
        except ValueError:
            raise SettingsError({dotted: f"{text!r} is not a whole number"}) from None
    else:
        if not text:
            raise SettingsError({dotted: "cannot be empty"})
        value = text
    check = f.metadata.get("check")
    problem = check(value) if check else None
    if problem:
        raise SettingsError({dotted: problem})
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
            found[dotted] = json.loads(row["value"])
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
            usable[dotted] = parse_value(dotted, str(value))
        except SettingsError:
            continue
    return apply(config, usable)


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
    changed = {}
    for dotted, value in parsed.items():
        old = _lookup(current, dotted)
        if old == value:
            continue
        changed[dotted] = (old, value)
        if value == _lookup(config, dotted):
            conn.execute("DELETE FROM settings WHERE key = ?", (PREFIX + dotted,))
        else:
            put_setting(conn, PREFIX + dotted, json.dumps(value), at)
    return changed


def reset(conn: sqlite3.Connection, dotted: str) -> bool:
    """Drop one override so the file's value applies again; True if there was one."""
    return conn.execute("DELETE FROM settings WHERE key = ?", (PREFIX + dotted,)).rowcount > 0


def describe(config: Config, conn: sqlite3.Connection) -> list[Setting]:
    """Every editable key with its doc, the file's value and the value in force."""
    stored = overrides(conn)
    now = effective(config, conn)
    result = []
    for dotted in EDITABLE:
        f, kind = _field(dotted)
        result.append(Setting(dotted, f.metadata.get("doc", ""), kind, _lookup(config, dotted),
                              _lookup(now, dotted), dotted in stored))
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
