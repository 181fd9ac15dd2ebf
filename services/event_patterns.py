"""Checks an event pattern against the catalogue and the contracts while the program is built.

A rule whose detail-type nobody produces, or whose pattern can match no catalogued contract, deploys
fine and then waits forever for an event that never comes. These checks run as the program declares each
subscription, so they fail a mock run and `pulumi preview` alike, naming the subscriber and what is wrong.

What is checked: the pattern names detail-types; each is catalogued (someone produces it); some catalogued
(source, detail-type) pair matches the pattern's `source` and `detail-type`; each field of its `detail`
filter is in the contract of a matched detail-type, and a literal value there has the type and (when the
contract lists them) one of the values the contract allows. Content filters (`prefix`, `anything-but`,
...) and values only known at deployment (Pulumi outputs) are accepted as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

_JSON_TYPES: Mapping[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


class CataloguedEvent(Protocol):
    @property
    def detail_type(self) -> str: ...

    @property
    def source(self) -> str: ...


def _literals(matchers: Any) -> list[Any] | None:
    """A pattern field's literal values, or None when it holds anything else (content filters, outputs)."""
    if not isinstance(matchers, list) or not all(isinstance(m, str | int | float | bool) for m in matchers):
        return None
    return list(matchers)


def pattern_problems(
    pattern: Mapping[str, Any],
    catalogue: Mapping[str, CataloguedEvent],
    schema_of: Callable[[str], Mapping[str, Any]],
) -> list[str]:
    """Every reason `pattern` can never match an event the shop puts on a bus (empty: it can)."""
    detail_types = _literals(pattern.get("detail-type"))
    sources = _literals(pattern.get("source"))
    if not detail_types:
        return [f"names no detail-type, so it would take every event of {sources or 'every source'}"]
    problems = [
        f"nobody produces {name!r}: the catalogue lists no producer of it (catalogued: {', '.join(catalogue)})"
        for name in detail_types
        if name not in catalogue
    ]
    catalogued = [catalogue[name] for name in detail_types if name in catalogue]
    matched = [event for event in catalogued if not sources or event.source in sources]
    if not matched:
        named = ", ".join(map(str, sources or []))
        problems.extend(
            f"matches no contract: {event.detail_type} comes from {event.source}, not {named}" for event in catalogued
        )
        return problems
    detail = pattern.get("detail")
    if isinstance(detail, Mapping):
        per_contract = {event.detail_type: _filter_problems(detail, schema_of(event.detail_type)) for event in matched}
        if all(per_contract.values()):
            problems.extend(
                f"matches no contract: {name}: {problem}" for name, found in per_contract.items() for problem in found
            )
    return problems


def _filter_problems(pattern: Mapping[str, Any], schema: Mapping[str, Any], path: str = "detail") -> list[str]:
    """Why the `detail` filter `pattern` can match no event valid under `schema` (empty: it can)."""
    problems: list[str] = []
    properties: Mapping[str, Any] = schema.get("properties", {})
    for key, matchers in pattern.items():
        field = f"{path}.{key}"
        if key not in properties:
            problems.append(f"{field} is not in the contract (it has {', '.join(properties) or 'no fields'})")
        elif isinstance(matchers, Mapping):
            problems.extend(_filter_problems(matchers, properties[key], field))
        else:
            problems.extend(_value_problems(field, _literals(matchers), properties[key]))
    return problems


def _value_problems(field: str, literals: Sequence[Any] | None, schema: Mapping[str, Any]) -> list[str]:
    if not literals:
        return []
    allowed = schema.get("enum")
    types = schema.get("type")
    accepted = _JSON_TYPES.get(types, (object,)) if isinstance(types, str) else (object,)

    def fits(value: Any) -> bool:
        if isinstance(value, bool) and bool not in accepted and object not in accepted:
            return False
        return isinstance(value, accepted) and (allowed is None or value in allowed)

    if any(fits(value) for value in literals):
        return []
    wanted = f"one of {allowed}" if allowed is not None else f"a {types}"
    return [f"{field} is {wanted} in the contract, so {literals} never matches"]
