"""kiosk/ stays a house without circles: no module imports one that (through others)
imports it back, no import waits at the bottom of a file, and a screen's view modules
never import their package's __init__ (it imports them, to nest their blueprints)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KIOSK = ROOT / "kiosk"


def _module_file(dotted: str) -> Path | None:
    """The file a dotted kiosk module name is, or None when it is not one of ours."""
    base = ROOT.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def kiosk_imports(path: Path) -> set[Path]:
    """The kiosk files ``path`` imports anywhere in it (a function's lazy imports too).

    ``from kiosk.manage import forms`` is an edge to kiosk/manage/forms.py, not to the
    package's __init__; ``from kiosk.manage import bp`` is an edge to the __init__.
    """
    found: set[Path] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"{node.module}.{alias.name}" if _module_file(f"{node.module}.{alias.name}") else node.module
                     for alias in node.names]
        else:
            continue
        for name in names:
            target = _module_file(name) if name.split(".")[0] == "kiosk" else None
            if target is not None and target != path:
                found.add(target)
    return found


def test_no_import_circle_in_kiosk() -> None:
    graph = {path: kiosk_imports(path) for path in KIOSK.rglob("*.py")}
    state: dict[Path, str] = {}

    def visit(path: Path, trail: list[Path]) -> None:
        state[path] = "open"
        for target in sorted(graph.get(path, ())):
            if state.get(target) == "open":
                loop = trail[trail.index(target):] + [target] if target in trail else [path, target]
                raise AssertionError("import circle: " + " -> ".join(p.relative_to(ROOT).as_posix() for p in loop))
            if target not in state:
                visit(target, [*trail, target])
        state[path] = "done"

    for path in sorted(graph):
        if path not in state:
            visit(path, [path])
    assert len(graph) >= 20


def test_no_import_below_the_first_definition() -> None:
    for path in KIOSK.rglob("*.py"):
        body = ast.parse(path.read_text(encoding="utf-8")).body
        seen_code = False
        for node in body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                assert not seen_code, f"{path.relative_to(ROOT)}:{node.lineno}: import after code (a circle waiting?)"
            elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):  # the docstring
                seen_code = True


def test_view_modules_never_import_their_package() -> None:
    for init in KIOSK.glob("*/__init__.py"):
        package = init.parent
        for path in package.glob("*.py"):
            if path.name != "__init__.py":
                assert init not in kiosk_imports(path), f"{path.relative_to(ROOT)} imports {package.name}/__init__.py"
