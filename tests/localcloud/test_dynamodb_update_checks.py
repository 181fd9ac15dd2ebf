"""localcloud.dynamodb_update_checks: UpdateItem's structural checks pass once per expression, names and table
keys; what a validation yields, and every error it raises, is moto's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.exceptions import (
    DuplicateUpdateExpression,
    TooManyClauses,
    UpdateHashRangeKeyException,
)
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.parsing import validators
from moto.dynamodb.parsing.ast_nodes import Node  # type: ignore[attr-defined]
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

from localcloud import dynamodb_update_checks, moto_patches
from tests.localcloud.support import create_keyed_table

REGION = "eu-west-1"
VALID = (
    (
        "SET #status = :status, updatedAt = :now ADD version :one",
        {"#status": "status"},
        {":status": {"S": "PAID"}, ":now": {"S": "t1"}, ":one": {"N": "1"}},
    ),
    (
        "SET events = list_append(if_not_exists(events, :none), :events), #lines[0].qty = :one REMOVE note",
        {"#lines": "lines"},
        {":none": {"L": []}, ":events": {"L": [{"S": "took"}]}, ":one": {"N": "2"}},
    ),
    ("ADD tags :tags DELETE pending :gone", None, {":tags": {"SS": ["x"]}, ":gone": {"SS": ["a"]}}),
)


@pytest.fixture(autouse=True)
def installed() -> Iterator[None]:
    moto_patches.install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        create_keyed_table(client, "stock", "sku")
        yield


def _table() -> Any:
    return dynamodb_backends["123456789012"][REGION].tables["stock"]


def _item() -> Item:
    attributes = {
        "sku": {"S": "MUG"},
        "status": {"S": "NEW"},
        "version": {"N": "4"},
        "lines": {"L": [{"M": {"qty": {"N": "1"}}}]},
        "pending": {"SS": ["a", "b"]},
        "note": {"S": "n"},
    }
    return Item(DynamoType({"S": "MUG"}), None, attributes)


def _validator(expression: str, names: dict[str, str] | None, values: dict[str, Any]) -> Any:
    tree = UpdateExpressionParser.make(expression)
    moto_validator: Any = validators.UpdateExpressionValidator  # moto passes None when a request has no names
    return moto_validator(tree, names, values, _item(), _table())


def _shape(node: Any, nodes: dict[int, int]) -> Any:
    """The tree as nested tuples: node types, scalars (typed values as JSON), each parent as its node's position."""
    if not isinstance(node, Node):
        return node.to_json() if isinstance(node, DynamoType) else node
    nodes.setdefault(id(node), len(nodes))
    parent = None if node.parent is None else nodes.get(id(node.parent), "outside")
    return (node.type, parent, tuple(_shape(child, nodes) for child in node.children or ()))


def _structural_walks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    walked: list[str] = []
    for kind in dynamodb_update_checks.STRUCTURAL_CHECKS:

        def traverse(self: Any, node: Any, by_moto: Any = kind.traverse) -> Any:
            walked.append(type(self).__name__)
            return by_moto(self, node)

        monkeypatch.setattr(kind, "traverse", traverse)
    return walked


@pytest.mark.parametrize(("expression", "names", "values"), VALID)
def test_a_validation_yields_moto_s_tree_whether_the_checks_ran_or_were_remembered(
    expression: str, names: dict[str, str] | None, values: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    walked = _structural_walks(monkeypatch)
    by_moto = _shape(dynamodb_update_checks.MOTO_VALIDATE(_validator(expression, names, values)), {})

    first = _shape(_validator(expression, names, values).validate(), {})
    walked.clear()
    again = _shape(_validator(expression, names, values).validate(), {})

    assert first == by_moto
    assert again == by_moto
    assert walked == [], "the structural checks passed once for this expression, names and table"


def test_the_checks_run_again_for_other_names_or_another_table(monkeypatch: pytest.MonkeyPatch) -> None:
    expression, names, values = VALID[0]
    _validator(expression, names, values).validate()
    walked = _structural_walks(monkeypatch)

    _validator(expression, {"#status": "state"}, values).validate()
    assert walked == [kind.__name__ for kind in dynamodb_update_checks.STRUCTURAL_CHECKS]

    walked.clear()
    _table().table_key_attrs.append("status")  # as if the table's range key were the attribute set
    with pytest.raises(UpdateHashRangeKeyException):
        _validator(expression, names, values).validate()
    assert walked == [kind.__name__ for kind in dynamodb_update_checks.STRUCTURAL_CHECKS]


@pytest.mark.parametrize(
    ("expression", "names", "error"),
    [
        ("SET a = :v SET b = :v", None, TooManyClauses),
        ("SET #a = :v, #b = :v", {"#a": "same", "#b": "same"}, DuplicateUpdateExpression),
        ("SET sku = :v", None, UpdateHashRangeKeyException),
    ],
)
def test_an_invalid_expression_raises_moto_s_error_every_time(
    expression: str, names: dict[str, str] | None, error: type[Exception]
) -> None:
    for _ in range(3):
        with pytest.raises(error):
            _validator(expression, names, {":v": {"S": "x"}}).validate()


def test_names_that_make_a_passing_expression_invalid_are_refused_after_it_passed() -> None:
    expression = "SET #a = :v, #b = :v"
    _validator(expression, {"#a": "one", "#b": "two"}, {":v": {"S": "x"}}).validate()

    with pytest.raises(DuplicateUpdateExpression):
        _validator(expression, {"#a": "one", "#b": "one"}, {":v": {"S": "x"}}).validate()


def test_update_item_through_the_api_still_refuses_a_key_update_and_applies_a_valid_one() -> None:
    client = boto3.client("dynamodb", region_name=REGION)
    for _ in range(2):
        client.update_item(
            TableName="stock",
            Key={"sku": {"S": "MUG"}},
            UpdateExpression="SET #s = :s ADD version :one",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": {"S": "PAID"}, ":one": {"N": "1"}},
        )
    with pytest.raises(ClientError, match="Cannot update attribute sku"):
        client.update_item(
            TableName="stock",
            Key={"sku": {"S": "MUG"}},
            UpdateExpression="SET sku = :s",
            ExpressionAttributeValues={":s": {"S": "CUP"}},
        )

    item = client.get_item(TableName="stock", Key={"sku": {"S": "MUG"}})["Item"]
    assert item == {"sku": {"S": "MUG"}, "status": {"S": "PAID"}, "version": {"N": "2"}}


def test_a_validator_whose_passes_are_not_moto_5_2_5_s_runs_moto_s_validate(monkeypatch: pytest.MonkeyPatch) -> None:
    walked = _structural_walks(monkeypatch)
    expression, names, values = VALID[0]
    _validator(expression, names, values).validate()
    validator = _validator(expression, names, values)
    validator.processors = validator.processors[1:]
    walked.clear()

    validator.validate()

    assert walked == ["OverlappingPathsValidator", "UpdateHashRangeKeyValidator"]
