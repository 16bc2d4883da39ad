#!/bin/bash
# Apply doorstep.toml from the boot partition (doorstep-firstboot.service).
#
# A volunteer writes doorstep.toml on a laptop: the Doorstep settings (the
# same keys as /etc/doorstep/config.toml) plus two optional tables that are
# not Doorstep settings and are taken out here:
#   [wifi]    ssid, password, country, hidden   -> NetworkManager (nmcli)
#   [bridge]  host, port, username, password, tls, topics
#                                               -> the local Mosquitto's bridge
# [mqtt] password is moved to /etc/doorstep/secrets/mqtt-password (read by
# the agent only) and replaced by password_file. The rest is validated with
# `doorstep check-config`, and only then moved to
# /etc/doorstep/config.toml (the old one kept as config.toml.before-<time>).
# On any error nothing more is applied, doorstep.toml stays where it is, and
# the reason, in words, goes to /var/lib/doorstep/firstboot-error.txt for the
# kiosk screen to show.
#
# The DOORSTEP_* variables exist for the tests; the defaults are the real paths.
set -euo pipefail

boot_dir=${DOORSTEP_BOOT_DIR:-/boot/firmware}
config_dir=${DOORSTEP_CONFIG_DIR:-/etc/doorstep}
state_dir=${DOORSTEP_STATE_DIR:-/var/lib/doorstep}
venv=${DOORSTEP_VENV:-/opt/doorstep/venv}
mosquitto_dir=${DOORSTEP_MOSQUITTO_DIR:-/etc/mosquitto/conf.d}
nmcli=${DOORSTEP_NMCLI:-nmcli}

source_file="$boot_dir/doorstep.toml"
password_file="$config_dir/secrets/mqtt-password"
error_file="$state_dir/firstboot-error.txt"

work=$(mktemp -d)
chmod 0700 "$work"
trap 'rm -rf "$work"' EXIT

# Group-readable by the doorstep user when it exists (not in the tests).
give_to_doorstep() {
    if getent group doorstep >/dev/null; then
        chgrp doorstep "$1"
    fi
}

fail() {
    local reason="$1"
    local text="The settings file doorstep.toml on the SD card's boot partition was not applied: $reason Fix it on a computer and restart the Doorstep; until then the previous settings stay in use."
    mkdir -p "$state_dir"
    printf '%s\n' "$text" >"$error_file.tmp"
    chmod 0640 "$error_file.tmp"
    give_to_doorstep "$error_file.tmp"
    mv -f "$error_file.tmp" "$error_file"
    printf 'doorstep-firstboot: %s\n' "$text" >&2
    exit 1
}

if [[ ! -f "$source_file" ]]; then
    echo "doorstep-firstboot: no $source_file, nothing to do"
    exit 0
fi

# Split doorstep.toml: the config proper, the Wi-Fi values one per file, and
# a ready Mosquitto bridge file. Python's tomllib reads the values, so quoting
# in SSIDs and passwords is handled; the config is cut as text so the
# volunteer's comments survive.
if ! "$venv/bin/python" - "$source_file" "$work" "$password_file" >"$work/split.err" 2>&1 <<'PY'; then
import pathlib
import re
import sys
import tomllib

source, work = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
EXTRA = {
    "wifi": {"ssid": str, "password": str, "country": str, "hidden": bool},
    "bridge": {"host": str, "port": int, "username": str, "password": str,
               "tls": bool, "topics": list},
}


def fail(message):
    (work / "error").write_text(message)
    sys.exit(1)


text = source.read_text(encoding="utf-8-sig")
try:
    data = tomllib.loads(text)
except tomllib.TOMLDecodeError as exc:
    fail(f"it is not valid TOML ({exc}).")

for table, keys in EXTRA.items():
    values = data.get(table)
    if values is None:
        continue
    if not isinstance(values, dict):
        fail(f"[{table}] must be a table, written on its own line as [{table}].")
    for key, value in values.items():
        if key not in keys:
            fail(f"[{table}] has an unknown setting '{key}'; known: {', '.join(keys)}.")
        if not isinstance(value, keys[key]) or (keys[key] is int and isinstance(value, bool)):
            fail(f"[{table}] {key} has the wrong kind of value: {value!r}.")

wifi = data.get("wifi") or {}
if wifi:
    if not wifi.get("ssid"):
        fail("[wifi] needs ssid, the name of the network.")
    if "password" in wifi and not 8 <= len(wifi["password"]) <= 63:
        fail("[wifi] password must be 8 to 63 characters long.")
    if "country" in wifi and not re.fullmatch(r"[A-Za-z]{2}", wifi["country"]):
        fail(f"[wifi] country must be a two-letter code such as GB, got {wifi['country']!r}.")
    out = work / "wifi"
    out.mkdir()
    for key, value in wifi.items():
        (out / key).write_text(("yes" if value else "no") if isinstance(value, bool) else str(value))

bridge = data.get("bridge") or {}
if bridge:
    if not bridge.get("host"):
        fail("[bridge] needs host, the community broker's address.")
    for value in (*bridge.values(), *bridge.get("topics", [])):
        if isinstance(value, str) and re.search(r"[\s#]", value.replace("/#", "")):
            fail(f"[bridge] {value!r} may not contain spaces or '#' (except a trailing '/#' in topics).")
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
    (work / "bridge.conf").write_text("\n".join(lines) + "\n")

# The broker password may be given as [mqtt] password: it goes to a file of
# its own, which only the agent reads (the web role cannot see secrets/).
password = (data.get("mqtt") or {}).get("password")
if password is not None and not isinstance(password, str):
    fail(f"[mqtt] password must be text in quotes, got {password!r}.")

# Cut the extra tables out of the text: from their header to the next header.
kept, section = [], ""
for line in text.splitlines(keepends=True):
    header = re.match(r"\s*\[\[?\s*([A-Za-z0-9_.-]+)", line)
    if header:
        section = header.group(1)
    if section in EXTRA:
        continue
    if section == "mqtt" and password is not None:
        if re.match(r"\s*password(_file)?\s*=", line):
            continue
        if header:
            line += f'password_file = "{sys.argv[3]}"\n'
            (work / "mqtt-password").write_text(password)
    kept.append(line)
(work / "doorstep.toml").write_text("".join(kept))
PY
    if [[ -s "$work/error" ]]; then
        fail "$(cat "$work/error")"
    fi
    fail "it could not be read ($(tail -n 1 "$work/split.err"))."
fi

if ! "$venv/bin/doorstep" check-config --config "$work/doorstep.toml" >"$work/check.out" 2>&1; then
    reason=$(tail -n 1 "$work/check.out")
    reason=${reason#doorstep: }
    fail "${reason//"$work/"/}."
fi

if [[ -s "$work/bridge.conf" && ! -d "$mosquitto_dir" ]]; then
    fail "it has [bridge] settings, but this image has no local Mosquitto (install.sh --with-mosquitto-bridge)."
fi

if [[ -s "$work/wifi/ssid" ]]; then
    if ! command -v "$nmcli" >/dev/null; then
        fail "it has [wifi] settings, but NetworkManager (nmcli) is not installed."
    fi
    ssid=$(cat "$work/wifi/ssid")
    if [[ -s "$work/wifi/country" ]]; then
        country=$(tr '[:lower:]' '[:upper:]' <"$work/wifi/country")
        if command -v raspi-config >/dev/null; then
            # Also lifts the rfkill block Raspberry Pi OS keeps until a country is set.
            raspi-config nonint do_wifi_country "$country" || fail "the Wi-Fi country '$country' was refused."
        elif command -v iw >/dev/null; then
            iw reg set "$country" || fail "the Wi-Fi country '$country' was refused."
        fi
    fi
    nm_args=(connection add type wifi con-name doorstep-wifi ssid "$ssid" connection.autoconnect yes)
    if [[ -s "$work/wifi/password" ]]; then
        nm_args+=(wifi-sec.key-mgmt wpa-psk wifi-sec.psk "$(cat "$work/wifi/password")")
    fi
    if [[ "$(cat "$work/wifi/hidden" 2>/dev/null)" == yes ]]; then
        nm_args+=(802-11-wireless.hidden yes)
    fi
    "$nmcli" connection delete doorstep-wifi >/dev/null 2>&1 || true
    if ! "$nmcli" "${nm_args[@]}" >"$work/nmcli.out" 2>&1; then
        fail "NetworkManager refused the Wi-Fi network '$ssid' ($(tail -n 1 "$work/nmcli.out"))."
    fi
    echo "doorstep-firstboot: Wi-Fi network '$ssid' set up"
fi

if [[ -s "$work/bridge.conf" ]]; then
    install -m 0640 "$work/bridge.conf" "$mosquitto_dir/doorstep-bridge.conf"
    if getent group mosquitto >/dev/null; then
        chgrp mosquitto "$mosquitto_dir/doorstep-bridge.conf"
    fi
    echo "doorstep-firstboot: Mosquitto bridge written"
fi

mkdir -p "$config_dir"
if [[ -f "$work/mqtt-password" ]]; then
    install -d -m 0750 "$config_dir/secrets"
    give_to_doorstep "$config_dir/secrets"
    install -m 0640 "$work/mqtt-password" "$password_file"
    give_to_doorstep "$password_file"
fi
if [[ -f "$config_dir/config.toml" ]]; then
    cp -p "$config_dir/config.toml" "$config_dir/config.toml.before-$(date -u +%Y%m%dT%H%M%SZ)"
fi
install -m 0640 "$work/doorstep.toml" "$config_dir/config.toml.new"
give_to_doorstep "$config_dir/config.toml.new"
mv -f "$config_dir/config.toml.new" "$config_dir/config.toml"
# The original held passwords in plain text on a FAT partition: remove it.
rm -f "$source_file" "$error_file"
sync
echo "doorstep-firstboot: settings applied to $config_dir/config.toml"
