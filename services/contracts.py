"""Contracts: the event contracts in the stack's EventBridge Schema Registry, one schema per detail-type.

The schemas are the files the producers validate against (``handlers/shared/contracts/events``), deployed
as they are, so the registry, the code and ``docs/events.md`` cannot disagree.
"""

from __future__ import annotations

import pulumi

from components import SchemaDocument, SchemaRegistry, SchemaRegistryArgs, name_prefix
from services.events import EVENT_CONTRACTS, EVENT_TYPES, contract_name, schema_file
from settings import Settings

__all__ = ["EVENT_CONTRACTS", "SCHEMA_TYPE", "Contracts", "contract_name", "schema_file", "schema_name"]

SCHEMA_TYPE = "JSONSchemaDraft4"


def schema_name(detail_type: str) -> str:
    """The registry's name for a detail-type, as EventBridge schema discovery names them (``aws.s3@ObjectCreated``)."""
    return f"{EVENT_TYPES[detail_type].source}@{contract_name(detail_type)}"


class Contracts(pulumi.ComponentResource):
    """The stack's schema registry with one ``JSONSchemaDraft4`` schema per catalogued detail-type.

    contracts = Contracts("contracts", settings, opts=provided("contracts"))
    contracts.registry.name                  # eventshop-<stack>
    contracts.schemas["OrderPlaced"].name    # eventshop.orders@OrderPlaced
    """

    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eventshop:services:Contracts", name, None, opts)
        documents = tuple(
            SchemaDocument(
                key=contract_name(detail_type),
                name=schema_name(detail_type),
                content=schema_file(detail_type).read_text(encoding="utf-8"),
                description=f"The detail of {detail_type} ({event.source}, produced by {event.producer})",
            )
            for detail_type, event in EVENT_TYPES.items()
        )
        self.contracts = SchemaRegistry(
            name,
            SchemaRegistryArgs(
                registry_name=name_prefix(),
                description=f"Event contracts of the {settings.stack} stack's bus (one schema per detail-type)",
                schemas=documents,
                schema_type=SCHEMA_TYPE,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.registry = self.contracts.registry
        self.schemas = {detail_type: self.contracts.schemas[contract_name(detail_type)] for detail_type in EVENT_TYPES}
        self.register_outputs({"registry_name": self.registry.name})
