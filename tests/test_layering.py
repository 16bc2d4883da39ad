"""The layering of docs/ARCHITECTURE.md: appliance/'s packages stand on floors and a lower
one never imports a higher one; domain modules import no Flask, paho, gpiozero or serial;
only one module imports paho; hardware libraries only under sensors/; sensors/ uses
nothing of kiosk/; no import circle anywhere."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# appliance/'s packages from the ground floor up: each may import only its own floor and
# the floors below it (docs/ARCHITECTURE.md, "Layering").
FLOORS = ["core", "storage", "outbox", "sensing", "booking", "people", "rota", "decisions", "views", "privacy", "publishing"]
# The house's folders, ground floor first: each imports only those before it.
HOUSE = ["appliance", "sensors", "kiosk", "doorstep"]
# the one appliance module that speaks a protocol library (paho)
EDGE_MODULES = {"appliance/publishing/mqtt.py"}
FRAMEWORKS = {"flask", "werkzeug", "waitress", "paho", "gpiozero", "serial", "kiosk", "sensors", "doorstep"}
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
    return [p for d in HOUSE for p in (ROOT / d).rglob("*.py")]


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
    assert users == ["appliance/publishing/mqtt.py"]


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
        if rel == "appliance/core/clock.py":
            continue
        text = path.read_text(encoding="utf-8")
        for needle in ("datetime.now(", "datetime.utcnow(", "date.today(", "time.time("):
            if needle in text:
                offenders.append(f"{rel}: {needle}")
    assert offenders == []


def _appliance_imports(path: Path) -> set[str]:
    """The appliance modules a file imports (dotted), at any depth of the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in HOUSE:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    found.add(sub if _module_file(sub) else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] in HOUSE)
    return found


def _module_file(dotted: str) -> Path | None:
    base = ROOT / dotted.replace(".", "/")
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def test_no_folder_imports_a_later_one() -> None:
    offenders = []
    for rank, top in enumerate(HOUSE):
        for path in (ROOT / top).rglob("*.py"):
            later = imports_of(path) & set(HOUSE[rank + 1:])
            if later:
                offenders.append(f"{path.relative_to(ROOT)} imports {sorted(later)}")
    assert offenders == []


def test_every_appliance_module_lives_on_a_floor() -> None:
    loose = [p.name for p in (ROOT / "appliance").glob("*.py") if p.name != "__init__.py"]
    assert loose == [], "put each module in the package of its concern (FLOORS)"
    packages = sorted(p.name for p in (ROOT / "appliance").iterdir() if (p / "__init__.py").is_file())
    assert packages == sorted(FLOORS)


def test_a_lower_floor_never_imports_a_higher_one() -> None:
    offenders = []
    for path in (ROOT / "appliance").rglob("*.py"):
        rel = path.relative_to(ROOT / "appliance").parts
        if len(rel) < 2:
            continue  # appliance/__init__.py: the package's front door (its version)
        floor = FLOORS.index(rel[0])
        for dotted in _appliance_imports(path):
            parts = dotted.split(".")
            if parts[0] != "appliance":
                continue
            if len(parts) < 2 or parts[1] not in FLOORS:
                continue  # `from appliance import __version__`
            if FLOORS.index(parts[1]) > floor:
                offenders.append(f"appliance/{'/'.join(rel)} ({rel[0]}) imports {dotted}")
    assert offenders == []


def test_no_import_circle() -> None:
    graph: dict[str, set[str]] = {}
    for top in HOUSE:
        for path in (ROOT / top).rglob("*.py"):
            name = path.relative_to(ROOT).with_suffix("").as_posix().replace("/", ".").removesuffix(".__init__")
            graph[name] = {d for d in _appliance_imports(path) if d != name}
    circles = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                circles.append(" -> ".join([*trail[trail.index(nxt):], nxt]))
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert circles == []
