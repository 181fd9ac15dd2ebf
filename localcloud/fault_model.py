"""The fault set's model: ``{"seed": N, "faults": [...]}`` parsed strictly, every problem named at once.

Kinds and their fields (``function`` is a short function name such as ``billing``; unscoped kinds apply to
every function):

- ``error``: ``service``, ``operation`` (botocore's names, checked against its models), ``error`` (an AWS
  error code), ``probability`` (default 1), ``function`` (optional);
- ``crash``: ``function``, ``times`` (default 1);
- ``pause``: ``function``, ``seconds``;
- ``duplicate``: ``probability`` (default 1), ``function`` (optional);
- ``latency``: ``ms``, ``probability`` (default 1), ``function`` (optional).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import botocore.session
from botocore.exceptions import UnknownServiceError

_ERROR_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9.]{0,127}$")


class FaultSetError(ValueError):
    """A fault set that cannot be applied; ``problems`` names every bad field."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid fault set: " + "; ".join(self.problems))


@dataclass(frozen=True)
class Fault:
    """One fault as given (``kind`` plus its fields; ``function`` scopes it, None means every function)."""

    kind: str
    function: str | None = None
    service: str | None = None
    operation: str | None = None
    error: str | None = None
    probability: float = 1.0
    times: int = 0
    seconds: float = 0.0
    ms: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        fields = {"kind": self.kind, "function": self.function}
        fields |= {name: getattr(self, name) for name in _KINDS[self.kind].fields if name != "function"}
        return {key: value for key, value in fields.items() if value is not None}


@dataclass(frozen=True)
class FaultSet:
    seed: int = 0
    faults: tuple[Fault, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "faults": [fault.as_dict() for fault in self.faults]}


# --- parsing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    check: Callable[[Any], str | None]  # None when valid, else what is wrong
    required: bool = False
    default: Any = None


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "must be a non-empty string"


def _probability(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
        return f"must be a number between 0 and 1, got {value!r}"
    return None


def _positive_int(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return f"must be an integer of at least 1, got {value!r}"
    return None


def _positive_number(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return f"must be a number greater than 0, got {value!r}"
    return None


def _error_code(value: Any) -> str | None:
    if not isinstance(value, str) or not _ERROR_CODE.match(value):
        return f"must be an AWS error code such as ThrottlingException, got {value!r}"
    return None


@dataclass(frozen=True)
class _Kind:
    fields: dict[str, _Field]


_FUNCTION = _Field(_text)
_KINDS: dict[str, _Kind] = {
    "error": _Kind(
        {
            "service": _Field(_text, required=True),
            "operation": _Field(_text, required=True),
            "error": _Field(_error_code, required=True),
            "probability": _Field(_probability, default=1.0),
            "function": _FUNCTION,
        }
    ),
    "crash": _Kind({"function": _Field(_text, required=True), "times": _Field(_positive_int, default=1)}),
    "pause": _Kind({"function": _Field(_text, required=True), "seconds": _Field(_positive_number, required=True)}),
    "duplicate": _Kind({"probability": _Field(_probability, default=1.0), "function": _FUNCTION}),
    "latency": _Kind(
        {
            "ms": _Field(_positive_number, required=True),
            "probability": _Field(_probability, default=1.0),
            "function": _FUNCTION,
        }
    ),
}


def parse_fault_set(document: Any) -> FaultSet:
    """``{"seed": N, "faults": [...]}`` as a ``FaultSet``; raises ``FaultSetError`` naming every problem."""
    problems: list[str] = []
    if not isinstance(document, Mapping):
        raise FaultSetError(
            [f'the fault set must be an object {{"seed": N, "faults": [...]}}, got {type(document).__name__}']
        )
    for key in sorted(set(document) - {"seed", "faults"}):
        problems.append(f"unknown field {key!r} (allowed: faults, seed)")
    seed = document.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        problems.append(f"seed: must be an integer, got {seed!r}")
    raw_faults = document.get("faults", [])
    faults: list[Fault] = []
    if not isinstance(raw_faults, list):
        problems.append(f"faults: must be a list, got {type(raw_faults).__name__}")
        raw_faults = []
    for index, raw in enumerate(raw_faults):
        fault = _parse_fault(f"faults[{index}]", raw, problems)
        if fault is not None:
            faults.append(fault)
    if problems:
        raise FaultSetError(problems)
    return FaultSet(seed=int(seed), faults=tuple(faults))


def _parse_fault(where: str, raw: Any, problems: list[str]) -> Fault | None:
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: must be an object, got {type(raw).__name__}")
        return None
    kind_name = raw.get("kind")
    kind = _KINDS.get(kind_name) if isinstance(kind_name, str) else None
    if kind is None:
        problems.append(f"{where}.kind: unknown kind {kind_name!r} (known: {', '.join(sorted(_KINDS))})")
        return None
    before = len(problems)
    values = _parse_fields(where, str(kind_name), kind, raw, problems)
    if kind_name == "error" and len(problems) == before:
        wrong = _unknown_operation(str(values["service"]), str(values["operation"]))
        if wrong:
            problems.append(f"{where}.{wrong}")
    if len(problems) != before:
        return None
    for number in ("probability", "seconds", "ms"):
        if number in values:
            values[number] = float(values[number])
    return Fault(kind=str(kind_name), **values)


def _parse_fields(
    where: str, kind_name: str, kind: _Kind, raw: Mapping[str, Any], problems: list[str]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in sorted(set(raw) - set(kind.fields) - {"kind"}):
        problems.append(
            f"{where}: unknown field {key!r} for kind {kind_name!r} (allowed: {', '.join(sorted(kind.fields))})"
        )
    for name, spec in kind.fields.items():
        if name not in raw:
            if spec.required:
                problems.append(f"{where}.{name}: required for kind {kind_name!r}")
            elif spec.default is not None:
                values[name] = spec.default
            continue
        wrong = spec.check(raw[name])
        if wrong:
            problems.append(f"{where}.{name}: {wrong}")
        else:
            values[name] = raw[name]
    return values


_service_operations: dict[str, frozenset[str]] = {}


def _unknown_operation(service: str, operation: str) -> str | None:
    """What is wrong with (service, operation) by botocore's own models, else None."""
    if service not in _service_operations:
        try:
            model = botocore.session.get_session().get_service_model(service)
        except UnknownServiceError:
            return f"service: unknown AWS service {service!r} (use botocore's name, e.g. events, dynamodb, sqs)"
        _service_operations[service] = frozenset(model.operation_names)
    if operation not in _service_operations[service]:
        return f"operation: {service} has no operation {operation!r} (use the API name, e.g. PutEvents)"
    return None
