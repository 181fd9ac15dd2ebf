"""Table: an on-demand DynamoDB table with encryption, recovery and deletion protection by default."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components import defaults
from components.base import (
    Transforms,
    check_transforms,
    child,
    kept,
    physical_name,
    raise_problems,
)

TABLE_CHILDREN = ("table", "item")
# DynamoDB allows at most 20 global secondary indexes per table.
MAX_INDEXES = 20
_ATTRIBUTE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")
_INDEX = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")


@dataclass(frozen=True)
class TableIndex:
    """A global secondary index on string keys, projecting every attribute.
    name: the index's name. hash_key: its string partition key. range_key: its string sort key, default none.

    Example: `TableIndex("byCustomer", "customerId", "createdAt")`.
    """

    name: str
    hash_key: str
    range_key: str | None = None


@dataclass(frozen=True, kw_only=True)
class TableArgs:
    """hash_key: the string partition key. range_key: a string sort key, default none.
    indexes: global secondary indexes (`TableIndex`), default none. ttl_attribute: default none.
    point_in_time_recovery: default True. deletion_protection: default True. protect: refuse `pulumi destroy`
    and keep the table if removed from the program, default False.
    seed_items: items written once at creation (plain JSON values), default none.
    stream: a stream of new item images (`NEW_IMAGE`) for a `StreamConsumer`, default False.
    """

    hash_key: str
    range_key: str | None = None
    indexes: Sequence[TableIndex] = ()
    ttl_attribute: str | None = None
    point_in_time_recovery: bool = True
    deletion_protection: bool = True
    protect: bool = False
    seed_items: Sequence[Mapping[str, Any]] = ()
    stream: bool = False


def to_attribute_value(value: Any) -> dict[str, Any]:
    """A plain JSON value as a DynamoDB attribute value."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, list):
        return {"L": [to_attribute_value(item) for item in value]}
    if isinstance(value, dict):
        return {"M": {key: to_attribute_value(item) for key, item in value.items()}}
    raise TypeError(f"cannot store {value!r} in DynamoDB")


def _key_attributes(args: TableArgs) -> list[str]:
    """Every attribute a key of the table or of an index names, once, in declaration order."""
    keys = [args.hash_key, args.range_key]
    keys += [key for index in args.indexes for key in (index.hash_key, index.range_key)]
    return list(dict.fromkeys(key for key in keys if key))


def _validate(args: TableArgs, transforms: Transforms | None) -> list[str]:
    problems: list[str] = []
    check_transforms(transforms, TABLE_CHILDREN, problems)
    index_keys = [key for index in args.indexes for key in (index.hash_key, index.range_key)]
    for attribute in (args.hash_key, args.range_key, args.ttl_attribute, *index_keys):
        if attribute is not None and not _ATTRIBUTE.match(attribute):
            problems.append(f"attribute name {attribute!r} is not valid")
    index_names = [index.name for index in args.indexes]
    problems.extend(f"index {n!r} is not a valid index name" for n in index_names if not _INDEX.match(n))
    problems.extend(f"index {n!r} is declared twice" for n in sorted(set(index_names)) if index_names.count(n) > 1)
    if len(index_names) > MAX_INDEXES:
        problems.append(f"{len(index_names)} indexes: DynamoDB allows at most {MAX_INDEXES}")
    problems.extend(
        f"seed item {index} has no {args.hash_key!r}"
        for index, item in enumerate(args.seed_items)
        if not isinstance(item.get(args.hash_key), str)
    )
    return problems


class Table(pulumi.ComponentResource):
    """One DynamoDB table keyed by a string, seeded if asked.

    orders = Table("orders", TableArgs(hash_key="orderId", protect=True))
    Grant(("dynamodb:GetItem",), (orders.table.arn,))
    """

    table: aws.dynamodb.Table
    items: list[aws.dynamodb.TableItem]

    def __init__(
        self,
        name: str,
        args: TableArgs,
        transforms: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:components:Table", name, None, opts)
        raise_problems("Table", name, _validate(args, transforms))

        tunable = defaults.table_args() | {
            "point_in_time_recovery": {"enabled": args.point_in_time_recovery},
            "deletion_protection_enabled": args.deletion_protection,
        }
        if args.ttl_attribute:
            tunable["ttl"] = {"attribute_name": args.ttl_attribute, "enabled": True}
        required: dict[str, Any] = {
            "name": physical_name(name),
            "hash_key": args.hash_key,
            "attributes": [{"name": key, "type": "S"} for key in _key_attributes(args)],
        }
        if args.range_key:
            required["range_key"] = args.range_key
        if args.indexes:
            required["global_secondary_indexes"] = [
                {"name": index.name, "hash_key": index.hash_key, "projection_type": "ALL"}
                | ({"range_key": index.range_key} if index.range_key else {})
                for index in args.indexes
            ]
        if args.stream:
            required |= {"stream_enabled": True, "stream_view_type": "NEW_IMAGE"}
        self.table = child(
            aws.dynamodb.Table,
            f"{name}-table",
            self,
            transforms,
            "table",
            defaults=tunable,
            required=required,
            opts=kept(args.protect),
        )
        self.items = [
            child(
                aws.dynamodb.TableItem,
                f"{name}-item-{item[args.hash_key]}",
                self,
                transforms,
                "item",
                required={
                    "table_name": self.table.name,
                    "hash_key": args.hash_key,
                    "item": json.dumps({key: to_attribute_value(value) for key, value in item.items()}),
                },
            )
            for item in args.seed_items
        ]
        self.register_outputs({"table_name": self.table.name, "table_arn": self.table.arn})
