"""The shop's event catalogue as the program sees it: every detail-type, who produces it, rule patterns.

The catalogue itself is one JSON file the handlers ship with (`handlers/shared/contracts/catalogue.json`).
Patterns are built from it, so a rule can never name a detail-type with the wrong source.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components import Subscription
from services.event_patterns import pattern_problems

_PROJECT = Path(__file__).resolve().parent.parent
#: The catalogue file, shipped with the handlers (which check incoming sources against it) and read here.
CATALOGUE = _PROJECT / "handlers" / "shared" / "contracts" / "catalogue.json"
#: The detail schemas (one draft-04 JSON Schema per detail-type) beside the catalogue, relative to the project.
EVENT_CONTRACTS = Path("handlers/shared/contracts/events")
#: Each field of a catalogue entry, and whether it is required.
_FIELDS = {"source": True, "producer": True, "unconsumed": False}


class CatalogueError(ValueError):
    """The catalogue file holds an entry the program cannot use; the message names every bad entry."""


@dataclass(frozen=True)
class EventType:
    detail_type: str
    source: str
    producer: str
    #: Why no rule consumes this detail-type yet, when none does on purpose.
    unconsumed: str | None = None


def load_catalogue(path: Path = CATALOGUE) -> dict[str, EventType]:
    """Every catalogued detail-type; `CatalogueError` names each entry with a missing, unknown or non-text field."""
    events = json.loads(path.read_text(encoding="utf-8"))["events"]
    problems = []
    for detail_type, entry in events.items():
        for name in sorted(set(entry) - set(_FIELDS)):
            problems.append(f"{detail_type}.{name}: unknown field (known: {', '.join(_FIELDS)})")
        for name, required in _FIELDS.items():
            value = entry.get(name)
            if (required or value is not None) and not (isinstance(value, str) and value.strip()):
                problems.append(f"{detail_type}.{name}: must be non-empty text, got {value!r}")
    if problems:
        raise CatalogueError(f"{path}: " + "; ".join(problems))
    return {detail_type: EventType(detail_type, **entry) for detail_type, entry in events.items()}


EVENT_TYPES = load_catalogue()

#: Detail-types no rule consumes yet, each on purpose and with the reason (the catalogue's `unconsumed`). The
#: contract tests fail for a produced detail-type that has no consumer rule and is not listed, and for a listed
#: one that a rule consumes: wiring a consumer means removing its reason from the catalogue.
UNCONSUMED: dict[str, str] = {name: event.unconsumed for name, event in EVENT_TYPES.items() if event.unconsumed}


def source_of(detail_type: str) -> str:
    return EVENT_TYPES[detail_type].source


def contract_name(detail_type: str) -> str:
    """The file stem of a detail-type's schema: ``Object Created`` -> ``ObjectCreated``."""
    return "".join(detail_type.split())


def schema_file(detail_type: str) -> Path:
    return EVENT_CONTRACTS / f"{contract_name(detail_type)}.json"


def load_schema(detail_type: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((_PROJECT / schema_file(detail_type)).read_text(encoding="utf-8"))
    return schema


class SubscriptionError(ValueError):
    """A subscription can never receive an event: nobody produces what it names, or no contract matches."""


def checked(subscription: Subscription, subscriber: str) -> Subscription:
    """`subscription` itself, once its pattern is known to match a contract; else `SubscriptionError` naming
    the subscriber, the rule and every reason (see `services.event_patterns`)."""
    problems = pattern_problems(subscription.pattern, EVENT_TYPES, load_schema)
    if problems:
        lines = "\n".join(f"  - {problem}" for problem in problems)
        raise SubscriptionError(
            f"{subscriber}'s subscription {subscription.key!r} can never receive an event:\n{lines}"
        )
    return subscription


def subscriptions(
    *detail_types: str, subscriber: str = "a subscriber", where: Mapping[str, Any] | None = None
) -> tuple[Subscription, ...]:
    """One rule per producing source, each matching exactly that source's named detail-types (and, with `where`,
    only events whose detail matches that content filter), each checked against the catalogue and contracts.

    The rule key is the source's last word (`eventshop.billing` -> `billing`), stable across edits.
    """
    unknown = [name for name in detail_types if name not in EVENT_TYPES]
    if unknown:
        pattern = {"detail-type": sorted(unknown)}
        checked(Subscription(key="unknown", pattern=pattern), subscriber)
    by_source: dict[str, list[str]] = defaultdict(list)
    for name in detail_types:
        by_source[source_of(name)].append(name)
    return tuple(
        checked(
            Subscription(
                key=source.rsplit(".", 1)[-1],
                pattern={"source": [source], "detail-type": sorted(names)} | ({"detail": dict(where)} if where else {}),
            ),
            subscriber,
        )
        for source, names in sorted(by_source.items())
    )
