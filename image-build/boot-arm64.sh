#!/bin/bash
# The emulated boot (`make image-boot`): build the Debian bookworm arm64 root
# and run install.sh in it exactly as `make image-check` does (check-arm64.sh,
# all its checks included), add what a generic arm64 machine needs instead of
# the Raspberry Pi firmware (Debian's kernel, an initramfs, udev, a network
# and an fstab), make a disk laid out like a Pi's card (a FAT boot partition
# holding doorstep.toml, config.txt and cmdline.txt, then the ext4 root), and
# boot it in qemu-system-aarch64 (TCG, 2 CPUs, 2 GiB, virtio disk and GPU).
# Then check from the host that:
#   1. doorstep-firstboot applied doorstep.toml from the boot partition
#      (site id, a door, the broker: a Mosquitto started here for the test);
#   2. systemctl is-system-running says running (no failed unit);
#   3. doorstep-agent and doorstep-web are Type=notify, active, and keep
#      pinging the watchdog;
#   4. the agent's events (simulated sensors) reach that Mosquitto;
#   5. /healthz answers through a forwarded port;
#   6. cage and Chromium draw the kiosk's page (a QMP screendump);
#   7. after a SIGKILL of the agent, systemd starts it again;
#   8. after Chromium's renderers are killed (a blank "Aw, Snap!" page), the kiosk
#      watch restarts the kiosk and the page is drawn again (kiosk-recovered.png).
# Timings from QEMU's start to each milestone, the serial log, the screendump
# and the broker's messages are kept in build/image-boot/ (printed at the end).
#
#   boot-arm64.sh [--root DIR] [--wheel PATH] [--keep] [--floor]
#
# --root DIR    boot a root check-arm64.sh --root-dir DIR built before (or the
#               root/ of a work folder --keep left), instead of building one: its
#               checks are not run again, the kernel is installed only if missing,
#               and the repo's systemd units (and the kiosk's starting page) are copied in again as install.sh
#               does, so a unit's fix boots in minutes (DIR never gets doorstep.toml)
# --wheel PATH  passed on to check-arm64.sh
# --keep        leave the work folder (root, disk) in place; its path is printed
# --floor       the floor for the time to the kiosk drawn: the same image with the
#               Doorstep units kept from starting, cage + Chromium (the kiosk unit's flags)
#               showing a static local page; only the time to it drawn is reported,
#               in build/image-boot-floor/ (the root is put back once the disk is made)
#
# DOORSTEP_BOOT_TIMEOUT (seconds, default 900) bounds the wait for the checks;
# DOORSTEP_BOOT_KIOSK_WAIT (default 300) the wait for the kiosk once the rest passed.
# DOORSTEP_BOOT_JOURNAL=1 (test-only debugging) forwards the guest's whole journal to
# the serial log (systemd.journald.forward_to_console=1).
# Needs root, as check-arm64.sh does; no loop device and no mount of the disk.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$script_dir")
out="$repo_dir/build/image-boot"
root_in=
wheel_args=()
keep=no
timeout=${DOORSTEP_BOOT_TIMEOUT:-900}
kiosk_wait=${DOORSTEP_BOOT_KIOSK_WAIT:-300}
site=boot-check
floor=no
floor_units=(doorstep-agent.service doorstep-web.service doorstep-firstboot.service)
floor_page=/usr/local/share/doorstep-boot/floor.html

while (($#)); do
    case "$1" in
    --root)
        root_in=${2:?--root needs a directory}
        shift 2
        ;;
    --wheel)
        wheel_args=(--wheel "${2:?--wheel needs a path}")
        shift 2
        ;;
    --keep)
        keep=yes
        shift
        ;;
    --floor)
        floor=yes
        shift
        ;;
    *)
        echo "boot-arm64.sh: unknown argument '$1'" >&2
        exit 2
        ;;
    esac
done

# The floor's files go beside the full boot's, not over them.
[[ $floor == yes ]] && out="$repo_dir/build/image-boot-floor"
started=$SECONDS
say() { printf 'image-boot: %s\n' "$*"; }
die() {
    printf 'image-boot: FAILED: %s\n' "$*" >&2
    if [[ -d $out ]]; then
        printf 'image-boot: the serial log and the rest are in %s\n' "${out#"$repo_dir/"}" >&2
    fi
    exit 1
}
# shellcheck source=image-build/common.sh
source "$script_dir/common.sh"

[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, chroot, and the root's file owners on the disk)"

# --- tools ------------------------------------------------------------------
missing=()
command -v qemu-system-aarch64 >/dev/null || missing+=(qemu-system-arm)
command -v mcopy >/dev/null || missing+=(mtools)
command -v mkfs.vfat >/dev/null || missing+=(dosfstools)
command -v mkfs.ext4 >/dev/null || missing+=(e2fsprogs)
command -v sfdisk >/dev/null || missing+=(fdisk)
command -v mosquitto >/dev/null || [[ -x /usr/sbin/mosquitto ]] || missing+=(mosquitto)
command -v mosquitto_sub >/dev/null || missing+=(mosquitto-clients)
command -v curl >/dev/null || missing+=(curl)
install_missing "${missing[@]}"
mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)

work=$(mktemp -d /var/tmp/doorstep-boot.XXXXXX)
rm -rf "$out"
mkdir -p "$out"
mounted=()
pids=()
unmount_all() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        umount -R "${mounted[i]}" 2>/dev/null || umount -R -l "${mounted[i]}" || true
    done
    mounted=()
}
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    unmount_all
    if [[ $keep == yes ]]; then
        say "kept the work folder at $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

# Milestones: seconds since QEMU started, to the log and to timings.txt.
declare -A at=()
mark() {
    local name="$1" seconds="$2"
    [[ -n ${at[$name]:-} ]] && return 0
    at[$name]=$seconds
    printf '%-28s %s\n' "$name" "$seconds" >>"$out/timings.txt"
    say "milestone: $name after $seconds s"
}
# Seconds (one decimal) since $1, an EPOCHREALTIME.
elapsed() {
    local tenths=$(((${EPOCHREALTIME/./} - ${1/./}) / 100000))
    printf '%d.%d' $((tenths / 10)) $((tenths % 10))
}

# --- 1. the root: image-check's root and checks -------------------------------------
step=$SECONDS
if [[ -z $root_in ]]; then
    say "building the root with check-arm64.sh (the image-check checks)"
    bash "$script_dir/check-arm64.sh" "${wheel_args[@]}" --root-dir "$work/root" ||
        die "the image-check of the root failed (above)"
    root="$work/root"
else
    root=$(cd "$root_in" && pwd)
    [[ -x $root/opt/doorstep/venv/bin/doorstep ]] || die "--root $root_in holds no installed Doorstep"
    for unit in "$repo_dir"/systemd/doorstep-*.service "$repo_dir"/systemd/doorstep-*.timer; do
        install -m 0644 "$unit" "$root/etc/systemd/system/${unit##*/}"
    done
    install -D -m 0644 "$script_dir/kiosk-starting.html" "$root/opt/doorstep/share/kiosk-starting.html"
    say "booting the root in $root_in; the Doorstep units copied in again from systemd/"
fi
[[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]] || die "qemu-aarch64 is not registered with binfmt (check-arm64.sh does that)"
printf '%-28s %s\n' "root build and image-check" "$((SECONDS - step))" >>"$out/timings.txt"

# --- 2. a generic arm64 machine instead of the Pi's firmware ------------------------
step=$SECONDS
mount -t proc proc "$root/proc" && mounted+=("$root/proc")
mount -t sysfs sysfs "$root/sys" && mounted+=("$root/sys")
mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev" && mounted+=("$root/dev")
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
# The initramfs needs only what finds the virtio disk and mounts ext4; MODULES=dep
# cannot see the target machine from a chroot, and MODULES=most is slow under qemu-user.
install -d "$root/etc/initramfs-tools/conf.d"
printf 'MODULES=list\n' >"$root/etc/initramfs-tools/conf.d/doorstep-boot.conf"
printf '%s\n' virtio_pci virtio_mmio virtio_blk ext4 crc32c_generic >"$root/etc/initramfs-tools/modules"
kernel_log="$work/kernel-install.log"
install_kernel() {
    chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Retries=5 update -qq &&
        chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Retries=5 \
            -o Dpkg::Options::=--force-unsafe-io install -y -qq --no-install-recommends \
            "${boot_packages[@]}" >"$kernel_log" 2>&1
}
boot_packages=(linux-image-arm64 initramfs-tools udev dosfstools)
# shellcheck disable=SC2016 # dpkg-query's own ${Status}
installed=$(chroot "$root" dpkg-query -W -f '${Status}\n' "${boot_packages[@]}" 2>/dev/null |
    grep -c '^install ok installed$' || true)
if ((installed < ${#boot_packages[@]})) || ! compgen -G "$root/boot/vmlinuz-*" >/dev/null; then
    say "installing linux-image-arm64, initramfs-tools, udev into the root"
    retry install_kernel || { tail -n 30 "$kernel_log" >&2; die "could not install the kernel into the root"; }
else
    say "the root already holds the kernel, initramfs-tools and udev"
fi
kernel=$(find "$root/boot" -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n 1)
initrd=$(find "$root/boot" -maxdepth 1 -name 'initrd.img-*' | sort -V | tail -n 1)
[[ -f $kernel && -f $initrd ]] || die "no kernel or initramfs in the root's /boot"
cp "$kernel" "$work/vmlinuz"
cp "$initrd" "$work/initrd.img"
say "kernel $(basename "$kernel"), initramfs $(($(stat -c %s "$initrd") / 1024 / 1024)) MiB"

# The network, as a Pi on a cable gets it (qemu's user network answers DHCP).
install -d "$root/etc/systemd/network"
cat >"$root/etc/systemd/network/80-doorstep-boot.network" <<'NET'
# image-build/boot-arm64.sh: DHCP on the emulated machine's wired network.
[Match]
Name=en* eth*

[Network]
DHCP=ipv4
NET
printf 'nameserver 10.0.2.3\n' >"$root/etc/resolv.conf"
printf 'doorstep\n' >"$root/etc/hostname"
# Both partitions by label, as on a Pi's card: bootfs (FAT) and rootfs (ext4).
cat >"$root/etc/fstab" <<'FSTAB'
# image-build/boot-arm64.sh: the emulated machine's disk, laid out like a Pi's card.
LABEL=rootfs  /               ext4  defaults,noatime  0  1
LABEL=bootfs  /boot/firmware  vfat  defaults          0  2
FSTAB
install -D -m 0755 "$script_dir/boot-check.sh" "$root/usr/local/libexec/doorstep-boot-check"
cat >"$root/etc/systemd/system/doorstep-boot-check.service" <<'UNIT'
# Test-only (image-build/boot-arm64.sh): reports the boot on the serial console.
[Unit]
Description=Doorstep emulated-boot check (test only)

[Service]
Type=simple
ExecStart=/usr/local/libexec/doorstep-boot-check

[Install]
WantedBy=multi-user.target
UNIT
# Emulation only: QEMU's virtio-gpu has no GL here (no virgl under TCG), Mesa falls back
# to kms_swrast, and cage's GLES2 renderer (wlroots 0.15) dies of SIGSEGV before it starts
# Chromium. wlroots' software renderer draws the same page; a Pi's V3D has GLES2.
install -d "$root/etc/systemd/system/doorstep-kiosk.service.d"
cat >"$root/etc/systemd/system/doorstep-kiosk.service.d/doorstep-boot.conf" <<'DROPIN'
# Test-only (image-build/boot-arm64.sh): no GL on QEMU's virtio-gpu; see there.
[Service]
Environment=WLR_RENDERER=pixman
DROPIN
systemctl --root="$root" --quiet enable systemd-networkd.service doorstep-boot-check.service
rm -f "$root/tmp/x.toml" "$root/tmp/fresh.db"
# The floor: the Doorstep units kept from starting (a condition no machine meets, as
# the kiosk's Wants= would start a merely disabled web role), the kiosk unit showing a
# static page like the kiosk's (kiosk/static/kiosk.css's colours: the same judge passes).
put_back_floor() {
    local unit
    for unit in "${floor_units[@]}"; do
        rm -f "$root/etc/systemd/system/$unit.d/doorstep-boot-floor.conf"
        rmdir "$root/etc/systemd/system/$unit.d" 2>/dev/null || true
    done
    install -m 0644 "$repo_dir/systemd/doorstep-kiosk.service" "$root/etc/systemd/system/doorstep-kiosk.service"
    rm -rf "$root$(dirname "$floor_page")"
}
put_back_floor
if [[ $floor == yes ]]; then
    for unit in "${floor_units[@]}"; do
        install -d "$root/etc/systemd/system/$unit.d"
        printf '# Test-only (boot-arm64.sh --floor)\n[Unit]\nConditionPathExists=/doorstep-boot-floor\n' \
            >"$root/etc/systemd/system/$unit.d/doorstep-boot-floor.conf"
    done
    sed -i "s|file:///opt/doorstep/share/kiosk-starting.html#http://127.0.0.1:8080/kiosk/|file://$floor_page|" \
        "$root/etc/systemd/system/doorstep-kiosk.service"
    grep -q "file://$floor_page" "$root/etc/systemd/system/doorstep-kiosk.service" || die "could not point the kiosk unit at the floor's page"
    install -d "$root$(dirname "$floor_page")"
    cat >"$root$floor_page" <<'HTML'
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Floor</title>
<style>
body { margin: 0; font: 20px sans-serif; color: #111; background: #fff; }
header { display: flex; gap: 1rem; padding: .5rem 1rem; border-bottom: 2px solid #595959; font-weight: 700; }
main { padding: 1rem 3.5rem; }
.tiles { display: grid; grid-template-columns: repeat(3, 1fr); gap: 1rem; }
.tile { background: #0a4f96; color: #fff; border-radius: .5rem; min-height: 7rem; display: grid;
  place-items: center; font-size: 1.6rem; font-weight: 700; }
</style></head>
<body><header>Emulated Boot Hall (floor: a static page)</header>
<main><h1>Emulated Boot Hall</h1><p>Welcome! Tap your fob at any time, or choose:</p>
<div class="tiles"><div class="tile">Sign in</div><div class="tile">Sign out</div>
<div class="tile">Book a room</div><div class="tile">What's on</div></div></main></body></html>
HTML
    say "floor: ${floor_units[*]} kept from starting; the kiosk unit shows $floor_page"
fi
unmount_all
printf '%-28s %s\n' "kernel and boot setup" "$((SECONDS - step))" >>"$out/timings.txt"

# --- 3. the disk: MBR, a FAT boot partition, the ext4 root; no loop device ----------
step=$SECONDS
mosquitto_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
web_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/bootfs"
# doorstep.toml as a volunteer writes it; 10.0.2.2 is this host from inside QEMU.
cat >"$work/bootfs/doorstep.toml" <<TOML
[site]
id = "$site"
name = "Emulated Boot Hall"

[site.opening_hours]
mon = "00:00-24:00"
tue = "00:00-24:00"
wed = "00:00-24:00"
thu = "00:00-24:00"
fri = "00:00-24:00"
sat = "00:00-24:00"
sun = "00:00-24:00"

[mqtt]
host = "10.0.2.2"
port = $mosquitto_port

[hardware]
pin_factory = "mock"
simulate = true

[[doors]]
id = "front"
pin = 17
name = "Front door"

[[beams]]
id = "entrance"
outer_pin = 23
inner_pin = 24

[[pir]]
id = "foyer"
pin = 4
TOML
cp "$root/boot/firmware/config.txt" "$root/boot/firmware/cmdline.txt" "$work/bootfs/"
cp "$work/bootfs/doorstep.toml" "$out/doorstep.toml"

boot_mib=64
root_mib=$(($(du -sm "$root" | cut -f1) + 768))
disk="$work/disk.img"
truncate -s $((1 + boot_mib + root_mib))M "$disk"
sfdisk --quiet "$disk" <<SFDISK
label: dos
start=1MiB, size=${boot_mib}MiB, type=c, bootable
start=$((1 + boot_mib))MiB, size=${root_mib}MiB, type=83
SFDISK
# The FAT is made in place, at the first partition's offset.
# FAT32 as on a Pi's card, in 512-byte clusters: with fewer than 65525 clusters mtools
# refuses a FAT32. mkfs.fat warns that the lowercase label, the Pi's own, is unusual.
mkfs.vfat -F 32 -s 1 -n bootfs --offset=2048 "$disk" $((boot_mib * 1024)) >"$work/mkfs.vfat.log" 2>&1 ||
    { cat "$work/mkfs.vfat.log" >&2; die "mkfs.vfat failed"; }
mcopy -i "$disk@@1M" "$work/bootfs/doorstep.toml" "$work/bootfs/config.txt" "$work/bootfs/cmdline.txt" ::/ ||
    die "mcopy onto the boot partition failed"
mkfs.ext4 -q -F -L rootfs -d "$root" "$work/rootfs.img" "${root_mib}M" >"$work/mkfs.ext4.log" 2>&1 ||
    { cat "$work/mkfs.ext4.log" >&2; die "mkfs.ext4 -d failed"; }
dd if="$work/rootfs.img" of="$disk" bs=1M seek=$((1 + boot_mib)) conv=notrunc,sparse status=none ||
    die "could not write the root into the disk"
rm -f "$work/rootfs.img"
[[ $floor == yes ]] && put_back_floor
mdir -i "$disk@@1M" -b ::/ | grep -qi 'doorstep\.toml' ||
    die "doorstep.toml is not on the boot partition"
say "disk: $((1 + boot_mib + root_mib)) MiB (bootfs ${boot_mib} MiB FAT, rootfs ${root_mib} MiB ext4)"
printf '%-28s %s\n' "disk build" "$((SECONDS - step))" >>"$out/timings.txt"

# --- 4. the broker on this host, and a subscriber ------------------------------------
cat >"$work/mosquitto.conf" <<CONF
listener $mosquitto_port 127.0.0.1
allow_anonymous true
persistence false
log_dest stderr
CONF
"$mosquitto_bin" -c "$work/mosquitto.conf" 2>"$out/mosquitto.log" &
pids+=($!)
for _ in $(seq 1 50); do
    mosquitto_pub -h 127.0.0.1 -p "$mosquitto_port" -t "test/ready" -m ready 2>/dev/null && break
    sleep 0.2
done
mosquitto_sub -h 127.0.0.1 -p "$mosquitto_port" -t "doorstep/#" -F '%U %t %p' >"$out/mqtt.log" 2>&1 &
pids+=($!)

# --- 5. boot ------------------------------------------------------------------------
qmp="$work/qmp.sock"
serial="$out/serial.log"
: >"$serial"
say "booting: qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 2048 (TCG); web on 127.0.0.1:$web_port"
cmdline="root=/dev/vda2 rootfstype=ext4 rootwait fsck.repair=yes console=tty1 console=ttyAMA0 consoleblank=0"
[[ ${DOORSTEP_BOOT_JOURNAL:-0} == 1 ]] && cmdline+=" systemd.journald.forward_to_console=1"
qemu_started=$EPOCHREALTIME
# romfile= : no PXE option ROM for the network card (the kernel is given directly);
# Debian ships that ROM in ipxe-qemu, which qemu-system-arm only recommends.
qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 2048 -accel tcg,thread=multi \
    -nodefaults -no-user-config -display none \
    -kernel "$work/vmlinuz" -initrd "$work/initrd.img" \
    -append "$cmdline" \
    -drive if=none,id=disk,file="$disk",format=raw,cache=unsafe -device virtio-blk-pci,drive=disk \
    -device virtio-gpu-pci -device virtio-keyboard-pci -device virtio-tablet-pci -device virtio-rng-pci \
    -netdev "user,id=net,hostfwd=tcp:127.0.0.1:$web_port-:8080" -device virtio-net-pci,netdev=net,romfile= \
    -serial "file:$serial" -qmp "unix:$qmp,server=on,wait=off" \
    >"$out/qemu.log" 2>&1 &
qemu_pid=$!
pids+=("$qemu_pid")

report() { grep -a 'DOORSTEP-BOOT ' "$serial" | sed 's/^.*DOORSTEP-BOOT //' | tr -d '\r'; }
# The first reported value of a key. Whether a line was reported: grep reading it all
# (`grep -q` stops early, and under pipefail the pipe then fails now and then).
field() { report | sed -n "s/^$1 //p" | sed -n 1p; }
reported() { report | grep -- "$1" >/dev/null; }
healthz=
events=
kiosk=
done_at=
next_shot=0
deadline=$((SECONDS + timeout))
while ((SECONDS < deadline)); do
    kill -0 "$qemu_pid" 2>/dev/null || die "QEMU stopped (see qemu.log and serial.log)"
    now=$(elapsed "$qemu_started")
    grep -aq 'Booting Linux' "$serial" && mark "kernel started" "$now"
    grep -aq 'Run /init' "$serial" && mark "initramfs started" "$now"
    grep -aq 'systemd\[1\]\|Welcome to' "$serial" && mark "systemd started" "$now"
    reported '^system ' && mark "systemd boot finished" "$now"
    if [[ -z $healthz ]] && curl -fsS --max-time 10 "http://127.0.0.1:$web_port/healthz" >"$out/healthz.json" 2>/dev/null; then
        healthz=yes
        mark "web /healthz answered" "$now"
    fi
    if [[ -z $events ]] && grep -q "^[0-9.]* doorstep/$site/events " "$out/mqtt.log"; then
        events=yes
        mark "first event at the broker" "$now"
    fi
    if [[ -z $kiosk && ( -n $healthz || $floor == yes ) ]] && ((SECONDS >= next_shot)); then
        if python3 "$script_dir/qmp-screen.py" shot "$qmp" "$out/kiosk.png" >"$out/screen.txt" 2>&1; then
            kiosk=yes
            mark "kiosk drawn" "$now"
        fi
        next_shot=$((SECONDS + 2))  # every 2 s: the time to the page drawn is known to 2 s
    fi
    [[ $floor == yes && -n $kiosk ]] && break
    if reported '^done ' && [[ -n $healthz && -n $events ]]; then
        # The kiosk may draw long after the rest; it gets kiosk_wait seconds more.
        done_at=${done_at:-$SECONDS}
        if [[ -n $kiosk ]] || ((SECONDS > done_at + kiosk_wait)); then
            break
        fi
    fi
    sleep 2
done
# After the kiosk watch brought a crashed page back: the screen shows the kiosk again.
recovered_shot=
if [[ $floor != yes && $(field kiosk-recovered) == yes* ]]; then
    for _ in $(seq 1 12); do
        if python3 "$script_dir/qmp-screen.py" shot "$qmp" "$out/kiosk-recovered.png" >"$out/screen-recovered.txt" 2>&1; then
            recovered_shot=yes
            break
        fi
        sleep 5
    done
fi
total=$(elapsed "$qemu_started")
python3 "$script_dir/qmp-screen.py" quit "$qmp" >/dev/null 2>&1 || kill "$qemu_pid" 2>/dev/null || true
wait "$qemu_pid" 2>/dev/null || true

# --- 6. the verdict -------------------------------------------------------------------
if [[ $floor == yes ]]; then
    printf '%-28s %s\n' "boot total (floor)" "$total" >>"$out/timings.txt"
    say "floor timings (seconds; boot milestones from QEMU's start):"
    sed 's/^/  /' "$out/timings.txt"
    [[ -n $kiosk ]] || die "the floor's page was never drawn: $(cat "$out/screen.txt" 2>/dev/null || echo 'no screendump taken')"
    say "floor: the static page drawn after ${at[kiosk drawn]} s ($(cat "$out/screen.txt"))"
    exit 0
fi
report >"$out/report.txt"
failures=()
verified=()

# 1. firstboot
config=$(report | sed -n 's/^config //p' | paste -sd ' ')
if [[ $(field doorstep.toml) == removed && $config == *"site.id=$site"* && $config == *"mqtt.host=10.0.2.2 mqtt.port=$mosquitto_port"* &&
    $config == *"doors=front"* ]]; then
    verified+=("firstboot applied doorstep.toml from $(field bootfs): $config")
else
    failures+=("firstboot did not apply doorstep.toml from the boot partition (bootfs: '$(field bootfs)', doorstep.toml: '$(field doorstep.toml)', config: '$config', error: '$(field firstboot-error)')")
fi
# 2. running
system=$(field system)
if [[ ${system%% *} == running ]]; then
    verified+=("systemctl is-system-running: running, no failed unit ($(field analyze))")
else
    failures+=("systemctl is-system-running said '${system:-nothing}'; failed units: $(report | sed -n 's/^failed //p' | awk '{print $1}' | paste -sd ' ')")
fi
# 3. READY and the watchdog
for unit in doorstep-agent.service doorstep-web.service; do
    line=$(report | sed -n "s/^unit $unit //p" | head -n 1)
    dog=$(report | sed -n "s/^watchdog $unit //p" | head -n 1)
    before=$(sed -n 's/.*before=\([0-9]*\).*/\1/p' <<<"$dog")
    after=$(sed -n 's/.*after=\([0-9]*\).*/\1/p' <<<"$dog")
    if [[ $line == *"Type=notify"* && $line == *"ActiveState=active"* && $line == *"SubState=running"* ]] &&
        [[ -n $before && -n $after && $after -gt $before && $dog == *"ActiveState=active"* && $dog == *"NRestarts=0"* ]]; then
        verified+=("$unit: Type=notify, READY (active/running), watchdog pinged on ($(grep -o 'WatchdogUSec=[^ ]*' <<<"$dog"), last ping $(((after - before) / 1000000)) s later after 40 s)")
    else
        failures+=("$unit did not reach READY or stopped pinging the watchdog: '${line:-no report}'; watchdog: '${dog:-no report}'")
    fi
done
# 4. MQTT
count=$(grep -c "^[0-9.]* doorstep/$site/events " "$out/mqtt.log" || true)
if [[ -n $events ]]; then
    verified+=("the agent's events reached Mosquitto on the host: $count on doorstep/$site/events, $(wc -l <"$out/mqtt.log") messages in all")
else
    failures+=("no event from the agent reached Mosquitto on the host at 10.0.2.2:$mosquitto_port ($(wc -l <"$out/mqtt.log") messages under doorstep/#; see mqtt.log)")
fi
# 5. healthz
if [[ -n $healthz ]]; then
    verified+=("/healthz answered through the forwarded port: $(head -c 200 "$out/healthz.json")")
else
    failures+=("/healthz never answered on 127.0.0.1:$web_port (forwarded to the guest's 8080)")
fi
# 6. kiosk
if [[ -n $kiosk ]]; then
    verified+=("the kiosk's page is on the screen (kiosk.png): $(cat "$out/screen.txt")")
else
    failures+=("the screen never showed the kiosk's page: $(cat "$out/screen.txt" 2>/dev/null || echo 'no screendump taken'); see kiosk.png")
fi
# 7. SIGKILL
killed=$(field kill)
restarted=$(field restarted)
if [[ -n $restarted && $restarted == *"SubState=running"* && $restarted == *"NRestarts=1"* ]] &&
    [[ $(sed -n 's/.*MainPID=\([0-9]*\).*/\1/p' <<<"$restarted") != "$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' <<<"$killed")" ]]; then
    verified+=("SIGKILL of doorstep-agent: systemd started it again ($restarted)")
else
    failures+=("doorstep-agent was not restarted after SIGKILL: killed '${killed:-not reported}', then '${restarted:-not reported}'")
fi
# 8. the kiosk watch
crash=$(field kiosk-crash)
recovered=$(field kiosk-recovered)
if [[ $recovered == yes* && -n $recovered_shot ]]; then
    verified+=("the kiosk watch restarted the kiosk after its renderer was killed ($crash): $recovered; on the screen again (kiosk-recovered.png): $(cat "$out/screen-recovered.txt")")
else
    failures+=("the kiosk did not come back after its renderer was killed: screen-up '$(field screen-up)', crash '${crash:-not reported}', recovered '${recovered:-not reported}', screen '$(cat "$out/screen-recovered.txt" 2>/dev/null || echo 'no screendump taken')'; watch: $(report | sed -n 's/^watch //p' | paste -sd ' ')")
fi

echo
printf '%-28s %s\n' "boot total (to checks done)" "$total" >>"$out/timings.txt"
say "timings (seconds; boot milestones from QEMU's start):"
sed 's/^/  /' "$out/timings.txt"
printf '%-28s %s\n' "image-boot total" "$((SECONDS - started))" >>"$out/timings.txt"
say "verified in the booted arm64 image:"
for line in "${verified[@]}"; do
    printf '  ok    %s\n' "$line"
done
for line in "${failures[@]}"; do
    printf '  FAIL  %s\n' "$line"
done
say "serial log, kiosk.png, mqtt.log, timings.txt: ${out#"$repo_dir/"}/"
((${#failures[@]} == 0)) || die "${#failures[@]} of 8 checks failed (above)"
say "passed in $((SECONDS - started)) s"
