"""URL converters that fit the database: an id beyond SQLite's 64-bit integers is a 404,
not an OverflowError (the fault suite's fuzzing found that)."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter

SQLITE_MAX_INT = 2**63 - 1


class DatabaseIntConverter(IntegerConverter):
    """``<int:...>`` limited to what an SQLite INTEGER can hold."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", SQLITE_MAX_INT)
        super().__init__(map, *args, **kwargs)
