#!/bin/bash
# Apply doorstep.toml from the boot partition (doorstep-firstboot.service).
#
# A volunteer writes doorstep.toml on a laptop: any Doorstep settings (the
# same keys as /etc/doorstep/config.toml) plus two optional tables that are not
# Doorstep settings and are taken out here:
#   [wifi]    ssid, password, country, hidden   -> NetworkManager (nmcli)
#   [bridge]  host, port, username, password, tls, topics
#                                               -> the local Mosquitto's bridge
# [mqtt] password is moved to /etc/doorstep/secrets/mqtt-password (read by
# the agent only) and replaced by password_file. The settings are merged over
# the config in use (a file with only [wifi] changes no setting), the result is
# checked, and only then moved to /etc/doorstep/config.toml (the old one kept
# as config.toml.before-<time>). On any error nothing more is applied,
# doorstep.toml stays where it is, and the reason, in words that name the key
# and never the value, goes to /var/lib/doorstep/firstboot-error.txt for the
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

# Split doorstep.toml and merge its settings over the config in use
# (doorstep/bootfile.py): keys it names change, keys it does not name keep their
# values, comments survive, and the result is checked with the roles' own rules
# before anything below replaces anything. Its errors name the key, never the
# value (the kiosk shows them to anyone, and a value may be a password).
if ! "$venv/bin/python" -m doorstep.bootfile "$source_file" "$work" "$password_file" \
        "$config_dir/config.toml" >"$work/split.err" 2>&1; then
    if [[ -s "$work/error" ]]; then
        fail "$(cat "$work/error")"
    fi
    # Not its own words: something unexpected. Its output may quote the file, so it
    # goes to neither the kiosk nor the journal.
    fail "it could not be read (an unexpected error; run 'doorstep check-config' on a copy to see more)."
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
        fail "NetworkManager refused the Wi-Fi settings for the network '$ssid' (check [wifi] ssid, password and country)."
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
