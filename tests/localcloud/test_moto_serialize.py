"""localcloud.moto_serialize: a JSON answer's plain dicts are read member by member with ``dict.get``, and every
answer is byte for byte the one moto's own serializer writes."""

from __future__ import annotations

import datetime
import types
from typing import Any

import pytest
from moto.core.model import OperationModel, ServiceModel
from moto.core.serialize import BaseJSONSerializer, XFormedAttributePicker, get_serializer_class
from moto.core.utils import get_service_model

from localcloud import moto_serialize

ITEM: dict[str, Any] = {
    "pk": {"S": "order-1"},
    "total": {"N": "25.50"},
    "blob": {"B": b"\x00binary"},
    "tags": {"SS": ["a", "b"]},
    "sizes": {"NS": ["1", "2"]},
    "blobs": {"BS": [b"x", b"y"]},
    "address": {"M": {"country": {"S": "DE"}, "lines": {"L": [{"S": "1 Road"}, {"NULL": True}]}, "empty": {"M": {}}}},
    "history": {"L": [{"M": {"status": {"S": "PLACED"}, "paid": {"BOOL": False}}}, {"L": []}]},
    "flag": {"BOOL": True},
    "nothing": {"NULL": True},
    "blank": {"S": ""},
}
CAPACITY = {"TableName": "orders", "CapacityUnits": 0.5}
CREATED = datetime.datetime(2026, 12, 5, 6, 25, tzinfo=datetime.UTC)

CASES: dict[str, tuple[str, str, Any]] = {
    "GetItem": ("dynamodb", "GetItem", {"Item": ITEM, "ConsumedCapacity": CAPACITY}),
    "GetItem nothing": ("dynamodb", "GetItem", {"ConsumedCapacity": CAPACITY}),
    "Query": (
        "dynamodb",
        "Query",
        {
            "Items": [ITEM, {"pk": {"S": "order-2"}}],
            "Count": 2,
            "ScannedCount": 3,
            "LastEvaluatedKey": {"pk": {"S": "x"}},
        },
    ),
    "BatchGetItem": (
        "dynamodb",
        "BatchGetItem",
        {"Responses": {"orders": [ITEM]}, "UnprocessedKeys": {}, "ConsumedCapacity": [CAPACITY]},
    ),
    "UpdateItem": ("dynamodb", "UpdateItem", {"Attributes": ITEM, "ConsumedCapacity": CAPACITY}),
    "DescribeTable": (
        "dynamodb",
        "DescribeTable",
        {
            "Table": {
                "TableName": "orders",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "CreationDateTime": CREATED,
                "ItemCount": 3,
                "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
                "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
            }
        },
    ),
    "an unknown key": ("dynamodb", "GetItem", {"Item": {"pk": {"S": "a", "Extra": 1}}, "Surplus": True}),
    "an object": (
        "dynamodb",
        "DescribeTable",
        {"Table": types.SimpleNamespace(table_name="orders", item_count=3, creation_date_time=CREATED)},
    ),
    "ReceiveMessage": (
        "sqs",
        "ReceiveMessage",
        {
            "Messages": [
                {
                    "MessageId": "m-1",
                    "ReceiptHandle": "r",
                    "Body": "{}",
                    "Attributes": {"SentTimestamp": "1", "ApproximateReceiveCount": "2"},
                    "MessageAttributes": {"kind": {"StringValue": "order", "DataType": "String"}},
                }
            ]
        },
    ),
    "PutEvents": ("events", "PutEvents", {"FailedEntryCount": 1, "Entries": [{"EventId": "e"}, {"ErrorCode": "X"}]}),
    "StartExecution": ("stepfunctions", "StartExecution", {"executionArn": "arn:x", "startDate": CREATED}),
}


def _serialize(service: str, operation: str, result: Any, transformers: dict[str, Any] | None = None) -> Any:
    operation_model = get_service_model(service).operation_model(operation)
    serializer = get_serializer_class(service, "json")(
        operation_model=operation_model,
        value_picker=XFormedAttributePicker(response_transformers=transformers if transformers is not None else {}),
    )
    return serializer.serialize(result)


def _as_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BaseJSONSerializer, "_serialize_type_structure", moto_serialize.moto_serialize_type_structure)


@pytest.fixture(autouse=True)
def installed() -> None:
    moto_serialize.install()


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_each_answer_is_moto_s_byte_for_byte(case: tuple[str, str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    ours = _serialize(*case)
    _as_moto(monkeypatch)
    moto_s = _serialize(*case)

    assert ours == moto_s
    assert ours["body"]


def test_a_plain_item_is_read_without_the_picker(monkeypatch: pytest.MonkeyPatch) -> None:
    picked: list[Any] = []
    pick = XFormedAttributePicker.__call__

    def counted(picker: XFormedAttributePicker, context: Any) -> Any:
        picked.append(context.key)
        return pick(picker, context)

    monkeypatch.setattr(XFormedAttributePicker, "__call__", counted)
    _serialize(*CASES["GetItem"])
    assert picked == []

    _serialize(*CASES["an object"])
    assert "TableName" in picked


def test_response_transformers_take_moto_s_path(monkeypatch: pytest.MonkeyPatch) -> None:
    transformers = {"pk.S": lambda value: f"changed from {value}"}
    ours = _serialize(*CASES["GetItem"], transformers=transformers)
    _as_moto(monkeypatch)
    moto_s = _serialize(*CASES["GetItem"], transformers=transformers)

    assert ours == moto_s
    assert '"changed from order-1"' in ours["body"]


def _shape_with_a_colliding_alias() -> Any:
    """An output whose member ``Name`` the picker also looks up as ``name``, itself a member."""
    model = ServiceModel(
        {
            "metadata": {"protocol": "json", "apiVersion": "2026-12-05", "jsonVersion": "1.0", "targetPrefix": "T"},
            "operations": {
                "Get": {"name": "Get", "http": {"method": "POST", "requestUri": "/"}, "output": {"shape": "Out"}}
            },
            "shapes": {
                "Out": {"type": "structure", "members": {"Name": {"shape": "Str"}, "name": {"shape": "Str"}}},
                "Str": {"type": "string"},
            },
        },
        service_name="collisions",
    )
    return model.operation_model("Get")


def test_a_shape_whose_aliases_name_a_member_takes_moto_s_path(monkeypatch: pytest.MonkeyPatch) -> None:
    operation: OperationModel = _shape_with_a_colliding_alias()
    picker = XFormedAttributePicker(response_transformers={})

    def serialize() -> Any:
        serializer = get_serializer_class("dynamodb", "json")(operation_model=operation, value_picker=picker)
        return serializer.serialize({"name": "lower only"})

    ours = serialize()
    _as_moto(monkeypatch)
    moto_s = serialize()

    assert not moto_serialize.members_read_directly(operation.output_shape, picker)
    assert ours == moto_s
    assert '"Name": "lower only"' in ours["body"]  # the picker found "Name" under "name"
