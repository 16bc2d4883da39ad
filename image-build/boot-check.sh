#!/bin/bash
# Test-only: boot-arm64.sh (`make image-boot`) installs this into the copy of
# the image it boots, never into a real one, as doorstep-boot-check.service.
# It waits for the boot to finish and writes what it finds to the serial
# console, one `DOORSTEP-BOOT <key> <value>` line each, for the host to judge:
# the system state and failed units, the Doorstep units' states, what
# doorstep-firstboot applied, the watchdog pings of both roles, a SIGKILL of the
# agent followed by systemd's restart, and the kiosk watch bringing back a page
# whose renderer was killed.
set -uo pipefail

console=${DOORSTEP_BOOT_CONSOLE:-/dev/ttyAMA0}
exec >"$console" 2>&1

say() { printf 'DOORSTEP-BOOT %s\n' "$*"; }
# One line of the properties named, as Key=Value pairs.
props() {
    local unit="$1"
    shift
    systemctl show "$unit" "${@/#/--property=}" | paste -sd ' '
}
value() { systemctl show "$1" --property="$2" --value; }
roles=(doorstep-agent.service doorstep-web.service)
units=(doorstep-firstboot.service "${roles[@]}" doorstep-kiosk.service doorstep-kiosk-watch.timer mosquitto.service systemd-networkd.service)

say "check started $(cut -d' ' -f1 /proc/uptime)"
state=$(systemctl is-system-running --wait)
say "system $state $(cut -d' ' -f1 /proc/uptime)"
# The kiosk (cage, Chromium) may draw long after the boot: its log, live, to the end.
# pam_systemd moves cage into the kiosk's session scope, so cage's and Chromium's own
# lines are under the kiosk user's uid, not the unit.
kiosk_uid=$(id -u kiosk 2>/dev/null || echo 65534)
journalctl -b -f -o short-monotonic \
    _SYSTEMD_UNIT=doorstep-kiosk.service + UNIT=doorstep-kiosk.service + "_UID=$kiosk_uid" |
    sed -u 's/^\(.\{300\}\).*/\1/; s/^/DOORSTEP-BOOT kiosk-log /' &
systemctl list-units --failed --no-legend --plain --full | while read -r line; do
    say "failed $line"
done
systemd-analyze time 2>/dev/null | head -n 1 | sed 's/^/DOORSTEP-BOOT analyze /'
for unit in "${units[@]}"; do
    say "unit $unit $(props "$unit" Type ActiveState SubState Result NRestarts ExecMainStatus StatusText)"
done

# What doorstep-firstboot did with doorstep.toml from the boot partition.
say "bootfs $(findmnt -n -o SOURCE,FSTYPE /boot/firmware | tr -s ' ' ',')"
if [[ -e /boot/firmware/doorstep.toml ]]; then
    say "doorstep.toml still-there"
else
    say "doorstep.toml removed"
fi
if [[ -e /var/lib/doorstep/firstboot-error.txt ]]; then
    say "firstboot-error $(head -c 400 /var/lib/doorstep/firstboot-error.txt | tr '\n' ' ')"
fi
/opt/doorstep/venv/bin/python - <<'PY' | sed 's/^/DOORSTEP-BOOT config /'
import tomllib
c = tomllib.load(open("/etc/doorstep/config.toml", "rb"))
print(f"site.id={c['site']['id']}")
print(f"mqtt.host={c['mqtt']['host']} mqtt.port={c['mqtt']['port']}")
print("doors=" + ",".join(d["id"] for d in c.get("doors", [])))
print(f"hardware.simulate={c.get('hardware', {}).get('simulate')}")
PY

# Both roles keep pinging the watchdog: the last ping moves on, nothing restarts.
declare -A first
for unit in "${roles[@]}"; do
    first[$unit]=$(value "$unit" WatchdogTimestampMonotonic)
done
sleep 40
for unit in "${roles[@]}"; do
    say "watchdog $unit before=${first[$unit]} after=$(value "$unit" WatchdogTimestampMonotonic) $(props "$unit" WatchdogUSec ActiveState SubState NRestarts)"
done

# SIGKILL the agent: systemd must start it again (Restart=on-failure).
pid=$(value doorstep-agent.service MainPID)
restarts=$(value doorstep-agent.service NRestarts)
say "kill doorstep-agent.service pid=$pid restarts=$restarts $(cut -d' ' -f1 /proc/uptime)"
systemctl kill --signal=SIGKILL doorstep-agent.service
for _ in $(seq 1 120); do
    sleep 2
    now=$(value doorstep-agent.service MainPID)
    if [[ $now != 0 && $now != "$pid" && $(value doorstep-agent.service SubState) == running ]]; then
        break
    fi
done
say "restarted doorstep-agent.service $(props doorstep-agent.service MainPID NRestarts ActiveState SubState) $(cut -d' ' -f1 /proc/uptime)"

# The kiosk watch: a crashed page comes back. Wait for the kiosk page to hold its live
# stream (/healthz: kiosk_screen_seconds 0), kill Chromium's renderers (the "Aw, Snap!"
# page, which holds no stream), and wait for doorstep-kiosk-watch to restart the kiosk
# unit and the page to come back.
screen() {
    /opt/doorstep/venv/bin/python -I -c '
import json, urllib.request
try:
    print(json.load(urllib.request.urlopen("http://127.0.0.1:8080/healthz", timeout=5))["kiosk_screen_seconds"])
except Exception as exc:
    print("unanswered", type(exc).__name__)'
}
waited=0
until [[ $(screen) == 0.0 ]] || ((waited >= 400)); do
    sleep 5
    waited=$((waited + 5))
done
say "screen-up after=${waited} $(props doorstep-kiosk.service InvocationID NRestarts ActiveState) screen=$(screen) $(cut -d' ' -f1 /proc/uptime)"
invocation=$(value doorstep-kiosk.service InvocationID)
renderers=$(pgrep -u kiosk -f -- '--type=renderer' | paste -sd ',')
say "kiosk-crash renderers=${renderers:-none} $(cut -d' ' -f1 /proc/uptime)"
pkill -KILL -u kiosk -f -- '--type=renderer'
waited=0
while ((waited < 400)); do
    sleep 5
    waited=$((waited + 5))
    if [[ $(value doorstep-kiosk.service InvocationID) != "$invocation" && $(screen) == 0.0 ]]; then
        break
    fi
done
recovered=no
[[ $(value doorstep-kiosk.service InvocationID) != "$invocation" && $(screen) == 0.0 ]] && recovered=yes
say "kiosk-recovered $recovered after=${waited} $(props doorstep-kiosk.service ActiveState SubState) screen=$(screen) $(cut -d' ' -f1 /proc/uptime)"
journalctl -b -u doorstep-kiosk-watch.service --no-pager -o short-monotonic | grep -a 'restarting' | cut -c 1-300 |
    sed 's/^/DOORSTEP-BOOT watch /'

# The kiosk's login session (cage gets the screen through logind).
loginctl list-sessions --no-legend | sed 's/^/DOORSTEP-BOOT session /'
for session in $(loginctl list-sessions --no-legend | awk '$3 == "kiosk" {print $1}'); do
    say "kiosk-session $(loginctl show-session "$session" -p Type -p Class -p Seat -p VTNr -p Active -p State | paste -sd ' ')"
done

if [[ $state != running ]]; then
    journalctl -b -p warning --no-pager -o short-monotonic | tail -n 60 | sed 's/^/DOORSTEP-BOOT journal /'
fi
for unit in "${units[@]}"; do
    journalctl -b -u "$unit" --no-pager -o short-monotonic | tail -n 20 | cut -c 1-300 | sed "s/^/DOORSTEP-BOOT log $unit /"
done
say "done $(cut -d' ' -f1 /proc/uptime)"
# Keep streaming the kiosk's log until the host stops the machine.
wait
