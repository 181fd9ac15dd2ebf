"""The shop's event catalogue as the program sees it: every detail-type, who produces it, rule patterns.

The catalogue itself is one JSON file the handlers ship with (`handlers/shared/contracts/catalogue.json`).
Patterns are built from it, so a rule can never name a detail-type with the wrong source.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from components import Subscription

#: The catalogue file, shipped with the handlers (which check incoming sources against it) and read here.
CATALOGUE = Path(__file__).resolve().parent.parent / "handlers" / "shared" / "contracts" / "catalogue.json"
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


def subscriptions(*detail_types: str) -> tuple[Subscription, ...]:
    """One rule per producing source, each matching exactly that source's named detail-types.

    The rule key is the source's last word (`eventshop.billing` -> `billing`), stable across edits.
    """
    unknown = [name for name in detail_types if name not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"unknown detail-type(s): {', '.join(unknown)} (known: {', '.join(EVENT_TYPES)})")
    by_source: dict[str, list[str]] = defaultdict(list)
    for name in detail_types:
        by_source[source_of(name)].append(name)
    return tuple(
        Subscription(
            key=source.rsplit(".", 1)[-1],
            pattern={"source": [source], "detail-type": sorted(names)},
        )
        for source, names in sorted(by_source.items())
    )
