#!/bin/bash
# The arm64 check (`make image-check`): build a Debian bookworm arm64 root
# with debootstrap, run install.sh inside it under qemu-user-static, then
# check from inside that root that Doorstep really works there:
#   doorstep --version, doorstep init-config, a fresh database migrated,
#   systemd-analyze verify of the installed units (and their security scores).
# Packages found only in the Raspberry Pi archive are reported as skipped.
# It fails loudly when it cannot run (no root, no binfmt, no mirror).
#
#   check-arm64.sh [--wheel PATH] [--keep] [--root-dir DIR]
#
# --wheel PATH    test this wheel instead of building one from this checkout
# --keep          leave the root in place (its path is printed) for a look
# --root-dir DIR  build the root at DIR (new or empty) and leave it there,
#                 nothing mounted in it, once the checks pass: boot-arm64.sh
#                 (`make image-boot`) boots that same root
#
# The Debian mirror is the one this machine's own apt sources use; none is
# written here. Needs root, and the right to mount and to register binfmt.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$script_dir")
suite=bookworm
arch=arm64
wheel=
keep=no
root_dir=

while (($#)); do
    case "$1" in
    --wheel)
        wheel=${2:?--wheel needs a path}
        shift 2
        ;;
    --keep)
        keep=yes
        shift
        ;;
    --root-dir)
        root_dir=${2:?--root-dir needs a directory}
        shift 2
        ;;
    *)
        echo "check-arm64.sh: unknown argument '$1'" >&2
        exit 2
        ;;
    esac
done

started=$SECONDS
say() { printf 'check-arm64: %s\n' "$*"; }
die() {
    printf 'check-arm64: FAILED: %s\n' "$*" >&2
    exit 1
}

# shellcheck source=image-build/common.sh
source "$script_dir/common.sh"

[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, mount, chroot)"

# --- tools ------------------------------------------------------------------
missing=()
command -v debootstrap >/dev/null || missing+=(debootstrap)
[[ -x /usr/bin/qemu-aarch64-static ]] || missing+=(qemu-user-static)
command -v update-binfmts >/dev/null || missing+=(binfmt-support)
install_missing "${missing[@]}"

# --- binfmt: run arm64 binaries through qemu-aarch64-static -------------------
binfmt=/proc/sys/fs/binfmt_misc
if [[ ! -e $binfmt/register ]]; then
    mount -t binfmt_misc binfmt_misc "$binfmt" || die "cannot mount $binfmt (is this container allowed to?)"
fi
if [[ ! -e $binfmt/qemu-aarch64 ]]; then
    update-binfmts --enable qemu-aarch64 2>/dev/null || true
fi
if [[ ! -e $binfmt/qemu-aarch64 ]]; then
    # The registration qemu-user-static ships, written by hand; F opens the
    # interpreter now, so it works inside the chroot without a copy there.
    magic='\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
    mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
    printf ':qemu-aarch64:M::%s:%s:/usr/bin/qemu-aarch64-static:F' "$magic" "$mask" >"$binfmt/register" ||
        die "cannot register qemu-aarch64 with binfmt_misc"
fi
grep -qx enabled "$binfmt/qemu-aarch64" || die "qemu-aarch64 is registered but disabled in $binfmt"
say "binfmt: qemu-aarch64 registered ($(sed -n 's/^flags: //p' "$binfmt/qemu-aarch64"))"

# --- the mirror this machine uses ----------------------------------------------
find_mirror() {
    local file
    # deb822 .sources: the first URIs of a stanza whose Suites name the suite.
    for file in /etc/apt/sources.list.d/*.sources; do
        [[ -f $file ]] || continue
        awk -v suite="$suite" '
            /^[[:space:]]*$/ { if (uris != "" && suites) { print uris; exit } uris = ""; suites = 0; next }
            /^URIs:/ { uris = $2 }
            /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) suites = 1 }
            END { if (uris != "" && suites) print uris }
        ' "$file" | head -n 1
    done
    # one-line sources.list format
    for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f $file ]] || continue
        awk -v suite="$suite" '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i ~ /:\/\//) { if ($(i + 1) == suite) print $i; break } }' "$file"
    done
}
mirror=$(find_mirror | head -n 1)
[[ -n "$mirror" ]] || die "found no '$suite' mirror in this machine's apt sources (/etc/apt/sources.list*)"
say "mirror: the one in this machine's apt sources"

# --- the root ---------------------------------------------------------------
work=$(mktemp -d /var/tmp/doorstep-arm64.XXXXXX)
target="$work/root"
if [[ -n $root_dir ]]; then
    # Someone else's directory: never empty one that holds anything.
    if [[ -e $root_dir ]] && [[ -n $(find "$root_dir" -mindepth 1 -maxdepth 1 -print -quit) ]]; then
        rmdir "$work"
        die "--root-dir $root_dir is not empty"
    fi
    mkdir -p "$root_dir"
    target=$(cd "$root_dir" && pwd)
fi
mounted=()
cleanup() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        umount -R "${mounted[i]}" 2>/dev/null || umount -R -l "${mounted[i]}" || true
    done
    if [[ -n $root_dir ]]; then
        rm -rf "$work"
    elif [[ $keep == yes ]]; then
        say "kept the root at $target"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

bootstrap() {
    rm -rf "$target"
    mkdir -p "$target"
    debootstrap --arch="$arch" --variant=minbase --include=ca-certificates \
        "$suite" "$target" "$mirror" >"$work/debootstrap.log" 2>&1 ||
        { tail -n 20 "$work/debootstrap.log" >&2; return 1; }
}
say "debootstrap $suite $arch (minbase)"
retry bootstrap || die "debootstrap failed three times (log above)"
[[ $(chroot "$target" dpkg --print-architecture) == "$arch" ]] || die "the root does not run as $arch"
say "root ready after $((SECONDS - started)) s: $(chroot "$target" uname -m) under qemu"

cp -L /etc/resolv.conf "$target/etc/resolv.conf"
# Trust what this machine trusts (a site's own CA for its TLS proxy, say), so
# that pip inside the root reaches the package index as it does out here.
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$target/usr/local/share/ca-certificates/"
    chroot "$target" update-ca-certificates >/dev/null 2>&1 || die "update-ca-certificates failed in the root"
fi
mount -t proc proc "$target/proc" && mounted+=("$target/proc")
mount -t sysfs sysfs "$target/sys" && mounted+=("$target/sys")
mount --rbind /dev "$target/dev" && mount --make-rslave "$target/dev" && mounted+=("$target/dev")

# --- install --------------------------------------------------------------------
if [[ -z $wheel ]]; then
    python3 -m pip wheel --quiet --no-deps -w "$work/dist" "$repo_dir" >/dev/null ||
        die "could not build the wheel from $repo_dir"
    wheel=$(find "$work/dist" -name 'doorstep-*.whl' | head -n 1)
fi
[[ -f $wheel ]] || die "no wheel at '$wheel'"
# A fake boot partition, so the serial console and UART edits are checked too.
mkdir -p "$target/boot/firmware"
printf '[pi4]\narm_boost=1\n' >"$target/boot/firmware/config.txt"
printf 'console=serial0,115200 console=tty1 root=PARTUUID=x rootfstype=ext4 fsck.repair=yes rootwait\n' \
    >"$target/boot/firmware/cmdline.txt"

# apt-get and pip retry their own downloads (Acquire::Retries, --retries).
run_install() {
    local log="$1"
    if ! "$script_dir/install.sh" --root "$target" --wheel "$wheel" --with-mosquitto-bridge >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        return 1
    fi
    grep '^install.sh: ' "$log" | sed 's/^/  /'
}
say "install.sh --root ... --with-mosquitto-bridge"
run_install "$work/install.log" || die "install.sh failed (its last lines are above)"
say "install.sh done after $((SECONDS - started)) s; once more, as it must be idempotent"
run_install "$work/install-again.log" >/dev/null || die "install.sh failed when run a second time"
say "second install.sh done after $((SECONDS - started)) s"

# --- checks inside the arm64 root -------------------------------------------
verified=()
inside() { chroot "$target" "$@"; }
doorstep=/opt/doorstep/venv/bin/doorstep

version=$(inside "$doorstep" --version) || die "doorstep --version failed inside the root"
verified+=("doorstep --version: $version")

inside "$doorstep" init-config /tmp/x.toml >/dev/null || die "doorstep init-config failed"
[[ -s $target/tmp/x.toml ]] || die "doorstep init-config wrote nothing"
inside "$doorstep" check-config --config /tmp/x.toml >/dev/null || die "the config init-config wrote does not pass check-config"
verified+=("doorstep init-config /tmp/x.toml, and check-config accepts it")

# A fresh database: point [database] path of that config at a new file.
inside /opt/doorstep/venv/bin/python - <<'PY' || die "could not point /tmp/x.toml at a fresh database"
import pathlib, re, tomllib
path = pathlib.Path("/tmp/x.toml")
text = path.read_text()
if "path" in tomllib.loads(text).get("database", {}):
    text = re.sub(r'(?ms)^(\[database\].*?^\s*path\s*=\s*)("[^"]*"|\'[^\']*\')', r'\1"/tmp/fresh.db"', text, count=1)
else:
    text += '\n[database]\npath = "/tmp/fresh.db"\n'
path.write_text(text)
assert tomllib.loads(text)["database"]["path"] == "/tmp/fresh.db", "the [database] path edit did not take"
PY
migrated=$(inside "$doorstep" migrate --config /tmp/x.toml) || die "doorstep migrate failed on a fresh database"
tables=$(inside sqlite3 /tmp/fresh.db "SELECT count(*) FROM sqlite_master WHERE type = 'table'") ||
    die "the migrated database cannot be read"
((tables > 0)) || die "doorstep migrate created no tables"
verified+=("doorstep migrate --config: $migrated; $tables tables, readable by sqlite3")

units=(doorstep-agent.service doorstep-web.service doorstep-kiosk.service doorstep-firstboot.service)
watch_units=(doorstep-kiosk-watch.service doorstep-kiosk-watch.timer)
unit_paths=()
for unit in "${units[@]}" "${watch_units[@]}"; do
    unit_paths+=("/etc/systemd/system/$unit")
done
inside systemd-analyze verify "${unit_paths[@]}" || die "systemd-analyze verify failed on the installed units"
verified+=("systemd-analyze verify: ${units[*]} ${watch_units[*]}")
grep -q 'location.replace(kiosk)' "$target/opt/doorstep/share/kiosk-starting.html" ||
    die "the kiosk's starting page is not installed at /opt/doorstep/share/kiosk-starting.html"
verified+=("the kiosk's starting page: /opt/doorstep/share/kiosk-starting.html")
for unit in doorstep-agent.service doorstep-web.service; do
    score=$(inside systemd-analyze security --offline=yes "/etc/systemd/system/$unit" 2>/dev/null |
        sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
    [[ -n $score ]] || die "no security score for $unit"
    verified+=("systemd-analyze security: $unit exposure $score")
done

for unit in "${units[@]}" mosquitto.service; do
    [[ -L $target/etc/systemd/system/multi-user.target.wants/$unit ]] || die "$unit is not enabled"
done
verified+=("enabled: ${units[*]} mosquitto.service")
[[ $(readlink "$target/etc/systemd/system/serial-getty@ttyAMA0.service") == /dev/null ]] ||
    die "the serial login prompt is not masked"
inside id doorstep | grep -q '(gpio)' || die "user doorstep is not in group gpio"
inside id doorstep | grep -q '(dialout)' || die "user doorstep is not in group dialout"
inside id kiosk >/dev/null || die "there is no kiosk user"
verified+=("users: $(inside id doorstep); kiosk")
[[ $(inside stat -c '%U:%G %a' /var/lib/doorstep) == "doorstep:doorstep 750" ]] ||
    die "/var/lib/doorstep has the wrong owner or mode"
[[ $(inside stat -c '%U:%G %a' /etc/doorstep/config.toml) == "root:doorstep 640" ]] ||
    die "/etc/doorstep/config.toml has the wrong owner or mode"
verified+=("/etc/doorstep/config.toml root:doorstep 640, /var/lib/doorstep doorstep:doorstep 750")
grep -qx 'enable_uart=1' "$target/boot/firmware/config.txt" || die "enable_uart=1 is missing"
! grep -q 'console=serial0' "$target/boot/firmware/cmdline.txt" || die "the serial console is still on"
verified+=("boot: enable_uart=1 under [all]; cmdline: $(cat "$target/boot/firmware/cmdline.txt")")
[[ -f $target/etc/systemd/system.conf.d/doorstep-watchdog.conf ]] || die "the watchdog drop-in is missing"
verified+=("hardware watchdog drop-in installed")
for tool in cage chromium mosquitto; do
    inside sh -c "command -v $tool" >/dev/null || die "$tool is not installed"
done
grep -qx 'listener 1883 127.0.0.1' "$target/etc/mosquitto/conf.d/doorstep.conf" ||
    die "the local Mosquitto is not limited to 127.0.0.1"
verified+=("installed: cage, chromium, mosquitto (listening on 127.0.0.1 only)")
inside /opt/doorstep/venv/bin/python -c "import doorstep.notify, kiosk, sensors" ||
    die "the installed package does not import"
verified+=("the installed package imports under arm64 Python $(inside python3 -c 'import platform; print(platform.python_version(), platform.machine())')")

echo
say "verified inside the $suite $arch root:"
for line in "${verified[@]}"; do
    printf '  ok  %s\n' "$line"
done
grep 'skipped:' "$work/install.log" | sed 's/^install.sh: /  --  /' || true
say "passed in $((SECONDS - started)) s"
