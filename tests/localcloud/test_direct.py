"""localcloud.direct: the local cloud's own reads from moto's backends answer what the API answers, as
copies, without a botocore call."""

from __future__ import annotations

import copy
import datetime as dt
import json
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType

from localcloud import direct, dynamodb_transactions
from localcloud.call_counter import CallCounter
from tests.localcloud.support import create_keyed_table

REGION = "eu-west-1"
ACCOUNT = "123456789012"


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def orders_table() -> tuple[Any, str]:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    description = create_keyed_table(
        dynamodb,
        "orders",
        "orderId",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    return dynamodb, str(description["LatestStreamArn"])


def test_schedules_are_read_and_deleted_as_the_scheduler_api_would(aws: None) -> None:
    scheduler = boto3.client("scheduler", region_name=REGION)
    scheduler.create_schedule_group(Name="reminders")
    target = {"Arn": "arn:aws:events:eu-west-1:123456789012:event-bus/shop", "RoleArn": "arn:aws:iam::1:role/r"}
    scheduler.create_schedule(
        Name="cart-1",
        GroupName="reminders",
        ScheduleExpression="at(2030-01-01T00:00:00)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={**target, "Input": json.dumps({"cartId": "cart-1"})},
        ActionAfterCompletion="DELETE",
    )
    counter = CallCounter()

    with counter.counting():
        [schedule] = direct.schedules(ACCOUNT, REGION)
        schedule["Target"]["Input"] = "changed"  # a copy: moto keeps what was created
        direct.delete_schedule(ACCOUNT, REGION, "reminders", "missing")  # already gone is fine

    assert counter.counts == {}, "no botocore call"
    assert (schedule["GroupName"], schedule["Name"]) == ("reminders", "cart-1")
    assert schedule["ScheduleExpression"] == "at(2030-01-01T00:00:00)"
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert scheduler.get_schedule(GroupName="reminders", Name="cart-1")["Target"]["Input"] == '{"cartId": "cart-1"}'

    direct.delete_schedule(ACCOUNT, REGION, "reminders", "cart-1")
    assert scheduler.list_schedules(GroupName="reminders")["Schedules"] == []


def test_only_the_schedules_whose_expression_is_wanted_are_copied(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    scheduler = boto3.client("scheduler", region_name=REGION)
    target = {"Arn": "arn:aws:events:eu-west-1:123456789012:event-bus/shop", "RoleArn": "arn:aws:iam::1:role/r"}
    for name, when in (("due", "2020-01-01T00:00:00"), ("later", "2030-01-01T00:00:00")):
        scheduler.create_schedule(
            Name=name, ScheduleExpression=f"at({when})", FlexibleTimeWindow={"Mode": "OFF"}, Target=target
        )
    copied: list[Any] = []
    deepcopy = copy.deepcopy

    def counted_copy(value: Any) -> Any:
        copied.append(value)
        return deepcopy(value)

    monkeypatch.setattr(copy, "deepcopy", counted_copy)

    wanted = direct.schedules(ACCOUNT, REGION, lambda expression: "2020" in expression)

    assert [schedule["Name"] for schedule in wanted] == ["due"]
    assert [value["Name"] for value in copied] == ["due"], "a schedule not wanted is not copied"
    assert sorted(s["Name"] for s in direct.schedules(ACCOUNT, REGION)) == ["due", "later"]


def test_stream_records_are_read_in_order_from_a_sequence_number_as_copies(aws: None) -> None:
    dynamodb, stream_arn = orders_table()
    for order_id in ("o-1", "o-2", "o-3"):
        dynamodb.put_item(TableName="orders", Item={"orderId": {"S": order_id}, "status": {"S": "PLACED"}})
    dynamodb.update_item(
        TableName="orders",
        Key={"orderId": {"S": "o-1"}},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "SHIPPED"}},
    )

    [(shard, first)] = direct.stream_shards(ACCOUNT, REGION, stream_arn)
    records = direct.stream_records(ACCOUNT, REGION, stream_arn, shard, first, 1000)
    later = direct.stream_records(ACCOUNT, REGION, stream_arn, shard, first + 2, 1)

    assert [(r["eventName"], r["dynamodb"]["Keys"]["orderId"]["S"]) for r in records] == [
        ("INSERT", "o-1"),
        ("INSERT", "o-2"),
        ("INSERT", "o-3"),
        ("MODIFY", "o-1"),
    ]
    assert [int(r["dynamodb"]["SequenceNumber"]) for r in records] == list(range(first, first + 4))
    assert records[3]["dynamodb"]["OldImage"]["status"] == {"S": "PLACED"}
    assert isinstance(records[0]["dynamodb"]["ApproximateCreationDateTime"], dt.datetime)
    assert [r["dynamodb"]["Keys"]["orderId"]["S"] for r in later] == ["o-3"]
    assert direct.stream_records(ACCOUNT, REGION, stream_arn, shard, first + 4, 1000) == []
    assert direct.stream_records(ACCOUNT, REGION, stream_arn, "another-shard", first, 1000) == []

    records[0]["dynamodb"]["NewImage"]["status"]["S"] = "changed"
    again = direct.stream_records(ACCOUNT, REGION, stream_arn, shard, first, 1)
    assert again[0]["dynamodb"]["NewImage"]["status"] == {"S": "PLACED"}, "a copy: moto keeps its record"


def test_a_stream_arn_that_names_no_table_is_refused(aws: None) -> None:
    with pytest.raises(ValueError, match="not a DynamoDB stream ARN"):
        direct.stream_shards(ACCOUNT, REGION, "arn:aws:sqs:eu-west-1:123456789012")


def test_items_are_read_by_key_as_python_values(aws: None) -> None:
    dynamodb, _ = orders_table()
    dynamodb.put_item(
        TableName="orders",
        Item={"orderId": {"S": "o-1"}, "status": {"S": "SHIPPED"}, "total": {"N": "12.5"}, "paid": {"BOOL": True}},
    )

    items = direct.get_items(ACCOUNT, REGION, "orders", ["o-1", "o-missing"])

    assert items == [{"orderId": "o-1", "status": "SHIPPED", "total": pytest.approx(12.5), "paid": True}]


def test_items_are_read_whole_while_a_writer_changes_their_attributes(aws: None) -> None:
    """A handler's UpdateItem changes an item's attributes in place, holding the DynamoDB lock: a direct read
    waits for it and sees the whole update, never half of it."""
    dynamodb, _ = orders_table()
    dynamodb.put_item(TableName="orders", Item={"orderId": {"S": "o-1"}, "status": {"S": "PAID"}})
    item = dynamodb_backends[ACCOUNT][REGION].get_table("orders").get_item(DynamoType({"S": "o-1"}))
    assert item is not None
    holding, proceed = threading.Event(), threading.Event()
    read: list[list[dict[str, Any]]] = []

    def writer() -> None:
        with dynamodb_transactions.OPERATIONS:
            item.attrs["status"] = DynamoType({"S": "SHIPPED"})
            holding.set()
            proceed.wait()
            item.attrs["paid"] = DynamoType({"BOOL": True})

    writing = threading.Thread(target=writer)
    writing.start()
    holding.wait()
    reader = threading.Thread(target=lambda: read.append(direct.get_items(ACCOUNT, REGION, "orders", ["o-1"])))
    reader.start()
    reader.join(0.5)
    still_waiting = reader.is_alive()
    proceed.set()
    writing.join()
    reader.join()

    assert still_waiting, "the read waited for the writer"
    assert read == [[{"orderId": "o-1", "status": "SHIPPED", "paid": True}]]


def test_a_json_copy_equals_deepcopy_s_and_shares_no_container() -> None:
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    record = {
        "eventName": "MODIFY",
        "dynamodb": {
            "ApproximateCreationDateTime": when,
            "SizeBytes": 12,
            "NewImage": {
                "lines": {"L": [{"M": {"qty": {"N": "1"}}}, {"NULL": True}]},
                "tags": {"SS": ["a", "b"]},
                "blob": {"B": b"\x00\x01"},
                "price": 1.5,
                "kept": {"BOOL": False},
            },
        },
        "odd": (1, [2]),  # not JSON-shaped: deepcopy's copy
    }

    copied = direct.json_copy(record)

    assert copied == copy.deepcopy(record)
    containers = []

    def walk(original: Any, duplicate: Any) -> None:
        if isinstance(original, dict | list | tuple):
            containers.append((original, duplicate))
        if isinstance(original, dict):
            original, duplicate = list(original.values()), list(duplicate.values())
        if isinstance(original, list | tuple):
            for left, right in zip(original, duplicate, strict=True):
                walk(left, right)

    walk(record, copied)
    assert all(original is not duplicate for original, duplicate in containers if not isinstance(original, tuple))
    copied["odd"][1].append(3)
    assert record["odd"] == (1, [2]), "a value of another kind is deep-copied"
