"""doorstep.toml from the SD card's boot partition, made ready for image-build/firstboot.sh.

A volunteer writes doorstep.toml on a laptop: any Doorstep settings (the keys of
/etc/doorstep/config.toml), plus two tables that are not Doorstep settings and are taken
out here: ``[wifi]`` (for NetworkManager) and ``[bridge]`` (a Mosquitto bridge to the
community's broker). ``[mqtt] password`` goes to a file of its own, read by the agent only.

The settings are **merged over the config in use**: a key the file names takes the file's
value; every key it does not name keeps its value (a file holding only ``[wifi]`` changes
no setting at all). tomlkit edits the config in place, so the comments and layout a
volunteer gave it survive. The merged result is checked with the same rules the roles
load it with (appliance.core.config.parse) before anything is written anywhere; firstboot.sh
replaces nothing unless this succeeded.

An error names the key and what is wrong in words, never the value: the kiosk shows it to
anyone passing, and a value may be a password.

Run by firstboot.sh as ``python -m doorstep.bootfile SOURCE WORKDIR PASSWORD_FILE CURRENT``;
it writes WORKDIR/doorstep.toml (the merged config), WORKDIR/wifi/<key> files,
WORKDIR/bridge.conf and WORKDIR/mqtt-password as needed, or WORKDIR/error with one
sentence and exit status 1.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import AoT, Table

from appliance.core.config import ConfigError, parse
from appliance.core.config_reference import allowed_values, iter_keys

EXTRA: dict[str, dict[str, type]] = {
    "wifi": {"ssid": str, "password": str, "country": str, "hidden": bool},
    "bridge": {"host": str, "port": int, "username": str, "password": str, "tls": bool, "topics": list},
}
KIND_WORDS = {str: "text in quotes", int: "a whole number", bool: "true or false", list: "a list in [ ]"}


class BootFileError(Exception):
    """doorstep.toml cannot be applied; the message names the key, never a value."""


def _check_extra(data: dict[str, Any]) -> None:
    for table, keys in EXTRA.items():
        values = data.get(table)
        if values is None:
            continue
        if not isinstance(values, dict):
            raise BootFileError(f"[{table}] must be a table, written on its own line as [{table}].")
        for key, value in values.items():
            if key not in keys:
                raise BootFileError(f"[{table}] has an unknown setting '{key}'; known: {', '.join(keys)}.")
            if not isinstance(value, keys[key]) or (keys[key] is int and isinstance(value, bool)):
                raise BootFileError(f"[{table}] {key} must be {KIND_WORDS[keys[key]]}.")
    wifi = data.get("wifi") or {}
    if wifi:
        if not wifi.get("ssid"):
            raise BootFileError("[wifi] needs ssid, the name of the network.")
        if "password" in wifi and not 8 <= len(wifi["password"]) <= 63:
            raise BootFileError("[wifi] password must be 8 to 63 characters long.")
        if "country" in wifi and not re.fullmatch(r"[A-Za-z]{2}", wifi["country"]):
            raise BootFileError("[wifi] country must be a two-letter code such as GB.")
    bridge = data.get("bridge") or {}
    if bridge:
        if not bridge.get("host"):
            raise BootFileError("[bridge] needs host, the community broker's address.")
        for key, value in bridge.items():
            items = value if isinstance(value, list) else [value]
            for item in items:
                if not isinstance(item, str | int | bool) or (
                        isinstance(item, str) and re.search(r"[\s#]", item.replace("/#", ""))):
                    raise BootFileError(f"[bridge] {key} may not contain spaces or '#' (except a trailing '/#' in topics).")
    password = (data.get("mqtt") or {}).get("password")
    if password is not None and not isinstance(password, str):
        raise BootFileError("[mqtt] password must be text in quotes.")


def _bridge_conf(bridge: dict[str, Any]) -> str:
    tls = bridge.get("tls", True)
    lines = [
        "# Written by doorstep-firstboot from [bridge] in doorstep.toml.",
        "connection doorstep-community",
        f"address {bridge['host']}:{bridge.get('port', 8883 if tls else 1883)}",
        "cleansession false",
        "bridge_protocol_version mqttv311",
        "restart_timeout 5 60",
    ]
    if tls:
        lines.append("bridge_capath /etc/ssl/certs")
    if "username" in bridge:
        lines.append(f"remote_username {bridge['username']}")
    if "password" in bridge:
        lines.append(f"remote_password {bridge['password']}")
    for topic in bridge.get("topics", ["doorstep/#", "homeassistant/#"]):
        lines.append(f"topic {topic} out 1")
    return "\n".join(lines) + "\n"


def merge(current: tomlkit.TOMLDocument, settings: dict[str, Any], tables: Any = None) -> None:
    """Lay ``settings`` over ``current`` in place: tables key by key, anything else (a value,
    a list, an array of tables such as [[doors]]) replaced as a whole."""
    target = current if tables is None else tables
    for key, value in settings.items():
        existing = target.get(key)
        if isinstance(value, dict) and isinstance(existing, Table | dict) and not isinstance(existing, AoT):
            merge(current, value, existing)
        else:
            target[key] = value


def _safe(exc: ConfigError) -> str:
    """The loader's error without the value: which key, and what it accepts."""
    key = exc.key
    if not key:
        return "it is not valid TOML (a quote, bracket or '=' is missing or extra)."
    words = str(exc)
    if "is not a known key" in words or words.endswith("is required"):
        return words.split(": ", 1)[1] + "."  # key names only (and 'did you mean')
    field = dict(iter_keys()).get(re.sub(r"\[\d+\]", "[]", key))
    allowed = allowed_values(field.metadata.get("check")) if field is not None else ""
    return f"the setting {key} has a value Doorstep cannot use" + (f" (allowed: {allowed})." if allowed else
                                                                    "; see docs/CONFIG.md for what it takes.")


def prepare(source: Path, work: Path, password_file: str, current_path: Path) -> None:
    """Split doorstep.toml into work files and the merged config (see the module docstring)."""
    text = source.read_text(encoding="utf-8-sig")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"\(at [^)]*\)", str(exc))  # where, never what
        raise BootFileError(f"it is not valid TOML {where.group(0) if where else ''}".rstrip() + ".") from None
    _check_extra(data)
    wifi = data.pop("wifi", None) or {}
    if wifi:
        folder = work / "wifi"
        folder.mkdir()
        for key, value in wifi.items():
            (folder / key).write_text(("yes" if value else "no") if isinstance(value, bool) else str(value))
    bridge = data.pop("bridge", None) or {}
    if bridge:
        (work / "bridge.conf").write_text(_bridge_conf(bridge))
    mqtt = data.get("mqtt") or {}
    password = mqtt.pop("password", None)
    if password is not None:
        mqtt["password_file"] = password_file
        (work / "mqtt-password").write_text(password)
    try:
        current = tomlkit.parse(current_path.read_text(encoding="utf-8")) if current_path.exists() else tomlkit.document()
    except (OSError, UnicodeDecodeError, tomlkit.exceptions.TOMLKitError):
        raise BootFileError("the config in use (/etc/doorstep/config.toml) cannot be read to merge into; "
                            "fix or remove it first.") from None
    merge(current, data)
    merged = tomlkit.dumps(current)
    try:
        parse(merged, "doorstep.toml")  # the roles' own checks, on the result, before anything is written
    except ConfigError as exc:
        raise BootFileError(_safe(exc)) from None
    (work / "doorstep.toml").write_text(merged, encoding="utf-8")


def main(argv: list[str]) -> int:
    """Command line for firstboot.sh: SOURCE WORKDIR PASSWORD_FILE CURRENT_CONFIG."""
    source, work, password_file, current = Path(argv[0]), Path(argv[1]), argv[2], Path(argv[3])
    try:
        prepare(source, work, password_file, current)
    except BootFileError as exc:
        (work / "error").write_text(str(exc), encoding="utf-8")
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover - run by firstboot.sh
    sys.exit(main(sys.argv[1:]))
