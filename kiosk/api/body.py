"""What a JSON request carries: one object, read through appliance.core.inputs.parse_json,
so a body that is not UTF-8, not JSON, nested thousands deep or holding a lone surrogate
or a NUL is a 400 with a sentence naming the field, never a 500."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from flask import abort, request

from appliance.core.inputs import InputError, parse_json


def json_object(example: str, fields: Collection[str]) -> dict[str, Any]:
    """The request's JSON object, or a 400 that says what was wrong and shows ``example``.

    A field the operation does not know is refused by name (the schema says
    ``additionalProperties: false``): a typo such as "organizer" is an error the
    integrator sees, not a value silently dropped."""
    if not request.is_json:
        abort(400, description=f"Send a JSON object with Content-Type: application/json, e.g. {example}.")
    try:
        data = parse_json(request.get_data(cache=True))
    except InputError as exc:
        abort(400, description=str(exc))
    if not isinstance(data, dict):
        abort(400, description=f"Send a JSON object, e.g. {example}.")
    unknown = sorted(set(data) - set(fields))
    if unknown:
        abort(400, description=f"Unknown field {unknown[0][:40]!r}; the fields are {', '.join(sorted(fields))}.")
    return data
