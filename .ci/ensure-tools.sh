#!/usr/bin/env bash
# Install the system programs the tests drive for real (Mosquitto, Chromium, shellcheck),
# with apt-get when they are missing and we are root; otherwise say exactly what to run.
set -euo pipefail

need=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto mosquitto-clients)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)

if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "missing: ${need[*]}" >&2
    echo "run: sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
    exit 1
fi
echo "installing ${need[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3; do
    if apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; then
        exit 0
    fi
    echo "apt-get failed (attempt $attempt); retrying" >&2
    sleep $((attempt * 5))
done
echo "could not install: ${need[*]}" >&2
exit 1
