"""DynamoDB tables (sort keys, global secondary indexes, streams, TTL, encryption) and table items."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.moto_api._internal import mock_random

from localcloud.provision.base import Context, Declared, Outputs, Provisioned, Provisioner

#: Stream labels are times after this one (see ``_label_stream``).
STREAM_LABELS_FROM = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


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
    if inputs.get("streamEnabled"):
        description = _label_stream(ctx, name)
    ttl = inputs.get("ttl") or {}
    if ttl.get("enabled") and ttl.get("attributeName"):
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["attributeName"]}
        )
    outputs: Outputs = {"arn": description["TableArn"]}
    outputs["streamArn"] = description.get("LatestStreamArn") or f"{description['TableArn']}/stream/none"
    return name, outputs


def _label_stream(ctx: Context, name: str) -> dict[str, Any]:
    """moto labels a stream with the wall-clock time it was created, so the stream's ARN would differ each time
    the same deployment is made; the label is drawn from moto's random source instead (a time in the same
    format), which a deployment seeds, so replaying a recorded deployment (``deploy_cache``) gives each stream
    the ARN the program was answered with."""
    offset = dt.timedelta(microseconds=mock_random.randrange(365 * 24 * 3600 * 10**6))
    dynamodb_backends[ctx.account][ctx.region].get_table(name).latest_stream_label = (
        (STREAM_LABELS_FROM + offset).replace(tzinfo=None).isoformat(timespec="microseconds")
    )
    description: dict[str, Any] = ctx.client("dynamodb").describe_table(TableName=name)["Table"]
    return description


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
