"""DynamoDB tables (sort keys, global secondary indexes, streams, TTL, encryption) and table items."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from localcloud.provision.base import Context, Declared, Outputs, Provisioned, Provisioner


def table(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    keys = [{"AttributeName": inputs["hashKey"], "KeyType": "HASH"}]
    if inputs.get("rangeKey"):
        keys.append({"AttributeName": inputs["rangeKey"], "KeyType": "RANGE"})
    kwargs: dict[str, Any] = {
        "TableName": name,
        "KeySchema": keys,
        "AttributeDefinitions": [
            {"AttributeName": a["name"], "AttributeType": a["type"]} for a in inputs.get("attributes", [])
        ],
        "BillingMode": inputs.get("billingMode") or "PAY_PER_REQUEST",
    }
    if inputs.get("globalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = [_index(index) for index in inputs["globalSecondaryIndexes"]]
    if inputs.get("streamEnabled"):
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": inputs.get("streamViewType")}
    if (inputs.get("serverSideEncryption") or {}).get("enabled"):
        kwargs["SSESpecification"] = {"Enabled": True}
    dynamodb = ctx.client("dynamodb")
    description = dynamodb.create_table(**kwargs)["TableDescription"]
    ttl = inputs.get("ttl") or {}
    if ttl.get("enabled") and ttl.get("attributeName"):
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["attributeName"]}
        )
    outputs: Outputs = {"arn": description["TableArn"]}
    outputs["streamArn"] = description.get("LatestStreamArn") or f"{description['TableArn']}/stream/none"
    return name, outputs


def _index(index: Mapping[str, Any]) -> dict[str, Any]:
    keys = [{"AttributeName": index["hashKey"], "KeyType": "HASH"}]
    if index.get("rangeKey"):
        keys.append({"AttributeName": index["rangeKey"], "KeyType": "RANGE"})
    return {"IndexName": index["name"], "KeySchema": keys, "Projection": {"ProjectionType": index["projectionType"]}}


def table_item(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    item = json.loads(inputs["item"]) if isinstance(inputs["item"], str) else inputs["item"]
    ctx.client("dynamodb").put_item(TableName=inputs["tableName"], Item=item)
    key = item[inputs["hashKey"]]
    return f"{inputs['tableName']}|{inputs['hashKey']}|{next(iter(key.values()))}", {}


PROVISIONERS: dict[str, Provisioner] = {
    "aws:dynamodb/table:Table": table,
    "aws:dynamodb/tableItem:TableItem": table_item,
}
