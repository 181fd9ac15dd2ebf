"""Billable units counted from single recorded calls and executions (see devtools/cost_model.py): DynamoDB
read and write units (global secondary indexes included), SQS requests in 64 KB chunks, Step Functions log
bytes. Pure functions of what the local cloud recorded; the prices live in cost_model and prices.json.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from devtools.program import ProgramRun
from localcloud.metering import MeteredCall, chunks_of_64kb, dynamodb_item_size


def dynamodb_units(call: MeteredCall) -> tuple[float, float]:  # noqa: PLR0911 (one rule per operation)
    """(read request units, write request units) one DynamoDB call consumes (on-demand rules)."""
    params, response, op = call.params, call.response, call.operation
    consistent = 1.0 if params.get("ConsistentRead") else 0.5

    def reads(items: Iterable[Mapping[str, Any]], factor: float, per_item: bool = True) -> float:
        sizes = [dynamodb_item_size(item) for item in items]
        if not per_item:
            return factor * max(1, math.ceil(sum(sizes) / 4096))
        return factor * sum(max(1, math.ceil(size / 4096)) for size in sizes) if sizes else factor

    def write(*items: Mapping[str, Any]) -> int:
        return max(1, math.ceil(max(dynamodb_item_size(item) for item in items) / 1024))

    def request_item(spec: Mapping[str, Any]) -> dict[str, Any]:
        return {**(spec.get("Key") or {}), **(spec.get("Item") or {}), **(spec.get("ExpressionAttributeValues") or {})}

    if op == "GetItem":
        return reads([response.get("Item") or {}], consistent), 0.0
    if op == "BatchGetItem":
        items = [item for found in (response.get("Responses") or {}).values() for item in found]
        return reads(items, consistent) if items else 0.0, 0.0
    if op in ("Query", "Scan"):
        return reads(response.get("Items") or [], consistent, per_item=False), 0.0
    if op == "TransactGetItems":
        return reads([r.get("Item") or {} for r in response.get("Responses") or []], 2.0), 0.0
    if op in ("PutItem", "UpdateItem", "DeleteItem"):
        return 0.0, float(write(request_item(params), response.get("Attributes") or {}))
    if op == "BatchWriteItem":
        units = 0
        for requests in (params.get("RequestItems") or {}).values():
            for request in requests:
                spec = request.get("PutRequest") or request.get("DeleteRequest") or {}
                units += write(request_item(spec))
        return 0.0, float(units)
    if op == "TransactWriteItems":
        units = sum(2 * write(request_item(spec)) for item in params.get("TransactItems", []) for spec in item.values())
        return 0.0, float(units)
    return 0.0, 0.0


def index_write_units(call: MeteredCall, indexes_of: Mapping[str, int]) -> float:
    """The write units a write spends on the table's global secondary indexes: each index holding the item
    (every attribute is projected) is written too, one unit per index per item at least (twice in a
    transaction); a lower bound, like the table's own write."""
    params, op = call.params, call.operation
    if op in ("PutItem", "UpdateItem", "DeleteItem"):
        return float(indexes_of.get(str(params.get("TableName")), 0))
    if op == "BatchWriteItem":
        return float(sum(indexes_of.get(str(t), 0) * len(r) for t, r in (params.get("RequestItems") or {}).items()))
    if op == "TransactWriteItems":
        items = params.get("TransactItems", [])
        writes = [spec for item in items for kind, spec in item.items() if kind != "ConditionCheck"]
        return float(sum(2 * indexes_of.get(str(spec.get("TableName")), 0) for spec in writes))
    return 0.0


def global_indexes(program: ProgramRun) -> dict[str, int]:
    """How many global secondary indexes each table of the program has, by table name."""
    return {
        str(table.inputs.get("name")): len(table.inputs.get("globalSecondaryIndexes") or [])
        for table in program.of_type("aws:dynamodb/table:Table")
        if table.inputs.get("globalSecondaryIndexes")
    }


def sqs_request_count(calls: Iterable[MeteredCall]) -> int:
    requests = 0
    for call in calls:
        if call.operation == "ReceiveMessage":
            requests += 1 if call.response.get("Messages") else 0  # empty receives: a fixed cost (see above)
        elif call.operation == "SendMessage":
            requests += chunks_of_64kb(len(str(call.params.get("MessageBody", "")).encode()))
        elif call.operation == "SendMessageBatch":
            size = sum(len(str(e.get("MessageBody", "")).encode()) for e in call.params.get("Entries", []))
            requests += chunks_of_64kb(size)
        else:
            requests += 1
    return requests


def state_machine_log_bytes(history: list[dict[str, Any]], logging: Mapping[str, Any]) -> int:
    level = str(logging.get("level", "OFF"))
    if level == "OFF":
        return 0
    wanted = history
    if level in ("ERROR", "FATAL"):
        suffixes = ("Failed", "TimedOut", "Aborted") if level == "ERROR" else ("ExecutionFailed", "ExecutionAborted")
        wanted = [event for event in history if str(event.get("type", "")).endswith(suffixes)]
    if not logging.get("includeExecutionData"):
        wanted = [{k: v for k, v in event.items() if not k.endswith("EventDetails")} for event in wanted]
    return sum(len(json.dumps(event, default=str).encode()) for event in wanted)
