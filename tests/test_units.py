"""The appliance's plumbing: systemd units, their hardening, the shell scripts.

`systemd-analyze verify` checks that every ExecStart= binary exists, and
/opt/doorstep/venv/bin/doorstep, cage or chromium are not on a build machine.
Rather than rewrite the units, each is verified unchanged inside a throwaway
root (`--root=`) that holds the units, a copy of this machine's own systemd
units (for the targets they name) and empty executables at the real paths.

Needs from apt: systemd (systemd-analyze) and shellcheck. A missing tool is a
failure that says what to install, never a skip.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SYSTEMD = REPO / "systemd"
IMAGE_BUILD = REPO / "image-build"
UNITS = [
    "doorstep-agent.service",
    "doorstep-web.service",
    "doorstep-kiosk.service",
    "doorstep-firstboot.service",
    "doorstep-kiosk-watch.service",
    "doorstep-kiosk-watch.timer",
]
MAX_EXPOSURE = 2.5
STUB_EXECUTABLES = [
    "opt/doorstep/venv/bin/doorstep",
    "opt/doorstep/venv/bin/python",
    "opt/doorstep/libexec/firstboot.sh",
    "usr/bin/cage",
    "usr/bin/chromium",
]


def tool(name: str, package: str) -> str:
    """The path of a required tool, or a failure naming the apt package."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: apt-get install -y {package}")
    return path


def run(*args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing text output."""
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, check=False, **kwargs
    )  # type: ignore[call-overload]


def parse_unit(path: Path) -> dict[str, list[str]]:
    """`Section.Key` -> every value given, in order (continuation lines joined)."""
    values: dict[str, list[str]] = {}
    section = ""
    logical = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.startswith(("#", ";")):
            continue
        if raw.endswith("\\"):
            logical += raw[:-1] + " "
            continue
        line, logical = (logical + raw).strip(), ""
        if not line:
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        values.setdefault(f"{section}.{key.strip()}", []).append(" ".join(value.split()))
    return values


@pytest.fixture(scope="module")
def unit_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway root with our units installed and stubs at their ExecStart paths."""
    root = tmp_path_factory.mktemp("root")
    host_units = next(
        (p for p in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system")) if p.is_dir()),
        None,
    )
    if host_units is None:
        pytest.fail("no /usr/lib/systemd/system on this machine: apt-get install -y systemd")
    shutil.copytree(host_units, root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    for unit in UNITS:
        shutil.copy(SYSTEMD / unit, root / "etc/systemd/system" / unit)
    for stub in STUB_EXECUTABLES:
        path = root / stub
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    return root


@pytest.mark.parametrize("unit", UNITS)
def test_unit_verifies(unit: str, unit_root: Path) -> None:
    analyze = tool("systemd-analyze", "systemd")
    result = run(analyze, "verify", f"--root={unit_root}", unit)
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 0, output
    assert output == "", f"systemd-analyze verify complained about {unit}:\n{output}"


def exposure(unit: str) -> float:
    """The overall exposure score of `systemd-analyze security --offline=yes`."""
    analyze = tool("systemd-analyze", "systemd")
    result = run(analyze, "security", "--offline=yes", "--no-pager", SYSTEMD / unit)
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout)
    assert match, f"no exposure score for {unit}:\n{result.stdout}\n{result.stderr}"
    return float(match.group(1))


@pytest.mark.parametrize(
    ("unit", "limit"),
    [
        ("doorstep-agent.service", MAX_EXPOSURE),
        ("doorstep-web.service", MAX_EXPOSURE),
        # Cage needs the GPU and Chromium its own sandbox: held to 4.0, not 2.5 (issue 15.8).
        ("doorstep-kiosk.service", 4.0),
        # Root for the few steps that need it, and only the capabilities they use (issue 15.8).
        ("doorstep-firstboot.service", 5.0),
        # Root only to ask systemd for the kiosk's restart: no capabilities, nothing writable.
        ("doorstep-kiosk-watch.service", MAX_EXPOSURE),
    ],
)
def test_security_exposure(unit: str, limit: float, capsys: pytest.CaptureFixture[str]) -> None:
    score = exposure(unit)
    with capsys.disabled():
        print(f"\n  systemd-analyze security {unit}: exposure {score} (limit {limit})")
    assert score <= limit


@pytest.fixture(scope="module")
def agent() -> dict[str, list[str]]:
    return parse_unit(SYSTEMD / "doorstep-agent.service")


@pytest.fixture(scope="module")
def web() -> dict[str, list[str]]:
    return parse_unit(SYSTEMD / "doorstep-web.service")


def test_firstboot_is_root_with_only_the_capabilities_its_steps_use() -> None:
    unit = parse_unit(SYSTEMD / "doorstep-firstboot.service")
    assert set(unit["Service.CapabilityBoundingSet"][0].split()) == {
        "CAP_DAC_OVERRIDE", "CAP_CHOWN", "CAP_FOWNER", "CAP_NET_ADMIN"}
    assert unit["Service.ProtectSystem"] == ["strict"]
    writable = unit["Service.ReadWritePaths"][0].split()
    assert {w.lstrip("-") for w in writable} == {"/etc/doorstep", "/var/lib/doorstep", "/boot/firmware",
                                                  "/etc/mosquitto/conf.d"}
    assert unit["Service.RestrictAddressFamilies"] == ["AF_UNIX AF_NETLINK"]  # D-Bus and netlink; no network


@pytest.fixture(scope="module")
def kiosk() -> dict[str, list[str]]:
    return parse_unit(SYSTEMD / "doorstep-kiosk.service")


@pytest.mark.parametrize("role", ["agent", "web"])
def test_roles_are_notify_services_with_a_watchdog(role: str) -> None:
    unit = parse_unit(SYSTEMD / f"doorstep-{role}.service")
    assert unit["Service.Type"] == ["notify"]
    assert unit["Service.NotifyAccess"] == ["main"]
    assert unit["Service.WatchdogSec"]
    assert unit["Service.Restart"] == ["on-failure"]
    assert unit["Service.ExecStart"] == [
        f"/opt/doorstep/venv/bin/doorstep {role} --config /etc/doorstep/config.toml"
    ]
    assert unit["Service.User"] == ["doorstep"]
    assert "Service.DynamicUser" not in unit
    assert unit["Service.StateDirectory"] == ["doorstep"]
    assert unit["Service.ConfigurationDirectory"] == ["doorstep"]
    assert unit["Service.CapabilityBoundingSet"] == [""]
    assert unit["Service.RestrictAddressFamilies"] == ["AF_UNIX AF_INET AF_INET6"]
    for key in ("ProtectSystem", "ProtectHome", "PrivateTmp", "NoNewPrivileges"):
        assert unit[f"Service.{key}"] in (["strict"], ["yes"]), key
    assert "@system-service" in unit["Service.SystemCallFilter"]
    assert unit["Install.WantedBy"] == ["multi-user.target"]
    assert "doorstep-firstboot.service" in " ".join(unit["Unit.After"])


def test_only_the_agent_gets_hardware(
    agent: dict[str, list[str]], web: dict[str, list[str]]
) -> None:
    assert agent["Service.SupplementaryGroups"] == ["gpio dialout"]
    assert agent["Service.DevicePolicy"] == ["closed"]
    allowed = " ".join(agent["Service.DeviceAllow"])
    for group in ("char-gpiochip", "char-ttyAMA", "char-ttyS", "char-ttyUSB", "char-ttyACM"):
        assert group in allowed
    assert "Service.SupplementaryGroups" not in web
    assert "Service.DeviceAllow" not in web
    assert web["Service.PrivateDevices"] == ["yes"]


def test_kiosk_runs_chromium_in_cage_on_tty1(kiosk: dict[str, list[str]]) -> None:
    command = kiosk["Service.ExecStart"][0].split()
    assert command[0] == "/usr/bin/cage"
    assert "/usr/bin/chromium" in command
    # The starting page (image-build/kiosk-starting.html), which becomes the kiosk's home.
    assert command[-1] == "file:///opt/doorstep/share/kiosk-starting.html#http://127.0.0.1:8080/kiosk/"
    for flag in (
        "--kiosk",
        "--noerrdialogs",
        "--disable-pinch",
        "--overscroll-history-navigation=0",
        "--disable-features=Translate",
        "--disable-session-crashed-bubble",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ):
        assert flag in command, flag
    # The profile is on tmpfs, under the unit's own runtime directory.
    assert "--user-data-dir=%t/doorstep-kiosk/chromium" in command
    assert kiosk["Service.RuntimeDirectory"] == ["doorstep-kiosk"]
    assert kiosk["Service.User"] == ["kiosk"]
    assert kiosk["Service.TTYPath"] == ["/dev/tty1"]
    assert kiosk["Service.PAMName"] == ["doorstep-kiosk"]
    assert kiosk["Service.Restart"] == ["always"]
    assert kiosk["Unit.Wants"][0] == "doorstep-web.service"  # Wants, not Requires: a web crash must not end the kiosk
    assert kiosk["Unit.PartOf"] == ["doorstep-web.service"]
    assert "Unit.Requires" not in kiosk
    # Chromium starts alongside the web role, not after it: the starting page waits.
    assert "doorstep-web.service" not in " ".join(kiosk.get("Unit.After", []))


def test_watchdog_drop_in_is_15_seconds() -> None:
    drop_in = parse_unit(SYSTEMD / "watchdog.conf")
    assert drop_in["Manager.RuntimeWatchdogSec"] == ["15s"]


def shell_scripts() -> list[Path]:
    """Every *.sh in the repo: tracked by git, plus untracked ones not ignored."""
    git = tool("git", "git")
    listed: set[str] = set()
    for extra in ([], ["--others", "--exclude-standard"]):
        result = run(git, "ls-files", *extra, "--", "*.sh", cwd=REPO)
        assert result.returncode == 0, result.stderr
        listed.update(line for line in result.stdout.splitlines() if line)
    return sorted(REPO / name for name in listed if (REPO / name).is_file())


def test_shellcheck_on_every_shell_script() -> None:
    shellcheck = tool("shellcheck", "shellcheck")
    scripts = shell_scripts()
    names = {p.relative_to(REPO).as_posix() for p in scripts}
    assert {
        "image-build/install.sh",
        "image-build/firstboot.sh",
        "image-build/check-arm64.sh",
    } <= names
    result = run(shellcheck, "--external-sources", *scripts, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_install_script_help_and_bad_arguments() -> None:
    script = IMAGE_BUILD / "install.sh"
    shown = run("bash", script, "--help")
    assert shown.returncode == 0
    assert "--with-mosquitto-bridge" in shown.stdout
    refused = run("bash", script, "--frobnicate")
    assert refused.returncode == 2
    assert "unknown argument '--frobnicate'" in refused.stderr


def test_builder_wrappers_only_call_install_sh() -> None:
    wrappers = [
        *sorted((IMAGE_BUILD / "pi-gen/stage-doorstep").rglob("*")),
        *sorted((IMAGE_BUILD / "rpi-image-gen").rglob("*")),
    ]
    text = "\n".join(p.read_text(encoding="utf-8") for p in wrappers if p.is_file())
    assert "install.sh" in text
    for word in ("apt-get", "useradd", "systemctl", "pip install"):
        assert word not in text, f"a builder wrapper does {word} itself: leave it to install.sh"


# ---- firstboot.sh ---------------------------------------------------------

VALID_SETTINGS = """\
[site]
id = "village-hall"
name = "Village Hall"
"""


class FirstBoot:
    """firstboot.sh pointed at temp directories, a venv made of this Python and a fake nmcli."""

    def __init__(self, base: Path) -> None:
        self.boot = base / "boot"
        self.config = base / "etc"
        self.state = base / "state"
        self.mosquitto = base / "mosquitto"
        self.venv = base / "venv"
        self.nmcli_log = base / "nmcli.log"
        for d in (self.boot, self.config, self.state, self.venv / "bin"):
            d.mkdir(parents=True)
        # a wrapper, not a symlink: a symlinked interpreter outside a venv loses its packages
        python = self.venv / "bin/python"
        python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        python.chmod(0o755)
        doorstep = self.venv / "bin/doorstep"
        doorstep.write_text(
            f'#!/bin/sh\nexec "{sys.executable}" -c '
            '\'import sys; from doorstep.cli import main; sys.argv[0] = "doorstep"; main()\' "$@"\n'
        )
        doorstep.chmod(0o755)
        self.nmcli = base / "nmcli"
        self.nmcli.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >>"{self.nmcli_log}"\n')
        self.nmcli.chmod(0o755)

    @property
    def settings(self) -> Path:
        return self.boot / "doorstep.toml"

    @property
    def error(self) -> Path:
        return self.state / "firstboot-error.txt"

    def run(self) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "DOORSTEP_BOOT_DIR": str(self.boot),
            "DOORSTEP_CONFIG_DIR": str(self.config),
            "DOORSTEP_STATE_DIR": str(self.state),
            "DOORSTEP_VENV": str(self.venv),
            "DOORSTEP_MOSQUITTO_DIR": str(self.mosquitto),
            "DOORSTEP_NMCLI": str(self.nmcli),
        }
        return run("bash", IMAGE_BUILD / "firstboot.sh", env=env)


@pytest.fixture
def firstboot(tmp_path: Path) -> Iterator[FirstBoot]:
    yield FirstBoot(tmp_path)


def test_firstboot_without_settings_does_nothing(firstboot: FirstBoot) -> None:
    result = firstboot.run()
    assert result.returncode == 0, result.stderr
    assert not (firstboot.config / "config.toml").exists()


def test_firstboot_applies_settings_and_wifi(firstboot: FirstBoot) -> None:
    (firstboot.config / "config.toml").write_text("# the old one\n")
    firstboot.error.write_text("an old error\n")
    firstboot.settings.write_text(
        VALID_SETTINGS + '\n[wifi]\nssid = "Hall \\"Guest\\""\npassword = "correct horse"\n'
    )
    result = firstboot.run()
    assert result.returncode == 0, result.stderr
    config = (firstboot.config / "config.toml").read_text()
    assert 'id = "village-hall"' in config
    assert "[wifi]" not in config and "correct horse" not in config
    assert not firstboot.settings.exists(), "the plain-text original must be removed"
    assert not firstboot.error.exists()
    backups = list(firstboot.config.glob("config.toml.before-*"))
    assert [b.read_text() for b in backups] == ["# the old one\n"]
    calls = firstboot.nmcli_log.read_text().splitlines()
    assert calls[0] == "connection delete doorstep-wifi"
    assert 'ssid Hall "Guest"' in calls[1]
    assert "wifi-sec.psk correct horse" in calls[1]


def test_firstboot_reports_an_unknown_key_and_changes_nothing(firstboot: FirstBoot) -> None:
    (firstboot.config / "config.toml").write_text("# the old one\n")
    firstboot.settings.write_text(VALID_SETTINGS + "colour = 'blue'\n")
    result = firstboot.run()
    assert result.returncode == 1
    message = firstboot.error.read_text()
    assert "doorstep.toml" in message and "colour" in message
    assert "\n" not in message.rstrip("\n"), "one paragraph the kiosk can show"
    assert firstboot.settings.exists()
    assert (firstboot.config / "config.toml").read_text() == "# the old one\n"
    assert not firstboot.nmcli_log.exists()


def test_firstboot_reports_broken_toml(firstboot: FirstBoot) -> None:
    firstboot.settings.write_text('[site]\nname = "unterminated\n')
    assert firstboot.run().returncode == 1
    assert "not valid TOML" in firstboot.error.read_text()


def test_firstboot_reports_a_bad_wifi_password(firstboot: FirstBoot) -> None:
    firstboot.settings.write_text(VALID_SETTINGS + '[wifi]\nssid = "Hall"\npassword = "short"\n')
    assert firstboot.run().returncode == 1
    assert "8 to 63 characters" in firstboot.error.read_text()


def test_firstboot_writes_the_mosquitto_bridge(firstboot: FirstBoot) -> None:
    firstboot.settings.write_text(
        VALID_SETTINGS
        + '[bridge]\nhost = "mqtt.example.org"\nusername = "hall"\npassword = "s3cret"\n'
    )
    assert firstboot.run().returncode == 1
    assert "no local Mosquitto" in firstboot.error.read_text()

    firstboot.mosquitto.mkdir()
    result = firstboot.run()
    assert result.returncode == 0, result.stderr
    bridge = (firstboot.mosquitto / "doorstep-bridge.conf").read_text()
    assert "address mqtt.example.org:8883" in bridge
    assert "remote_password s3cret" in bridge
    assert "topic doorstep/# out 1" in bridge
    assert "[bridge]" not in (firstboot.config / "config.toml").read_text()


def test_firstboot_keeps_the_broker_password_apart(firstboot: FirstBoot) -> None:
    firstboot.settings.write_text(
        VALID_SETTINGS + '\n[mqtt]\nhost = "broker.lan"\npassword = "hunter22"\n'
    )
    result = firstboot.run()
    assert result.returncode == 0, result.stderr
    config = (firstboot.config / "config.toml").read_text()
    assert "hunter22" not in config
    secret = firstboot.config / "secrets/mqtt-password"
    assert f'password_file = "{secret}"' in config
    assert secret.read_text() == "hunter22"
    assert secret.stat().st_mode & 0o777 == 0o640


CONFIG_IN_USE = """\
# The village hall's settings (kept by the treasurer)
[site]
id = "village-hall"
name = "Village Hall"

[privacy]
visitor_days = 14  # agreed at the AGM
"""


def test_firstboot_with_only_wifi_changes_no_setting(firstboot: FirstBoot) -> None:
    """Issue 14.3: a Wi-Fi-only doorstep.toml once replaced the whole config (the site went
    back to its defaults). It merges: keys it does not name keep their values, comments too."""
    (firstboot.config / "config.toml").write_text(CONFIG_IN_USE)
    firstboot.settings.write_text('[wifi]\nssid = "Hall Guest"\npassword = "correct horse"\ncountry = "GB"\n')
    result = firstboot.run()
    assert result.returncode == 0, result.stderr
    config = (firstboot.config / "config.toml").read_text()
    assert config == CONFIG_IN_USE  # byte for byte: comments, order and values
    assert "connection add type wifi" in firstboot.nmcli_log.read_text()


def test_firstboot_merges_the_keys_it_names(firstboot: FirstBoot) -> None:
    (firstboot.config / "config.toml").write_text(CONFIG_IN_USE)
    firstboot.settings.write_text('[site]\nname = "The Old School"\n[site.opening_hours]\nsun = "closed"\n'
                                  '[mqtt]\nhost = "broker.lan"\npassword = "hunter22"\n')
    result = firstboot.run()
    assert result.returncode == 0, result.stderr
    from appliance.core.config import parse

    merged = parse((firstboot.config / "config.toml").read_text())
    assert (merged.site.id, merged.site.name, merged.privacy.visitor_days) == ("village-hall", "The Old School", 14)
    assert merged.site.opening_hours.sun == "closed" and merged.site.opening_hours.mon == "09:00-22:00"
    assert merged.mqtt.host == "broker.lan" and merged.mqtt.password_file.endswith("secrets/mqtt-password")
    assert "# agreed at the AGM" in (firstboot.config / "config.toml").read_text()


@pytest.mark.parametrize(("settings", "names"), [
    ('[mqtt]\nport = 70000\npassword = "hunter22"\n', "mqtt.port"),
    ('[mqtt]\nusername = 12345678\npassword = "hunter22"\n', "mqtt.username"),
    ('[wifi]\nssid = "Hall"\npassword = 12345678\n', "[wifi] password"),
    ('[wifi]\nssid = "Hall"\npassword = "hunter22"\ncountry = "hunter22"\n', "[wifi] country"),
    ('[bridge]\nhost = "broker.example.org"\npassword = "hunter 22"\n', "[bridge] password"),
    ('[mqtt]\npassword = 12345678\n', "[mqtt] password"),
    ('[display]\nbusy_at = 50\nvery_busy_at = 12345678\n[mqtt]\npassword = "hunter22"\n', "display.very_busy_at"),
])
def test_firstboot_errors_name_the_key_never_the_value(firstboot: FirstBoot, settings: str, names: str) -> None:
    """Issue 15.8: firstboot-error.txt is on the kiosk's home screen, for anyone to read."""
    (firstboot.config / "config.toml").write_text(CONFIG_IN_USE)
    firstboot.settings.write_text(settings)
    result = firstboot.run()
    assert result.returncode == 1
    message = firstboot.error.read_text()
    assert names in message, message
    for secret in ("hunter22", "hunter 22", "12345678", "70000"):
        assert secret not in message and secret not in result.stderr and secret not in result.stdout, message
    assert (firstboot.config / "config.toml").read_text() == CONFIG_IN_USE  # nothing replaced
    assert not (firstboot.config / "secrets").exists()


def test_firstboot_checks_the_merged_result_before_replacing_anything(firstboot: FirstBoot) -> None:
    """A file that is fine alone but breaks the config in use (very_busy_at below its busy_at)."""
    (firstboot.config / "config.toml").write_text(CONFIG_IN_USE + "\n[display]\nbusy_at = 30\n")
    firstboot.settings.write_text('[display]\nvery_busy_at = 20\n')
    assert firstboot.run().returncode == 1
    assert "display.very_busy_at" in firstboot.error.read_text()
    assert "busy_at = 30" in (firstboot.config / "config.toml").read_text()
