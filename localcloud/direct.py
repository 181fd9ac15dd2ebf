"""The local cloud's own reads and bookkeeping, straight from moto's backends (no botocore).

Handlers and state machines call AWS through boto3, so IAM by use, metering and fault injection see every
one of their calls. The local cloud's plumbing has no principal and needs no authorisation: which
schedules exist (the Scheduler's own clock), what a table's stream holds (Lambda's stream poller), whether
orders have settled (the bench's and the demo's status reads). Going through a boto3 client would pay
botocore's serialisation twice per call (the request built and parsed, the answer serialised and parsed
again) for nothing; these functions read moto's models directly and return copies, so no caller can change
what moto holds. ``delete_schedule`` is the only write: the Scheduler's own ``ActionAfterCompletion``.

The calls a function makes with its role through Lambda (an SQS poller's receives and deletes, a
destination's send) stay on boto3: IAM by use checks them against the role, and the cost meter counts them.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.scheduler.models import scheduler_backends

from localcloud import dynamodb_transactions

_deserializer = TypeDeserializer()


def schedules(
    account: str, region: str, expression_wanted: Callable[[str], bool] | None = None
) -> list[dict[str, Any]]:
    """Every schedule of every group, as ``GetSchedule`` answers it (copies); with ``expression_wanted``, only
    those whose ``ScheduleExpression`` it accepts. The clock asks for the due ones on every tick: copying each
    waiting schedule there made a tick cost grow with the schedules waiting (a reminder per abandoned cart)."""
    backend: Any = scheduler_backends[account][region]
    return [
        copy.deepcopy(schedule.to_dict())
        for group in list(backend.schedule_groups.values())
        for schedule in list(group.schedules.values())
        if expression_wanted is None or expression_wanted(str(schedule.schedule_expression or ""))
    ]


def delete_schedule(account: str, region: str, group: str, name: str) -> None:
    """Delete a schedule that ran (``ActionAfterCompletion: DELETE``); one already gone is fine."""
    backend: Any = scheduler_backends[account][region]
    schedule_group = backend.schedule_groups.get(group)
    if schedule_group is not None:
        schedule_group.schedules.pop(name, None)


def _table(account: str, region: str, name: str) -> Any:
    return dynamodb_backends[account][region].get_table(name)


def _table_of_stream(stream_arn: str) -> str:
    """``arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>`` -> ``<name>``."""
    try:
        return stream_arn.split(":", 5)[5].split("/")[1]
    except IndexError:
        raise ValueError(f"not a DynamoDB stream ARN: {stream_arn!r}") from None


def stream_shards(account: str, region: str, stream_arn: str) -> list[tuple[str, int]]:
    """(shard id, first sequence number) of each shard of the stream (moto keeps one per table)."""
    shard = _table(account, region, _table_of_stream(stream_arn)).stream_shard
    return [] if shard is None else [(str(shard.id), int(shard.starting_sequence_number))]


def stream_records(account: str, region: str, stream_arn: str, shard_id: str, start: int, limit: int) -> list[Any]:
    """Up to ``limit`` records of the shard from sequence number ``start`` on, as ``GetRecords`` gives them
    (copies; ``ApproximateCreationDateTime`` a datetime in UTC)."""
    shard = _table(account, region, _table_of_stream(stream_arn)).stream_shard
    if shard is None or shard.id != shard_id:
        return []
    first = start - int(shard.starting_sequence_number)
    with dynamodb_transactions.OPERATIONS:  # never a transaction's records before it committed
        records = list(shard.items[first : first + limit])
    return [json_copy(record.to_json()) for record in records]


#: Values a copy may share with what it copies: nothing can change them.
_IMMUTABLE = (str, int, float, bool, type(None), bytes, dt.datetime)


def json_copy(value: Any) -> Any:
    """A copy of a tree of dicts and lists as ``copy.deepcopy`` makes it (equal, no container shared with the
    original), for the JSON-shaped records moto keeps: each dict and list copied, immutable leaves shared. Anything
    else goes to ``copy.deepcopy``. A stream record is a dozen nested dicts; ``deepcopy``'s memo and dispatch
    per value made copying them a third of a percent of the bench's CPU (py-spy, the thread holding the GIL)."""
    kind = type(value)
    if kind is dict:
        return {key: json_copy(item) for key, item in value.items()}
    if kind is list:
        return [json_copy(item) for item in value]
    if kind in _IMMUTABLE:
        return value
    return copy.deepcopy(value)


def get_items(account: str, region: str, table: str, hash_keys: Iterable[str]) -> list[dict[str, Any]]:
    """The items of ``table`` (string hash key, no range key) with these keys, those that exist, as Python
    values (``TypeDeserializer``)."""
    found = []
    model = _table(account, region, table)
    for hash_key in hash_keys:
        with dynamodb_transactions.OPERATIONS:  # a handler's UpdateItem changes an item's attributes in place
            item = model.get_item(DynamoType({"S": hash_key}))
            if item is not None:
                found.append(
                    {name: _deserializer.deserialize(raw.to_regular_json()) for name, raw in item.attrs.items()}
                )
    return found
