"""localcloud.dynamodb_transactions: a cancelled transaction leaves its tables as they were (items and stream),
without moto copying whole tables, and keeps what others wrote meanwhile."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table

from localcloud import direct, dynamodb_transactions
from tests.localcloud.support import create_keyed_table

REGION = "eu-west-1"
ACCOUNT = "123456789012"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    dynamodb_transactions.install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        create_keyed_table(
            client, "stock", "sku", StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        )
        client.create_table(
            TableName="lines",
            KeySchema=[{"AttributeName": "order", "KeyType": "HASH"}, {"AttributeName": "line", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "order", "AttributeType": "S"},
                {"AttributeName": "line", "AttributeType": "N"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        client.put_item(TableName="stock", Item={"sku": {"S": "MUG"}, "available": {"N": "1"}})
        client.put_item(TableName="lines", Item={"order": {"S": "o-1"}, "line": {"N": "1"}, "qty": {"N": "1"}})
        yield client


def table(name: str) -> Table:
    return dynamodb_backends[ACCOUNT][REGION].get_table(name)


def contents(client: Any) -> dict[str, list[dict[str, Any]]]:
    return {name: sorted(client.scan(TableName=name)["Items"], key=str) for name in ("stock", "lines")}


def reserve(line: int, condition: str = "available >= :one") -> list[dict[str, Any]]:
    """Take one mug and write an order line, in one transaction; the put is conditional on a new line."""
    return [
        {
            "Update": {
                "TableName": "stock",
                "Key": {"sku": {"S": "MUG"}},
                "UpdateExpression": "SET available = available - :one",
                "ConditionExpression": condition,
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
        {
            "Put": {
                "TableName": "lines",
                "Item": {"order": {"S": "o-1"}, "line": {"N": str(line)}, "qty": {"N": "1"}},
                "ConditionExpression": "attribute_not_exists(#o)",
                "ExpressionAttributeNames": {"#o": "order"},
            }
        },
        {"Put": {"TableName": "stock", "Item": {"sku": {"S": f"NEW-{line}"}, "available": {"N": "5"}}}},
    ]


def test_a_cancelled_transaction_puts_back_items_and_stream_without_copying_the_tables(dynamodb: Any) -> None:
    stock, lines = table("stock"), table("lines")
    before, stream_before = contents(dynamodb), len(stock.stream_shard.items)  # type: ignore[union-attr]

    # The update and the new item's put succeed inside moto; the line already exists, so all is cancelled.
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=reserve(line=1))

    assert contents(dynamodb) == before
    assert len(stock.stream_shard.items) == stream_before  # type: ignore[union-attr]
    assert table("stock") is stock and table("lines") is lines, "the tables were not swapped for copies"


def test_a_transaction_refused_half_way_for_a_bad_request_is_rolled_back(dynamodb: Any) -> None:
    before = contents(dynamodb)
    refused = reserve(line=2)
    refused[1]["Put"]["Item"].pop("line")  # a key without its range part, after the stock update ran

    with pytest.raises(dynamodb.exceptions.ClientError):
        dynamodb.transact_write_items(TransactItems=refused)

    assert contents(dynamodb) == before


def test_a_transaction_that_holds_commits_every_write(dynamodb: Any) -> None:
    dynamodb.transact_write_items(TransactItems=reserve(line=2))

    items = contents(dynamodb)
    assert {"sku": {"S": "MUG"}, "available": {"N": "0"}} in items["stock"]
    assert {"sku": {"S": "NEW-2"}, "available": {"N": "5"}} in items["stock"]
    assert len(items["lines"]) == 2


def test_writes_by_others_during_a_cancelled_transaction_are_kept(dynamodb: Any) -> None:
    """moto swapped the whole table back, losing any other write made meanwhile; only the transaction's own
    items are put back now."""
    stream_before = len(table("stock").stream_shard.items)  # type: ignore[union-attr]
    backup = dynamodb_transactions.TransactionBackup.take(dynamodb_backends[ACCOUNT][REGION], reserve(line=3))
    dynamodb.put_item(TableName="stock", Item={"sku": {"S": "OTHER"}, "available": {"N": "7"}})
    dynamodb.update_item(
        TableName="stock",
        Key={"sku": {"S": "MUG"}},
        UpdateExpression="SET available = :zero",
        ExpressionAttributeValues={":zero": {"N": "0"}},
    )
    dynamodb.put_item(TableName="stock", Item={"sku": {"S": "NEW-3"}, "available": {"N": "5"}})

    backup.restore()

    items = contents(dynamodb)["stock"]
    assert {"sku": {"S": "OTHER"}, "available": {"N": "7"}} in items, "another item's write is kept"
    assert {"sku": {"S": "MUG"}, "available": {"N": "1"}} in items, "the transaction's item is put back"
    assert not any(item["sku"] == {"S": "NEW-3"} for item in items), "the item it created is gone"
    # The stream is cut back to where it stood, as moto's swap did: positions are its sequence numbers.
    assert len(table("stock").stream_shard.items) == stream_before  # type: ignore[union-attr]


class WatchedLock:
    """The transactions lock, recording who took it (a stand-in with the RLock's behaviour)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.taken = 0
        self.held = False

    def __enter__(self) -> None:
        self.lock.acquire()
        self.taken += 1
        self.held = True

    def __exit__(self, *_: object) -> None:
        self.held = False
        self.lock.release()


def test_a_transaction_writes_under_the_lock_stream_readers_take(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stream reader never sees the records of a transaction that is then cancelled: the transaction holds
    the lock while moto writes, and the reader takes it to read."""
    watched = WatchedLock()
    monkeypatch.setattr(dynamodb_transactions, "OPERATIONS", watched)
    backend = dynamodb_backends[ACCOUNT][REGION]
    put_item = backend.put_item
    held_while_writing: list[bool] = []

    def watching_put_item(*args: Any, **kwargs: Any) -> Any:
        held_while_writing.append(watched.held)
        return put_item(*args, **kwargs)

    monkeypatch.setattr(backend, "put_item", watching_put_item)
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=reserve(line=1))
    assert held_while_writing == [True], "the new item's put ran inside the lock"

    stream_arn = dynamodb.describe_table(TableName="stock")["Table"]["LatestStreamArn"]
    [(shard, first)] = direct.stream_shards(ACCOUNT, REGION, stream_arn)
    taken = watched.taken
    direct.stream_records(ACCOUNT, REGION, stream_arn, shard, first, 10)
    assert watched.taken == taken + 1, "the reader took the lock"


def test_every_dynamodb_call_and_direct_read_runs_under_the_lock(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    watched = WatchedLock()
    monkeypatch.setattr(dynamodb_transactions, "OPERATIONS", watched)
    backend = dynamodb_backends[ACCOUNT][REGION]
    held: dict[str, bool] = {}
    for operation in ("update_item", "get_item", "query", "delete_item"):
        original = getattr(backend, operation)

        def watching(*args: Any, _name: str = operation, _original: Any = original, **kwargs: Any) -> Any:
            held.setdefault(_name, watched.held)
            return _original(*args, **kwargs)

        monkeypatch.setattr(backend, operation, watching)

    key = {"sku": {"S": "PEN"}}
    dynamodb.update_item(
        TableName="stock", Key=key, UpdateExpression="SET available = :n", ExpressionAttributeValues={":n": {"N": "2"}}
    )
    dynamodb.query(TableName="stock", KeyConditionExpression="sku = :s", ExpressionAttributeValues={":s": {"S": "PEN"}})
    taken = watched.taken
    assert direct.get_items(ACCOUNT, REGION, "stock", ["PEN"]) == [{"sku": "PEN", "available": 2}]
    assert watched.taken == taken + 1, "the direct read took the lock"
    dynamodb.delete_item(TableName="stock", Key=key)
    assert held == {"update_item": True, "get_item": True, "query": True, "delete_item": True}


def test_two_threads_updating_one_new_item_keep_both_updates(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB applies each update to an item atomically: the Step Functions interpreter and a handler writing
    different attributes of one new item at once both land (moto alone loses one now and then)."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, so an unguarded race shows every time
    lost: list[str] = []
    try:
        for attempt in range(60):
            key = {"sku": {"S": f"race-{attempt}"}}
            barrier = threading.Barrier(2)

            def update(attribute: str, _key: dict[str, Any] = key, _barrier: threading.Barrier = barrier) -> None:
                _barrier.wait()
                dynamodb.update_item(
                    TableName="stock",
                    Key=_key,
                    UpdateExpression=f"SET {attribute} = :v",
                    ExpressionAttributeValues={":v": {"S": attribute}},
                )

            threads = [threading.Thread(target=update, args=(name,)) for name in ("claimed", "reserved")]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            item = dynamodb.get_item(TableName="stock", Key=key)["Item"]
            if not {"claimed", "reserved"} <= set(item):
                lost.append(key["sku"]["S"])
    finally:
        sys.setswitchinterval(previous)
    assert lost == []
