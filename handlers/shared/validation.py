"""Request-body validation against the draft-04 JSON contracts, reporting every bad field at once.

fastjsonschema stops at the first error, so a contract is split into a tree: objects check
``required``/``additionalProperties`` themselves and recurse into each property, arrays check their own
constraints and recurse into each element, and every leaf is compiled on its own. Each piece is
compiled once, when the validator is built.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastjsonschema

CONTRACTS = Path(__file__).parent / "contracts"
DRAFT_04 = "http://json-schema.org/draft-04/schema#"
_STRUCTURE_KEYS = frozenset({"properties", "required", "additionalProperties", "items"})


@dataclass(frozen=True)
class FieldError:
    """One bad field: ``items[0].quantity`` and what is wrong with it."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


def load_contract(relative_path: str) -> dict[str, Any]:
    """Load a contract such as ``api/place_order.json`` from ``handlers/shared/contracts``."""
    schema: dict[str, Any] = json.loads((CONTRACTS / relative_path).read_text(encoding="utf-8"))
    return schema


def _compile(schema: Mapping[str, Any]) -> Callable[[Any], Any]:
    own = {key: value for key, value in schema.items() if key not in _STRUCTURE_KEYS}
    own["$schema"] = DRAFT_04
    compiled: Callable[[Any], Any] = fastjsonschema.compile(own)
    return compiled


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class _Node:
    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.check_own = _compile(schema)
        self.properties = {name: _Node(sub) for name, sub in schema.get("properties", {}).items()}
        self.required: list[str] = list(schema.get("required", []))
        self.closed = schema.get("additionalProperties") is False
        self.items = _Node(schema["items"]) if isinstance(schema.get("items"), Mapping) else None

    def errors(self, data: Any, path: str) -> list[FieldError]:
        try:
            self.check_own(data)
        except fastjsonschema.JsonSchemaValueException as error:
            # The structure below cannot be checked when the value itself is wrong (e.g. not an object).
            message = error.message.removeprefix("data ").strip()
            return [FieldError(path or "(body)", message)]
        found: list[FieldError] = []
        if isinstance(data, dict):
            found += [FieldError(_join(path, name), "is required") for name in self.required if name not in data]
            if self.closed:
                found += [
                    FieldError(_join(path, name), "is not allowed") for name in data if name not in self.properties
                ]
            for name, node in self.properties.items():
                if name in data:
                    found += node.errors(data[name], _join(path, name))
        if isinstance(data, list) and self.items is not None:
            for index, element in enumerate(data):
                found += self.items.errors(element, f"{path}[{index}]")
        return found


class BodyValidator:
    """Validates a parsed request body against one contract."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        if schema.get("$schema") != DRAFT_04:
            raise ValueError(f"contract {schema.get('title')} must declare draft-04 ($schema {DRAFT_04})")
        self._root = _Node(schema)

    def errors(self, body: Any) -> list[FieldError]:
        """Every field-level problem of ``body``; empty when it is valid."""
        return self._root.errors(body, "")
