"""DESIGN.md's layering: domain modules import no Flask, paho, gpiozero or serial; only one
module imports paho; hardware libraries only under sensors/; sensors/ uses nothing of kiosk/."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# appliance modules that wire roles together rather than hold domain rules
EDGE_MODULES = {"appliance/mqtt.py", "appliance/agent.py", "appliance/cli.py", "appliance/demo.py",
                "appliance/roles.py"}
FRAMEWORKS = {"flask", "werkzeug", "waitress", "paho", "gpiozero", "serial", "kiosk", "sensors"}
HARDWARE = {"gpiozero", "serial"}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def shipped_files() -> list[Path]:
    # not bench/: it measures its floors with bare paho and drives MockFactory pins itself, by design
    return [p for d in ("appliance", "sensors", "kiosk") for p in (ROOT / d).rglob("*.py")]


def test_domain_modules_import_no_framework_or_hardware() -> None:
    offenders = {}
    for path in (ROOT / "appliance").rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel in EDGE_MODULES:
            continue
        bad = imports_of(path) & FRAMEWORKS
        if bad:
            offenders[rel] = sorted(bad)
    assert offenders == {}


def test_only_one_module_imports_paho() -> None:
    users = [p.relative_to(ROOT).as_posix() for p in shipped_files() if "paho" in imports_of(p)]
    assert users == ["appliance/mqtt.py"]


def test_hardware_libraries_only_under_sensors() -> None:
    users = [p.relative_to(ROOT).as_posix() for p in shipped_files() if imports_of(p) & HARDWARE]
    assert users and all(u.startswith("sensors/") for u in users), users


def test_sensors_use_nothing_of_kiosk_and_kiosk_no_hardware() -> None:
    for path in (ROOT / "sensors").rglob("*.py"):
        assert "kiosk" not in imports_of(path), path
        assert "flask" not in imports_of(path), path
    for path in (ROOT / "kiosk").rglob("*.py"):
        assert not imports_of(path) & (HARDWARE | {"paho", "sensors"}), path


def test_nothing_reads_the_wall_clock_but_the_clock_module() -> None:
    offenders = []
    for path in shipped_files():
        rel = path.relative_to(ROOT).as_posix()
        if rel == "appliance/clock.py":
            continue
        text = path.read_text(encoding="utf-8")
        for needle in ("datetime.now(", "datetime.utcnow(", "date.today(", "time.time("):
            if needle in text:
                offenders.append(f"{rel}: {needle}")
    assert offenders == []
