"""The kiosk's catalogs: every message translated, none fuzzy, the compiled files current."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "kiosk" / "translations"
CATALOGS = sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))


def source_messages() -> set[str]:
    """Every message the kiosk's code and templates ask for, extracted as pybabel would."""
    with open(ROOT / "kiosk" / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT), method_map, options_map):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_there_is_a_welsh_catalog() -> None:
    assert [p.parent.parent.name for p in CATALOGS] == ["cy"]


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_no_message_is_untranslated_or_fuzzy(path: Path) -> None:
    with path.open("rb") as f:
        catalog = read_po(f)
    problems = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert problems == [], f"{path.parent.parent.name}: untranslated or fuzzy: {problems}"


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_every_message_on_screen_is_in_the_catalog(path: Path) -> None:
    with path.open("rb") as f:
        catalog = read_po(f)
    missing = sorted(source_messages() - {m.id for m in catalog if m.id})
    assert missing == [], f"run pybabel extract/update (see kiosk/babel.cfg); missing: {missing}"


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_compiled_catalog_matches_the_po(path: Path) -> None:
    mo_path = path.with_suffix(".mo")
    assert mo_path.exists(), f"run: pybabel compile -d kiosk/translations ({mo_path.name} missing)"
    with path.open("rb") as f:
        po = {m.id: m.string for m in read_po(f) if m.id}
    with mo_path.open("rb") as f:
        mo = {m.id: m.string for m in read_mo(io.BytesIO(f.read())) if m.id}
    assert mo == po, "the .mo is older than the .po: run pybabel compile -d kiosk/translations"


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_placeholders_survive_translation(path: Path) -> None:
    import re

    with path.open("rb") as f:
        catalog = read_po(f)
    pattern = re.compile(r"%\(\w+\)\w|\{\w+\}")
    for m in catalog:
        if m.id:
            assert sorted(pattern.findall(m.id)) == sorted(pattern.findall(m.string)), m.id
