"""The event contracts: one draft-04 JSON Schema per detail-type, describing the event's ``detail``.

The schemas live in ``contracts/events/<ContractName>.json`` (the detail-type without spaces, so S3's
``Object Created`` is ``ObjectCreated.json``), with a full sample envelope per detail-type in
``contracts/events/samples/``. The same files are deployed to the stack's EventBridge Schema Registry and
rendered into ``docs/events.md``. Each schema is compiled once, on first use, and cached.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import fastjsonschema

EVENT_CONTRACTS = Path(__file__).parent / "contracts" / "events"
SAMPLES = EVENT_CONTRACTS / "samples"
#: The event catalogue (detail-type -> source, producer): the one file the program's rules are built from too.
CATALOGUE = Path(__file__).parent / "contracts" / "catalogue.json"


class EventContractError(ValueError):
    """An event's detail breaks its detail-type's schema (or the detail-type has none)."""


def catalogued_sources() -> dict[str, str]:
    """Which source may put which detail-type, as the catalogue says."""
    events: dict[str, dict[str, str]] = json.loads(CATALOGUE.read_text(encoding="utf-8"))["events"]
    return {detail_type: event["source"] for detail_type, event in events.items()}


def contract_name(detail_type: str) -> str:
    """The file stem of a detail-type's schema and sample: ``Object Created`` -> ``ObjectCreated``."""
    return "".join(detail_type.split())


def schema_path(detail_type: str) -> Path:
    return EVENT_CONTRACTS / f"{contract_name(detail_type)}.json"


def sample_path(detail_type: str) -> Path:
    return SAMPLES / f"{contract_name(detail_type)}.json"


def load_schema(detail_type: str) -> dict[str, Any]:
    """The detail schema of ``detail_type``; ``EventContractError`` if there is none."""
    path = schema_path(detail_type)
    if not path.is_file():
        raise EventContractError(f"{detail_type} has no event contract (expected {path.name} in {EVENT_CONTRACTS})")
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


@functools.cache
def _validator(detail_type: str) -> Callable[[Any], Any]:
    compiled: Callable[[Any], Any] = fastjsonschema.compile(load_schema(detail_type))
    return compiled


def validate_detail(detail_type: str, detail: Mapping[str, Any]) -> None:
    """Raise ``EventContractError`` naming the detail-type and the first bad field if ``detail`` breaks its schema.

    Money may be ``Decimal`` (it is a JSON number on the wire); the schema's ``number`` accepts it.
    """
    try:
        _validator(detail_type)(detail)
    except fastjsonschema.JsonSchemaValueException as error:
        field = error.name.replace("data", "detail", 1) if error.name else "detail"
        message = error.message.replace("data", "detail", 1)
        raise EventContractError(
            f"{detail_type} detail breaks its contract {schema_path(detail_type).name} at {field}: {message}"
        ) from error
