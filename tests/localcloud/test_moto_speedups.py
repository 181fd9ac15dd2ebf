"""localcloud.moto_speedups: what moto recomputed per request is computed once, and answers as before."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Iterator
from typing import Any

import boto3
import moto.core.responses
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.parsing import ast_nodes as typed_ast_nodes
from moto.dynamodb.parsing import validators
from moto.dynamodb.parsing.ast_nodes import DDBTypedValue, Node  # type: ignore[attr-defined]
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
from moto.dynamodb.responses import DynamoHandler
from moto.s3.models import FakeKey
from moto.sqs.models import Message
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.utils import json_path

from localcloud import dynamodb_update_checks, moto_patches, moto_speedups
from tests.localcloud.support import create_keyed_table

REGION = "eu-west-1"


def _parse(module: object) -> Any:
    """The ``parse`` a moto module calls (bound at its import; not re-exported for type checkers)."""
    return getattr(module, "parse")  # noqa: B009


def _action_names(clazz: type) -> list[str]:
    names: list[str] = getattr(moto.core.responses, "method_names_from_class")(clazz)  # noqa: B009
    return names


@pytest.fixture(autouse=True)
def installed() -> None:
    moto_patches.install()


def test_a_response_class_lists_its_actions_once(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = sorted(name for name, _ in inspect.getmembers(DynamoHandler, predicate=inspect.isfunction))
    first = _action_names(DynamoHandler)

    def no_second_listing(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the action names were listed again")

    monkeypatch.setattr(inspect, "getmembers", no_second_listing)
    again = _action_names(DynamoHandler)

    assert sorted(first) == expected
    assert again == first
    assert "update_item" in again
    again.append("not_an_action")  # a caller changing its copy changes nothing for the next request
    assert "not_an_action" not in _action_names(DynamoHandler)


def test_step_functions_paths_are_parsed_once_and_still_find_their_values() -> None:
    assert _parse(json_path)("$.detail.orderId") is _parse(json_path)("$.detail.orderId")
    assert _parse(result_path)("$.payment") is _parse(result_path)("$.payment")

    assert json_path.extract_json("$.detail.orderId", {"detail": {"orderId": "o-1"}}) == "o-1"
    assert json_path.extract_json("$.detail.orderId", {"detail": {"orderId": "o-2"}}) == "o-2"
    with pytest.raises(json_path.NoSuchJsonPathError, match=r"\$\.detail\.missing"):
        json_path.extract_json("$.detail.missing", {"detail": {}})


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        create_keyed_table(client, "stock", "sku")
        yield client


def _take(client: Any, sku: str, count: int) -> None:
    client.update_item(
        TableName="stock",
        Key={"sku": {"S": sku}},
        UpdateExpression="SET #available = #available - :count",
        ConditionExpression="attribute_exists(sku) AND #available >= :count",
        ExpressionAttributeNames={"#available": "available"},
        ExpressionAttributeValues={":count": {"N": str(count)}},
    )


def test_one_condition_expression_with_other_values_decides_each_write_on_its_own_values(table: Any) -> None:
    table.put_item(TableName="stock", Item={"sku": {"S": "MUG"}, "available": {"N": "3"}})
    tokens = ConditionExpressionParser.__dict__["_lex_condition_expression"].cached_tokens
    before = tokens.cache_info()

    _take(table, "MUG", 2)
    with pytest.raises(ClientError, match="ConditionalCheckFailedException"):
        _take(table, "MUG", 2)
    _take(table, "MUG", 1)
    with pytest.raises(ClientError, match="ConditionalCheckFailedException"):
        _take(table, "VINYL", 1)

    item = table.get_item(TableName="stock", Key={"sku": {"S": "MUG"}})["Item"]
    assert item["available"] == {"N": "0"}
    assert "VINYL" not in str(table.scan(TableName="stock")["Items"])
    after = tokens.cache_info()
    assert after.misses - before.misses <= 1, "the expression was lexed once"
    assert after.hits > before.hits


def test_a_condition_expression_that_does_not_lex_is_refused_every_time(table: Any) -> None:
    for _ in range(2):
        with pytest.raises(ValueError, match="Cannot parse condition starting at:! x"):  # moto raises it as is
            table.put_item(
                TableName="stock", Item={"sku": {"S": "MUG"}}, ConditionExpression="attribute_not_exists(sku) ! x"
            )
    assert table.scan(TableName="stock")["Items"] == []


def test_installing_twice_keeps_one_cache() -> None:
    lexing = ConditionExpressionParser.__dict__["_lex_condition_expression"]
    parse = _parse(json_path)
    moto_speedups.install()
    assert ConditionExpressionParser.__dict__["_lex_condition_expression"] is lexing
    assert _parse(json_path) is parse


EXPRESSIONS = (
    "SET #status = :status, updatedAt = :now, version = version + :one",
    "SET #lines[1].qty = if_not_exists(#lines[1].qty, :zero) + :one,"
    " history = list_append(if_not_exists(history, :none), :events)",
    "REMOVE #lines[2], #lines[0] SET note = :note ADD seen :tags DELETE pending :tags",
)


def _shape(node: Any, nodes: dict[int, int]) -> Any:
    """The tree as nested tuples: node types, scalars, and each parent as the position of its node."""
    if not isinstance(node, Node):
        return node
    nodes.setdefault(id(node), len(nodes))
    parent = None if node.parent is None else nodes.get(id(node.parent), "outside")
    return (node.type, parent, tuple(_shape(child, nodes) for child in node.children or ()))


def _nodes(node: Any) -> list[Any]:
    return [node, *(n for child in node.children or () if isinstance(child, Node) for n in _nodes(child))]


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_an_update_expression_tree_is_copied_as_deepcopy_copies_it(expression: str) -> None:
    tree = UpdateExpressionParser.make(expression)

    plain = moto_speedups.copy_expression_tree(tree)

    assert _shape(plain, {}) == _shape(copy.deepcopy(tree), {}) == _shape(tree, {})
    originals = {id(node) for node in _nodes(tree)}
    assert not originals & {id(node) for node in _nodes(plain)}, "no node is shared with the cached tree"


def test_a_tree_holding_a_value_is_left_to_deepcopy() -> None:
    typed = DDBTypedValue(DynamoType({"S": "x"}))
    with pytest.raises(moto_speedups.NotAPlainTreeError, match="DynamoType"):
        moto_speedups.copy_expression_tree(typed)

    copied = getattr(validators, "deepcopy")(typed)  # noqa: B009

    assert copied is not typed and copied.children[0] is not typed.children[0]
    assert copied.children[0] == typed.children[0]


def test_updates_through_one_cached_tree_apply_to_each_item_on_its_own(table: Any) -> None:
    for sku, count in (("MUG", 1), ("CAP", 5)):
        table.put_item(
            TableName="stock",
            Item={"sku": {"S": sku}, "lines": {"L": [{"M": {"qty": {"N": str(count)}}}, {"M": {}}, {"M": {}}]}},
        )
    for sku in ("MUG", "CAP", "MUG"):
        table.update_item(
            TableName="stock",
            Key={"sku": {"S": sku}},
            UpdateExpression=EXPRESSIONS[1],
            ExpressionAttributeNames={"#lines": "lines"},
            ExpressionAttributeValues={
                ":zero": {"N": "0"},
                ":none": {"L": []},
                ":one": {"N": "1"},
                ":events": {"L": [{"S": f"took {sku}"}]},
            },
            ConditionExpression="attribute_exists(sku)",
        )
    table.update_item(
        TableName="stock",
        Key={"sku": {"S": "CAP"}},
        UpdateExpression="SET history = list_append(if_not_exists(history, :none), :events)",
        ExpressionAttributeValues={":none": {"L": []}, ":events": {"L": [{"S": "counted"}]}},
    )

    mug = table.get_item(TableName="stock", Key={"sku": {"S": "MUG"}})["Item"]
    cap = table.get_item(TableName="stock", Key={"sku": {"S": "CAP"}})["Item"]
    assert mug["lines"]["L"][1] == {"M": {"qty": {"N": "2"}}}
    assert cap["lines"]["L"][1] == {"M": {"qty": {"N": "1"}}}
    assert mug["history"] == {"L": [{"S": "took MUG"}, {"S": "took MUG"}]}
    assert cap["history"] == {"L": [{"S": "took CAP"}, {"S": "counted"}]}


def _tracked(model: type) -> list[Any]:
    """What moto keeps of every instance of a model (``BaseModel.instances_tracked``)."""
    tracked: list[Any] = getattr(model, "instances_tracked")  # noqa: B009
    return tracked


def test_moto_keeps_no_model_instance_but_the_s3_ones_its_reset_disposes(table: Any) -> None:
    items_before, messages_before = len(_tracked(Item)), len(_tracked(Message))
    keys_before = len(_tracked(FakeKey))
    table.put_item(TableName="stock", Item={"sku": {"S": "MUG"}, "available": {"N": "3"}})
    _take(table, "MUG", 1)
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="receipts", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket="receipts", Key="o-1.json", Body=b"{}")
    sqs = boto3.client("sqs", region_name=REGION)
    sqs.send_message(QueueUrl=sqs.create_queue(QueueName="inbox")["QueueUrl"], MessageBody="hello")

    assert (len(_tracked(Item)), len(_tracked(Message))) == (items_before, messages_before)
    assert len(_tracked(FakeKey)) > keys_before, "S3's reset still finds its keys"
    assert table.get_item(TableName="stock", Key={"sku": {"S": "MUG"}})["Item"]["available"] == {"N": "2"}
    assert s3.get_object(Bucket="receipts", Key="o-1.json")["Body"].read() == b"{}"


VALIDATED = (
    (EXPRESSIONS[0], {"#status": "status"}, {":status": {"S": "PAID"}, ":now": {"S": "t1"}, ":one": {"N": "1"}}),
    (
        EXPRESSIONS[1],
        {"#lines": "lines"},
        {":zero": {"N": "0"}, ":none": {"L": []}, ":one": {"N": "1"}, ":events": {"L": [{"S": "took"}]}},
    ),
    (EXPRESSIONS[2], {"#lines": "lines"}, {":note": {"S": "n"}, ":tags": {"SS": ["a"]}}),
)


def _validator(table: Any, expression: str, names: dict[str, str], values: dict[str, Any]) -> Any:
    moto_table = dynamodb_backends["123456789012"][REGION].tables["stock"]
    attributes = {
        "sku": {"S": "MUG"},
        "status": {"S": "NEW"},
        "version": {"N": "4"},
        "lines": {"L": [{"M": {"qty": {"N": "1"}}}, {"M": {}}, {"M": {}}]},
        "pending": {"SS": ["a", "b"]},
    }
    item = Item(DynamoType({"S": "MUG"}), None, attributes)
    tree = UpdateExpressionParser.make(expression)
    return validators.UpdateExpressionValidator(tree, names, values, item, moto_table)


@pytest.mark.parametrize(("expression", "names", "values"), VALIDATED)
def test_each_validator_pass_yields_the_tree_moto_s_own_walk_yields(
    table: Any, expression: str, names: dict[str, str], values: dict[str, Any]
) -> None:
    ours, motos = _validator(table, expression, names, values), _validator(table, expression, names, values)
    ours_tree, motos_tree = ours.node_to_validate, motos.node_to_validate
    for ours_pass, motos_pass in zip(ours.processors, motos.processors, strict=True):
        ours_tree = ours_pass.traverse(ours_tree)
        motos_tree = motos_pass.traverse_node_recursively(motos_tree)  # moto's walk, as the patch leaves it
        assert _shape(ours_tree, {}) == _shape(motos_tree, {}), type(ours_pass).__name__


def test_a_validator_pass_builds_its_processing_map_once_per_walk(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    validator = _validator(table, *VALIDATED[1])
    built: list[str] = []
    for processor in validator.processors:
        kind = type(processor)
        by_moto = kind._processing_map

        def counted(self: Any, by_moto: Any = by_moto) -> Any:
            built.append(type(self).__name__)
            return by_moto(self)

        monkeypatch.setattr(kind, "_processing_map", counted)

    # Every pass walks (moto's validate): the structural passes may be remembered as passed (dynamodb_update_checks).
    dynamodb_update_checks.MOTO_VALIDATE(validator)

    assert sorted(built) == sorted(type(p).__name__ for p in validator.processors)


def test_a_traverser_that_overrides_the_walk_keeps_its_own(table: Any) -> None:
    class Recording(validators.ActionCountValidator):
        def traverse_node_recursively(self, node: Any, child_id: int = -1) -> Any:
            self.visited = getattr(self, "visited", 0) + 1
            return super().traverse_node_recursively(node, child_id)

    recording = Recording()
    recording.traverse(UpdateExpressionParser.make(EXPRESSIONS[0]))

    assert recording.visited > 1


def test_a_traverser_s_own_child_hook_is_called_for_every_child_as_moto_s_walk_calls_it(table: Any) -> None:
    class Recording(validators.ActionCountValidator):
        def __init__(self) -> None:
            self.hooked: list[tuple[str, int]] = []

        def pre_processing_of_child(self, parent_node: Any, child_id: int) -> None:
            self.hooked.append((type(parent_node).__name__, child_id))

    ours, motos = Recording(), Recording()
    ours.traverse(UpdateExpressionParser.make(EXPRESSIONS[1]))
    motos.traverse_node_recursively(UpdateExpressionParser.make(EXPRESSIONS[1]))

    assert ours.hooked == motos.hooked
    assert len(ours.hooked) > 10, "names and values (children that are not nodes) are hooked too"


#: moto's AST module, whose classes are untyped.
ast_nodes: Any = typed_ast_nodes

CLAUSE_TYPES = (
    [ast_nodes.UpdateExpressionSetClause],
    [ast_nodes.UpdateExpressionRemoveClause, ast_nodes.UpdateExpressionAddClause],
    [ast_nodes.UpdateExpressionSetAction, ast_nodes.UpdateExpressionRemoveAction],
    [ast_nodes.UpdateExpressionPath, ast_nodes.ExpressionAttributeValue],
)


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_clauses_are_found_as_moto_finds_them(expression: str) -> None:
    tree = UpdateExpressionParser.make(expression)

    assert Node.find_clauses is moto_speedups.find_clauses
    for clause_types in CLAUSE_TYPES:
        found = [id(clause) for clause in tree.find_clauses(clause_types)]
        by_moto = [id(clause) for clause in moto_speedups.MOTO_FIND_CLAUSES(tree, clause_types)]
        assert found == by_moto, clause_types


def test_a_processor_is_the_first_class_in_the_map_a_node_is_an_instance_of() -> None:
    tree = UpdateExpressionParser.make(EXPRESSIONS[0])
    both = (ast_nodes.UpdateExpressionSetAction, Node)

    assert moto_speedups.processor_position(both, type(tree), tree) == 1
    assert moto_speedups.processor_position(both[::-1], type(tree), tree) == 0
    assert moto_speedups.processor_position(both[:1], type(tree), tree) is None
    assert moto_speedups.processor_position(both, str, "SET") == moto_speedups.NOT_A_NODE
