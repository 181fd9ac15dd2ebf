"""SchemaRegistry alone, under mocks: documents deployed as given, every problem at once, no rewiring."""

from __future__ import annotations

import pytest

from components.schema_registry import SchemaDocument, SchemaRegistry, SchemaRegistryArgs
from tests.unit.test_components import run
from tests.unit.test_hostile_transforms import hostile

PLACED = SchemaDocument(
    key="OrderPlaced", name="shop.orders@OrderPlaced", content='{"type": "object"}', description="x"
)


def test_each_document_is_a_schema_of_the_registry_and_a_transform_cannot_move_it() -> None:
    args = SchemaRegistryArgs(registry_name="shop-test", description="contracts", schemas=(PLACED,))
    transforms = {"registry": hostile(name="renamed"), "schema": hostile(registry_name="other", content="{}")}
    result = run(lambda: SchemaRegistry("contracts", args, transforms=transforms))
    assert result.named("contracts-registry").inputs["name"] == "shop-test"
    schema = result.named("contracts-schema-OrderPlaced").inputs
    assert (schema["registryName"], schema["name"], schema["type"], schema["content"]) == (
        "shop-test",
        "shop.orders@OrderPlaced",
        "JSONSchemaDraft4",
        '{"type": "object"}',
    )


def test_every_problem_is_reported_at_once() -> None:
    empty = SchemaDocument(key="bad key", name="n", content=" ", description="d")
    args = SchemaRegistryArgs(registry_name="r", description="d", schemas=(PLACED, PLACED, empty), schema_type="XML")
    with pytest.raises(ValueError, match="SchemaRegistry 'contracts' has invalid arguments") as raised:
        run(lambda: SchemaRegistry("contracts", args))
    for problem in (
        "schema_type must be one of JSONSchemaDraft4, OpenApi3, got 'XML'",
        "schema key 'OrderPlaced' is used twice",
        "schema key 'bad key' must be letters, digits and dashes",
        "schema 'bad key' is empty",
    ):
        assert problem in str(raised.value)
