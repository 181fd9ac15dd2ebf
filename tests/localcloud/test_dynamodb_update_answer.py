"""localcloud.dynamodb_update_answer: UpdateItem copies the old item only for answers that show it, and every
answer, error and stored item is moto's own."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any

import boto3
import moto.dynamodb.responses as dynamodb_responses
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.responses import DynamoHandler

from localcloud import dynamodb_update_answer, moto_patches
from tests.localcloud.support import create_keyed_table

REGION = "eu-west-1"
TABLE = "orders"
RETURN_VALUES = ["NONE", "ALL_NEW", "ALL_OLD", "UPDATED_OLD", "UPDATED_NEW", "EVERYTHING"]


@pytest.fixture(autouse=True)
def installed() -> None:
    moto_patches.install()


def _as_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's own update_item and copy, as before the patch."""
    monkeypatch.setattr(DynamoHandler, "update_item", _moto_update_item())
    monkeypatch.setattr(dynamodb_responses, "copy", copy)


def _moto_update_item() -> Any:
    handler_update_item: Any = DynamoHandler.update_item
    return handler_update_item.moto_update_item


def _outcome(call: Callable[[], Any]) -> Any:
    try:
        answer = call()
    except ClientError as error:
        return ("error", error.response["Error"], error.response.get("Item"))
    answer.pop("ResponseMetadata", None)
    return ("answer", answer)


def _scenario() -> list[Any]:
    """Every ReturnValues on a new and on a stored item, a failed condition asking for the old item, a key
    that does not match the schema; each answer or error, then the table's items."""
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_keyed_table(dynamodb, TABLE, "pk")
        outcomes: list[Any] = []
        for number, return_values in enumerate(RETURN_VALUES):
            for stored in (False, True):
                key = {"pk": {"S": f"order-{number}-{stored}"}}
                if stored:
                    item = {**key, "status": {"S": "PLACED"}, "cartLines": {"L": [{"M": {"sku": {"S": "MUG"}}}]}}
                    dynamodb.put_item(TableName=TABLE, Item=item)
                update = functools.partial(
                    dynamodb.update_item,
                    TableName=TABLE,
                    Key=key,
                    UpdateExpression="SET #s = :s, amount = :t REMOVE cartLines",
                    ExpressionAttributeNames={"#s": "status"},
                    ExpressionAttributeValues={":s": {"S": "PAID"}, ":t": {"N": "25"}},
                    ReturnValues=return_values,
                )
                outcomes.append(_outcome(update))
        outcomes.append(
            _outcome(
                lambda: dynamodb.update_item(
                    TableName=TABLE,
                    Key={"pk": {"S": "order-0-True"}},
                    UpdateExpression="SET #s = :s",
                    ConditionExpression="#s = :placed",
                    ExpressionAttributeNames={"#s": "status"},
                    ExpressionAttributeValues={":s": {"S": "SHIPPED"}, ":placed": {"S": "PLACED"}},
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            )
        )
        outcomes.append(
            _outcome(
                lambda: dynamodb.update_item(
                    TableName=TABLE,
                    Key={"order": {"S": "x"}},
                    UpdateExpression="SET amount = :t",
                    ExpressionAttributeValues={":t": {"N": "1"}},
                )
            )
        )
        items = dynamodb.scan(TableName=TABLE)["Items"]
        outcomes.append(sorted(items, key=lambda item: item["pk"]["S"]))
    return outcomes


def test_every_answer_error_and_item_is_moto_s(monkeypatch: pytest.MonkeyPatch) -> None:
    ours = _scenario()
    _as_moto(monkeypatch)
    moto_s = _scenario()

    assert ours == moto_s
    kinds = [outcome[0] for outcome in ours[:-1]]
    assert kinds == ["answer"] * 10 + ["error"] * 4  # EVERYTHING is refused, new or stored; then the two errors
    assert ours[-2][1]["Code"] == "ValidationException"
    assert ours[-3][1]["Code"] == "ConditionalCheckFailedException"


def _item_copies(monkeypatch: pytest.MonkeyPatch, return_values: str) -> int:
    copies: list[Item] = []
    item_copy = Item.__deepcopy__

    def counted(item: Item, memo: dict[int, Any]) -> Item:
        copies.append(item)
        return item_copy(item, memo)

    monkeypatch.setattr(Item, "__deepcopy__", counted)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_keyed_table(dynamodb, TABLE, "pk")
        dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "o-1"}, "status": {"S": "PLACED"}})
        copies.clear()
        dynamodb.update_item(
            TableName=TABLE,
            Key={"pk": {"S": "o-1"}},
            UpdateExpression="SET amount = :t",
            ExpressionAttributeValues={":t": {"N": "1"}},
            ReturnValues=return_values,
        )
    return len(copies)


@pytest.mark.parametrize("return_values", sorted(dynamodb_update_answer.ANSWERS_WITHOUT_OLD_ITEM))
def test_an_answer_without_the_old_item_copies_it_only_for_the_stream(
    monkeypatch: pytest.MonkeyPatch, return_values: str
) -> None:
    assert _item_copies(monkeypatch, return_values) == 1  # moto's backend copy (the stream record's old image)


@pytest.mark.parametrize("return_values", ["ALL_OLD", "UPDATED_OLD", "UPDATED_NEW"])
def test_an_answer_showing_the_old_item_copies_it(monkeypatch: pytest.MonkeyPatch, return_values: str) -> None:
    assert _item_copies(monkeypatch, return_values) == 2


def test_installing_twice_wraps_moto_s_update_item_once() -> None:
    dynamodb_update_answer.install()

    assert not hasattr(_moto_update_item(), "moto_update_item")
