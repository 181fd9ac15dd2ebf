"""The stack deploys the event contracts to its EventBridge Schema Registry, one schema per detail-type."""

from __future__ import annotations

import json

from devtools.program import ProgramRun
from handlers.shared.event_contracts import load_schema, schema_path
from services.contracts import schema_file, schema_name
from services.events import EVENT_TYPES

REGISTRY = "aws:schemas/registry:Registry"
SCHEMA = "aws:schemas/schema:Schema"


def test_each_stack_has_one_registry_named_after_the_stack(run: ProgramRun) -> None:
    (registry,) = run.of_type(REGISTRY)

    assert registry.outputs["name"] == f"eventshop-{run.stack}"
    assert registry.provider is not None
    assert registry.provider.split("::")[-2] == "contracts-aws"


def test_every_detail_type_is_a_draft_4_schema_in_the_stacks_registry(run: ProgramRun) -> None:
    schemas = {schema.inputs["name"]: schema for schema in run.of_type(SCHEMA)}

    assert set(schemas) == {schema_name(detail_type) for detail_type in EVENT_TYPES}
    for detail_type in EVENT_TYPES:
        schema = schemas[schema_name(detail_type)]
        assert schema.inputs["registryName"] == f"eventshop-{run.stack}"
        assert schema.inputs["type"] == "JSONSchemaDraft4"
        assert json.loads(schema.inputs["content"]) == load_schema(detail_type)


def test_schema_names_follow_eventbridge_discovery_and_files_are_the_handlers_own() -> None:
    assert schema_name("OrderPlaced") == "eventshop.orders@OrderPlaced"
    assert schema_name("Object Created") == "aws.s3@ObjectCreated"
    for detail_type in EVENT_TYPES:
        assert schema_file(detail_type).resolve() == schema_path(detail_type).resolve()
