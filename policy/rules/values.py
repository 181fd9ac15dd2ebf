"""Reading property bags the way the engine hands them over: proxies, JSON text, unknown values.

Standard library and pulumi_policy only, like the whole pack, so its own virtualenv stays small.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from pulumi_policy import EnforcementLevel
from pulumi_policy.proxy import UnknownValueError

MANDATORY: Final = EnforcementLevel.MANDATORY
ADVISORY: Final = EnforcementLevel.ADVISORY


class _Unknown:
    """A value the engine cannot know yet (preview of a resource that does not exist)."""

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN: Final = _Unknown()


def value_at(props: Mapping[str, Any], *path: str | int) -> Any:
    """The value at `path`, None when absent, UNKNOWN when only the deployment will tell.

    JSON text met on the way (redrive policies, IAM documents, provider default tags) is parsed,
    and the value comes back as plain data (see `plain`), safe to iterate.
    """
    current: Any = props
    for key in path:
        if isinstance(current, str):
            current = _parse_json(current)
        indexable = isinstance(current, Mapping) or (isinstance(current, Sequence) and isinstance(key, int))
        if not indexable:
            return None
        try:
            current = current[key]
        except (KeyError, IndexError):
            return None
        except UnknownValueError:
            return UNKNOWN
    return plain(current)


def plain(value: Any) -> Any:
    """The engine's property proxies as dicts and lists, with UNKNOWN where a value is unknown.

    The proxies raise on reading an unknown value, which would also abort `list(...)` or
    `.values()` half-way; plain data lets every rule treat "unknown" as a value of its own.
    """
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key in value:
            try:
                result[key] = plain(value[key])
            except UnknownValueError:
                result[key] = UNKNOWN
        return result
    if isinstance(value, Sequence) and not isinstance(value, str):
        items: list[Any] = []
        for index in range(len(value)):
            try:
                items.append(plain(value[index]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def as_list(value: Any) -> list[Any]:
    """IAM and AWS APIs accept a scalar or a list; always a list here."""
    if value is None:
        return []
    if isinstance(value, str | _Unknown) or not isinstance(value, Iterable) or isinstance(value, Mapping):
        return [value]
    return list(value)


def is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def as_document(value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, str):
        value = _parse_json(value)
    return value if isinstance(value, Mapping) else None


def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [statement for statement in as_list(value_at(document, "Statement")) if isinstance(statement, Mapping)]
