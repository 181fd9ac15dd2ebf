"""The JSON wire format: money is a ``Decimal`` inside, a JSON number with two decimals outside.

Every ``Decimal`` in eventshop is an amount of money (quantities and counts are ``int``), so the
encoder writes each ``Decimal`` as a number with exactly two decimals (``12.50``), never as a float
and never as a string. Parsing keeps JSON fractions exact with ``parse_float=Decimal``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")


def money(value: Decimal | int | str | float) -> Decimal:
    """Return ``value`` as a ``Decimal`` rounded half-up to cents (floats go through ``str`` first)."""
    if isinstance(value, float):
        value = str(value)
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def loads(text: str | bytes) -> Any:
    """Parse JSON keeping fractions exact (``Decimal``) and integers as ``int``."""
    return json.loads(text, parse_float=Decimal)


def dumps(value: Any) -> str:
    """Serialise ``value`` to compact JSON; a ``Decimal`` becomes a number with two decimals."""
    return "".join(_encode(value))


def _encode(value: Any) -> list[str]:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot encode non-finite amount {value!r}")
        return [format(money(value), "f")]
    if isinstance(value, Mapping):
        parts = ["{"]
        for index, (key, item) in enumerate(value.items()):
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be strings, got {key!r}")
            parts.extend([*([","] if index else []), json.dumps(key), ":", *_encode(item)])
        parts.append("}")
        return parts
    if isinstance(value, list | tuple):
        parts = ["["]
        for index, item in enumerate(value):
            parts.extend([*([","] if index else []), *_encode(item)])
        parts.append("]")
        return parts
    if isinstance(value, set | frozenset):
        return _encode(sorted(value))
    # str, int, bool, None and float are left to the standard encoder (it rejects anything else).
    return [json.dumps(value, allow_nan=False)]
