"""SchemaRegistry: an EventBridge Schema Registry holding given documents, one schema each."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Transforms, check_transforms, child, moved_from_parent, raise_problems

SCHEMA_REGISTRY_CHILDREN = ("registry", "schema")
SCHEMA_TYPES = ("JSONSchemaDraft4", "OpenApi3")
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")


@dataclass(frozen=True, kw_only=True)
class SchemaDocument:
    """One schema in the registry.

    key: names its Pulumi resource (`<registry>-schema-<key>`), letters, digits and dashes.
    name: its name in the registry (e.g. `shop.orders@OrderPlaced`). content: the document's text.
    description: what it describes.
    """

    key: str
    name: str
    content: str
    description: str


@dataclass(frozen=True, kw_only=True)
class SchemaRegistryArgs:
    """registry_name: the registry's name (unique per account and region). description: what it holds.
    schemas: its documents. schema_type: JSONSchemaDraft4 or OpenApi3, default JSONSchemaDraft4.
    """

    registry_name: str
    description: str
    schemas: tuple[SchemaDocument, ...]
    schema_type: str = "JSONSchemaDraft4"


def _validate(args: SchemaRegistryArgs, transforms: Transforms | None) -> list[str]:
    problems: list[str] = []
    check_transforms(transforms, SCHEMA_REGISTRY_CHILDREN, problems)
    if args.schema_type not in SCHEMA_TYPES:
        problems.append(f"schema_type must be one of {', '.join(SCHEMA_TYPES)}, got {args.schema_type!r}")
    keys = [schema.key for schema in args.schemas]
    problems.extend(f"schema key {key!r} is used twice" for key in sorted(set(keys)) if keys.count(key) > 1)
    problems.extend(f"schema key {key!r} must be letters, digits and dashes" for key in keys if not _KEY.match(key))
    problems.extend(f"schema {s.key!r} is empty" for s in args.schemas if not s.content.strip())
    return problems


class SchemaRegistry(pulumi.ComponentResource):
    """A schema registry and its schemas, deployed as given (so the registry and the files the producers
    validate against cannot disagree).

        SchemaRegistry("contracts", SchemaRegistryArgs(registry_name="shop-dev", description="Event contracts",
            schemas=(SchemaDocument(key="OrderPlaced", name="shop.orders@OrderPlaced", content=text, description=...),),
        ))

    Its children were once created under the component's parent, and carry an alias to it.
    """

    registry: aws.schemas.Registry
    schemas: dict[str, aws.schemas.Schema]

    def __init__(
        self,
        name: str,
        args: SchemaRegistryArgs,
        transforms: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:components:SchemaRegistry", name, None, opts)
        raise_problems("SchemaRegistry", name, _validate(args, transforms))
        moved = moved_from_parent(opts)

        self.registry = child(
            aws.schemas.Registry,
            f"{name}-registry",
            self,
            transforms,
            "registry",
            defaults={"description": args.description},
            required={"name": args.registry_name},
            opts=moved,
        )
        self.schemas = {
            schema.key: child(
                aws.schemas.Schema,
                f"{name}-schema-{schema.key}",
                self,
                transforms,
                "schema",
                defaults={"description": schema.description},
                required={
                    "registry_name": self.registry.name,
                    "name": schema.name,
                    "type": args.schema_type,
                    "content": schema.content,
                },
                opts=moved,
            )
            for schema in args.schemas
        }
        self.register_outputs({"registry_name": self.registry.name})
