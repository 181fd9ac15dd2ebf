"""One event catalogue: the program's rules and the handlers' source check read the same JSON file."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pytest

from components.function import code_archive
from handlers.shared import event_contracts
from handlers.shared.events import SOURCES
from services import events
from services.events import EVENT_TYPES, CatalogueError, load_catalogue


def test_the_program_and_the_handlers_read_the_same_catalogue_file() -> None:
    entries = json.loads(events.CATALOGUE.read_text(encoding="utf-8"))["events"]

    assert events.CATALOGUE.samefile(event_contracts.CATALOGUE)
    assert dict(SOURCES) == {name: entry["source"] for name, entry in entries.items()}
    assert {name: (event.source, event.producer) for name, event in EVENT_TYPES.items()} == {
        name: (entry["source"], entry["producer"]) for name, entry in entries.items()
    }


def test_every_function_package_carries_the_catalogue_its_handlers_load() -> None:
    """Each function is packaged with handlers/shared, so the catalogue is there at run time, at the same path."""
    archive = code_archive(("handlers/billing", "handlers/shared"))
    shared = archive.assets["handlers/shared"]
    assert isinstance(shared, pulumi.FileArchive)
    shipped = Path(shared.path)

    assert (shipped / event_contracts.CATALOGUE.relative_to(Path(event_contracts.__file__).parent)).is_file()


def test_a_bad_catalogue_entry_is_refused_naming_the_detail_type_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "catalogue.json"
    bad.write_text(
        json.dumps(
            {
                "events": {
                    "LoyaltyAwarded": {"source": "eventshop.loyalty"},
                    "OrderPlaced": {"source": "eventshop.orders", "producer": "Orders", "owner": "team-a"},
                }
            }
        )
    )

    with pytest.raises(CatalogueError) as error:
        load_catalogue(bad)
    message = str(error.value)
    assert "LoyaltyAwarded.producer: must be non-empty text, got None" in message
    assert "OrderPlaced.owner: unknown field (known: source, producer, unconsumed)" in message
