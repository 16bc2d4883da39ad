"""The config file described for people: the commented example that ``doorstep
init-config`` writes and docs/CONFIG.md (``make docs``), both generated from the
declarations in appliance/core/config.py so neither can drift from the code."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from appliance.core.config import (
    BeamConfig,
    Config,
    DoorConfig,
    PirConfig,
    Range,
    Text,
    TextList,
    _fields,
    _join,
)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(value)  # pragma: no cover


def iter_keys(cls: Any = Config, prefix: str = "") -> typing.Iterator[tuple[str, dataclasses.Field[Any]]]:
    """Every key of the file as (dotted name, field), tables included; docs and tests use it."""
    hints = typing.get_type_hints(cls)
    for name, f in _fields(cls).items():
        dotted = _join(prefix, name)
        yield dotted, f
        tp = hints[name]
        if dataclasses.is_dataclass(tp):
            yield from iter_keys(tp, dotted)
        elif typing.get_origin(tp) is tuple and dataclasses.is_dataclass(typing.get_args(tp)[0]):
            yield from iter_keys(typing.get_args(tp)[0], dotted + "[]")


def _section_lines(cls: Any, instance: Any, header: str, array: bool = False) -> list[str]:
    lines = [f"[[{header}]]" if array else f"[{header}]"]
    hints = typing.get_type_hints(cls)
    nested: list[str] = []
    for name, f in _fields(cls).items():
        value = getattr(instance, name)
        if dataclasses.is_dataclass(hints[name]):
            nested += ["", f"# {f.metadata['doc']}"] + _section_lines(
                hints[name], value, f"{header}.{name}"
            )
            continue
        if typing.get_origin(hints[name]) is tuple and dataclasses.is_dataclass(typing.get_args(hints[name])[0]):
            nested += ["", f"# {f.metadata['doc']}"]
            for i, item in enumerate(value):  # a list of tables inside a table: one [[...]] block each
                block = _section_lines(typing.get_args(hints[name])[0], item, f"{header}.{name}", array=True)
                # the keys are described once, on the first block
                nested += block if i == 0 else [line for line in block if not line.startswith("#")]
            continue
        doc = f.metadata["doc"]
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        allowed = allowed_values(f.metadata.get("check"))
        lines.append(f"# {doc}{' (required)' if required else ''}{f' ({allowed})' if allowed else ''}")
        lines.append(f"{name} = {_toml_value(value)}")
    return lines + nested


_EXAMPLE_SENSORS = {
    "doors": DoorConfig(id="front", pin=17, name="Front door"),
    "beams": BeamConfig(id="entrance", outer_pin=23, inner_pin=24),
    "pir": PirConfig(id="hall", pin=4),
}


def example() -> str:
    """The commented example config: every key with its default."""
    config = Config()
    out = [
        "# Doorstep configuration. Every key is shown with its default value.",
        "# Edit what you need; delete nothing you don't understand, it is the default anyway.",
        "# Check it with: doorstep check-config --config THIS-FILE",
        "",
    ]
    hints = typing.get_type_hints(Config)
    for name, f in _fields(Config).items():
        tp = hints[name]
        out.append(f"# ---- {f.metadata['doc']} ----")
        if typing.get_origin(tp) is tuple:
            item_type = typing.get_args(tp)[0]
            sample = _EXAMPLE_SENSORS.get(name) or _placeholder(item_type)
            out.append("# None by default. Add one table per sensor, e.g. uncomment and edit:")
            out += [
                "# " + line if line and not line.startswith("#") else line
                for line in _section_lines(item_type, sample, name, array=True)
            ]
        else:
            out += _section_lines(tp, getattr(config, name), name)
        out.append("")
    return "\n".join(out)


def _placeholder(cls: Any) -> Any:
    values = {}
    for f in dataclasses.fields(cls):
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            values[f.name] = {"id": "example"}.get(f.name, 0)
    return cls(**values)


def allowed_values(check: Any) -> str:
    """A key's declared rule in words, for the docs ("1 to 3650 days"), or ''."""
    if isinstance(check, Range):
        return check.words + (f", dividing {check.divides}" if check.divides else "")
    if isinstance(check, TextList):
        return f"1 to {check.max_items} entries of up to {check.item.max_length} characters"
    if isinstance(check, Text):
        return f"text of up to {check.max_length} characters"
    # a plain validator's docstring says what it allows, in words
    return (check.__doc__ or "").strip() if callable(check) and not isinstance(check, type) else ""


def reference_markdown() -> str:
    """docs/CONFIG.md: every key, its type, default and meaning (``make docs`` writes it)."""
    hints_cache: dict[Any, dict[str, Any]] = {}
    lines = [
        "# Configuration reference",
        "",
        "One TOML file, `/etc/doorstep/config.toml` by default. Every key has a default unless",
        "marked required. `doorstep init-config PATH` writes an example with every key;",
        "`doorstep check-config --config PATH` validates one. A wrong key or value stops the",
        "role with one line naming the key, and exit status 2.",
        "",
        "Numbers outside their allowed range are refused the same way, whether they come from",
        "the file or from the dashboard's Settings page. Keys marked *Settings page* can also",
        "be changed there while running (the page's value wins over the file's).",
        "",
        "This file is generated from `appliance/core/config.py` by `make docs`; a test keeps it true.",
        "",
        "| key | type | default | allowed | meaning |",
        "|---|---|---|---|---|",
    ]
    for dotted, f in iter_keys():
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if required:
            default = "(required)"
        else:
            value = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc,operator]
            if dataclasses.is_dataclass(value):
                default = "(table)"
            elif isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
                default = "(list of tables)"
            else:
                default = f"`{_toml_value(value)}`" if not (isinstance(value, tuple) and not value) else "`[]`"
        tp = _key_type(dotted, hints_cache)
        allowed = allowed_values(f.metadata.get("check"))
        where = " *Settings page.*" if f.metadata.get("label") else ""
        lines.append(f"| `{dotted}` | {tp} | {default} | {allowed} | {f.metadata['doc']}{where} |")
    return "\n".join(lines) + "\n"


def _key_type(dotted: str, cache: dict[Any, dict[str, Any]]) -> str:
    cls: Any = Config
    parts = dotted.replace("[]", "").split(".")
    tp: Any = None
    for part in parts:
        hints = cache.setdefault(cls, typing.get_type_hints(cls))
        tp = hints[part]
        if dataclasses.is_dataclass(tp):
            cls = tp
        elif typing.get_origin(tp) is tuple and dataclasses.is_dataclass(typing.get_args(tp)[0]):
            cls = typing.get_args(tp)[0]
    if typing.get_origin(tp) is tuple and dataclasses.is_dataclass(typing.get_args(tp)[0]):
        return "array of tables"
    if typing.get_origin(tp) is tuple:
        return "list of strings"
    if dataclasses.is_dataclass(tp):
        return "table"
    return {str: "string", int: "integer", float: "number", bool: "true or false"}.get(tp, str(tp))
