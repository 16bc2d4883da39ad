#!/bin/bash
# Install Doorstep into a root filesystem: the one script every image builder
# calls (rpi-image-gen layer, pi-gen stage, image-build/check-arm64.sh), and
# the one a volunteer runs on a live Pi to update.
#
#   install.sh [--root DIR] [--wheel PATH] [--with-mosquitto-bridge]
#
# --root DIR   the root filesystem to install into (default /). Commands that
#              must run as the target (apt-get, python3, useradd) run through
#              chroot; /proc, /sys and /dev are mounted there if they are not
#              already, and unmounted again on exit. A foreign architecture
#              needs qemu-user-static registered with binfmt on the host.
# --wheel PATH the doorstep wheel, or a directory holding it (default: the
#              newest dist/doorstep-*.whl of this checkout). Build one with:
#                python3 -m pip wheel --no-deps -w dist .
# --with-mosquitto-bridge
#              also install Mosquitto, listening on 127.0.0.1 only, ready to
#              bridge to the community's broker from [bridge] in doorstep.toml.
#
# It is idempotent: running it again (say, with a newer wheel) converges on
# the same result and keeps /etc/doorstep/config.toml and the database.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$script_dir")

root=/
wheel=
with_bridge=no

usage() {
    sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"
}

while (($#)); do
    case "$1" in
    --root)
        root=${2:?--root needs a directory}
        shift 2
        ;;
    --root=*)
        root=${1#--root=}
        shift
        ;;
    --wheel)
        wheel=${2:?--wheel needs a path}
        shift 2
        ;;
    --wheel=*)
        wheel=${1#--wheel=}
        shift
        ;;
    --with-mosquitto-bridge)
        with_bridge=yes
        shift
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        echo "install.sh: unknown argument '$1' (see --help)" >&2
        exit 2
        ;;
    esac
done

say() { printf 'install.sh: %s\n' "$*"; }
die() {
    printf 'install.sh: error: %s\n' "$*" >&2
    exit 1
}

[[ $(id -u) -eq 0 ]] || die "run as root (it creates users and writes under $root)"
[[ -d "$root" ]] || die "--root $root is not a directory"
root=$(cd "$root" && pwd)
# $R prefixes paths written from this side; "" when installing into /.
R=${root%/}

# A directory means the newest doorstep wheel in it.
wheel_dir=${wheel:-$repo_dir/dist}
if [[ -d "$wheel_dir" ]]; then
    wheel=$(find "$wheel_dir" -maxdepth 1 -name 'doorstep-*.whl' -print | sort -V | tail -n 1)
    [[ -n "$wheel" ]] || die "no doorstep-*.whl in $wheel_dir: pass --wheel PATH (build one with: python3 -m pip wheel --no-deps -w dist .)"
fi
[[ -f "$wheel" ]] || die "wheel $wheel does not exist"

skipped=()
mounted=()
staging=

cleanup() {
    local i
    if [[ -n "$staging" ]]; then
        rm -rf "$staging"
    fi
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        umount -R "${mounted[i]}" 2>/dev/null || umount -R -l "${mounted[i]}" ||
            echo "install.sh: could not unmount ${mounted[i]}" >&2
    done
}
trap cleanup EXIT

in_root() {
    if [[ -z "$R" ]]; then
        "$@"
    else
        chroot "$root" "$@"
    fi
}

mount_api_filesystems() {
    [[ -n "$R" ]] || return 0
    if ! mountpoint -q "$R/proc"; then
        mount -t proc proc "$R/proc" && mounted+=("$R/proc")
    fi
    if ! mountpoint -q "$R/sys"; then
        mount -t sysfs sysfs "$R/sys" && mounted+=("$R/sys")
    fi
    if ! mountpoint -q "$R/dev"; then
        # rslave: nothing mounted or unmounted under it reaches the host's /dev.
        mount --rbind /dev "$R/dev" && mount --make-rslave "$R/dev" && mounted+=("$R/dev")
    fi
}

have_candidate() {
    local candidate
    candidate=$(in_root apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
    [[ -n "$candidate" && "$candidate" != "(none)" ]]
}

install_packages() {
    # polkitd: logind lets the kiosk's session take the screen (libseat's Activate) only
    # when polkit says yes. xwayland: Debian's cage exits without /usr/bin/Xwayland.
    # Both are missing with --no-install-recommends; found by booting the image (boot-arm64.sh).
    local wanted=(python3 python3-venv systemd libpam-systemd dbus polkitd sqlite3 ca-certificates cage xwayland chromium)
    if [[ $with_bridge == yes ]]; then
        wanted+=(mosquitto)
    fi
    say "updating the package lists"
    in_root env DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Retries=5 update -qq
    # Packages published only in the Raspberry Pi archive: wanted on a Pi,
    # reported as skipped on plain Debian (as in the arm64 check).
    local pi_only pi_only_packages=(python3-lgpio)
    for pi_only in "${pi_only_packages[@]}"; do
        if have_candidate "$pi_only"; then
            wanted+=("$pi_only")
        else
            skipped+=("$pi_only (only in the Raspberry Pi archive, which this root's apt sources do not reach)")
        fi
    done
    local dpkg_options=(-o Dpkg::Options::=--force-confold)
    if [[ -n "$R" ]]; then
        # An image being built is not running: skip dpkg's fsyncs, as
        # mmdebstrap does; much faster under qemu. Never on a live system.
        dpkg_options+=(-o Dpkg::Options::=--force-unsafe-io)
    fi
    say "installing ${wanted[*]}"
    in_root env DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Retries=5 "${dpkg_options[@]}" \
        install -y -qq --no-install-recommends "${wanted[@]}"
}

ensure_group() {
    if ! in_root getent group "$1" >/dev/null; then
        in_root groupadd --system "$1"
        say "created group $1"
    fi
}

ensure_user() {
    local name="$1" home="$2" groups="$3"
    if ! in_root getent passwd "$name" >/dev/null; then
        in_root useradd --system --user-group --home-dir "$home" --no-create-home \
            --shell /usr/sbin/nologin --comment "Doorstep $name" "$name"
        say "created user $name"
    fi
    if [[ -n "$groups" ]]; then
        in_root usermod --append --groups "$groups" "$name"
    fi
}

create_users() {
    ensure_group gpio
    ensure_group dialout
    ensure_user doorstep /var/lib/doorstep gpio,dialout
    # cage needs the GPU and the touchscreen; the groups exist on Raspberry Pi OS.
    local kiosk_groups=() group
    for group in video render input; do
        if in_root getent group "$group" >/dev/null; then
            kiosk_groups+=("$group")
        fi
    done
    ensure_user kiosk /nonexistent "$(
        IFS=,
        echo "${kiosk_groups[*]}"
    )"
}

install_venv() {
    local venv=/opt/doorstep/venv wheel_name
    wheel_name=$(basename "$wheel")
    install -d -m 0755 "$R/opt/doorstep" "$R/opt/doorstep/libexec" "$R/opt/doorstep/docs"
    if [[ ! -x "$R$venv/bin/python" ]]; then
        # System site-packages so that python3-lgpio from apt is importable.
        in_root python3 -m venv --system-site-packages "$venv"
        say "created $venv"
    fi
    staging=$(mktemp -d "$R/var/tmp/doorstep-install.XXXXXX")
    cp "$wheel" "$staging/$wheel_name"
    local inside=${staging#"$R"}/$wheel_name
    # Dependencies first, then exactly this wheel even if its version is unchanged.
    in_root env PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore \
        "$venv/bin/python" -m pip install --quiet --no-cache-dir --retries 5 "$inside"
    in_root env PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore \
        "$venv/bin/python" -m pip install --quiet --no-cache-dir --no-deps --force-reinstall "$inside"
    rm -rf "$staging"
    staging=
    say "installed $wheel_name into $venv ($(in_root "$venv/bin/doorstep" --version))"
}

install_config_and_state() {
    install -d -m 0750 "$R/etc/doorstep"
    in_root chgrp doorstep /etc/doorstep
    if [[ ! -e "$R/etc/doorstep/config.toml" ]]; then
        in_root /opt/doorstep/venv/bin/doorstep init-config /etc/doorstep/config.toml
        say "wrote a default /etc/doorstep/config.toml"
    else
        say "kept the existing /etc/doorstep/config.toml"
    fi
    chmod 0640 "$R/etc/doorstep/config.toml"
    in_root chgrp doorstep /etc/doorstep/config.toml
    install -d -m 0750 "$R/var/lib/doorstep"
    in_root chown doorstep:doorstep /var/lib/doorstep
    # The web role's key files (session signing key, HTTPS certificate): a 0700 folder
    # the agent's unit cannot see. Made here on a live Pi; never baked into an image,
    # which many Pis share: there the web role makes its own on first start.
    install -d -m 0700 "$R/var/lib/doorstep/web-secrets"
    in_root chown doorstep:doorstep /var/lib/doorstep/web-secrets
    if [[ -z "$R" ]]; then
        runuser -u doorstep -- /opt/doorstep/venv/bin/doorstep web-keys --config /etc/doorstep/config.toml
    fi
}

install_files() {
    local unit
    for unit in doorstep-agent.service doorstep-web.service doorstep-kiosk.service doorstep-firstboot.service \
        doorstep-kiosk-watch.service doorstep-kiosk-watch.timer; do
        install -m 0644 "$repo_dir/systemd/$unit" "$R/etc/systemd/system/$unit"
    done
    install -d -m 0755 "$R/etc/systemd/system.conf.d"
    install -m 0644 "$repo_dir/systemd/watchdog.conf" "$R/etc/systemd/system.conf.d/doorstep-watchdog.conf"
    install -m 0755 "$script_dir/firstboot.sh" "$R/opt/doorstep/libexec/firstboot.sh"
    # The screen while the web role starts (doorstep-kiosk.service opens it).
    install -d -m 0755 "$R/opt/doorstep/share"
    install -m 0644 "$script_dir/kiosk-starting.html" "$R/opt/doorstep/share/kiosk-starting.html"
    if [[ -f "$repo_dir/docs/INSTALL.md" ]]; then
        install -m 0644 "$repo_dir/docs/INSTALL.md" "$R/opt/doorstep/docs/INSTALL.md"
    fi

    # The kiosk's login session on tty1, as cage's documentation sets it up.
    install -d -m 0755 "$R/etc/pam.d"
    cat >"$R/etc/pam.d/doorstep-kiosk" <<'PAM'
# Written by Doorstep's install.sh for doorstep-kiosk.service (cage on tty1).
auth     required pam_unix.so nullok
account  required pam_unix.so
session  required pam_unix.so
session  required pam_systemd.so
PAM

    # Raspberry Pi OS already gives gpiochips to the gpio group; plain Debian does not.
    install -d -m 0755 "$R/etc/udev/rules.d"
    cat >"$R/etc/udev/rules.d/60-doorstep-gpio.rules" <<'UDEV'
# Written by Doorstep's install.sh: the agent reaches GPIO through the gpio group.
SUBSYSTEM=="gpio", KERNEL=="gpiochip*", GROUP="gpio", MODE="0660"
UDEV

    if [[ $with_bridge == yes ]]; then
        install -d -m 0755 "$R/etc/mosquitto/conf.d"
        cat >"$R/etc/mosquitto/conf.d/doorstep.conf" <<'MQTT'
# Written by Doorstep's install.sh: a broker for this Pi alone. The agent
# publishes here; doorstep-bridge.conf (written on first boot from [bridge] in
# doorstep.toml) forwards to the community's broker, queueing while it is away.
listener 1883 127.0.0.1
allow_anonymous true
max_queued_messages 100000
MQTT
    fi
}

enable_units() {
    local units=(doorstep-agent.service doorstep-web.service doorstep-kiosk.service doorstep-firstboot.service)
    local masked=(serial-getty@ttyS0.service serial-getty@ttyAMA0.service)
    if [[ $with_bridge == yes ]]; then
        units+=(mosquitto.service)
    fi
    if command -v systemctl >/dev/null; then
        # --root works offline, so also from a host into a foreign-arch root.
        systemctl --root="$root" --quiet enable "${units[@]}"
        systemctl --root="$root" --quiet mask "${masked[@]}"
    else
        # No systemctl on this side: the symlinks `enable` and `mask` would make.
        local unit
        install -d -m 0755 "$R/etc/systemd/system/multi-user.target.wants"
        for unit in "${units[@]}"; do
            [[ $unit == mosquitto.service ]] && continue
            ln -sfn "/etc/systemd/system/$unit" "$R/etc/systemd/system/multi-user.target.wants/$unit"
        done
        if [[ $with_bridge == yes ]]; then
            ln -sfn /lib/systemd/system/mosquitto.service "$R/etc/systemd/system/multi-user.target.wants/mosquitto.service"
        fi
        for unit in "${masked[@]}"; do
            ln -sfn /dev/null "$R/etc/systemd/system/$unit"
        done
    fi
    say "enabled ${units[*]}; masked the serial login prompts"
}

configure_boot() {
    local boot=
    if [[ -f "$R/boot/firmware/config.txt" ]]; then
        boot="$R/boot/firmware"
    elif [[ -f "$R/boot/config.txt" ]]; then
        boot="$R/boot"
    else
        skipped+=("serial console and UART settings (no /boot/firmware/config.txt: not a Raspberry Pi root)")
        return 0
    fi
    # UART on, for the fob reader. Appended under [all] so that it does not
    # land in whatever conditional section ends the file.
    if ! grep -qx 'enable_uart=1' "$boot/config.txt"; then
        sed -i '/^enable_uart=/d' "$boot/config.txt"
        printf '\n[all]\n# Doorstep: the UART is for the fob reader\nenable_uart=1\n' >>"$boot/config.txt"
    fi
    # Serial console off (the port is the fob reader's), console blanking off
    # (the kiosk screen stays on). cmdline.txt must stay one line.
    if [[ -f "$boot/cmdline.txt" ]]; then
        local line
        line=$(head -n 1 "$boot/cmdline.txt")
        line=$(sed -E 's/(^| )console=(serial[0-9]|ttyAMA[0-9]|ttyS[0-9])(,[0-9a-z]+)?( |$)/\1/g; s/  +/ /g; s/ $//' <<<"$line")
        if [[ " $line " != *" consoleblank=0 "* ]]; then
            line="$line consoleblank=0"
        fi
        printf '%s\n' "$line" >"$boot/cmdline.txt"
    else
        skipped+=("cmdline.txt (not found beside config.txt)")
    fi
    say "UART on, serial console off, console blanking off in ${boot#"$R"}"
}

reload_if_live() {
    # Only on a running system installed in place (an update), never in a chroot.
    if [[ -z "$R" && -d /run/systemd/system ]] && ! systemd-detect-virt --quiet --chroot; then
        systemctl daemon-reload
        systemctl try-restart doorstep-agent.service doorstep-web.service
        say "reloaded systemd and restarted the running roles"
    fi
}

mount_api_filesystems
install_packages
create_users
install_venv
install_config_and_state
install_files
enable_units
configure_boot
reload_if_live

for item in "${skipped[@]}"; do
    say "skipped: $item"
done
say "done: Doorstep is installed in $root"
