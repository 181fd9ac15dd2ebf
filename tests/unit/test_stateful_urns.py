"""No change replaces a stateful resource: every table, bucket, queue, bus, archive, user pool and KMS key the
stacks have declared (tests/unit/stateful_urns.json, written by `make stateful-urns`) still answers to its
URN, itself or through an alias, on both stacks."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components import QueuedConsumer
from components.base import TransformResult
from devtools.graph import Node, StackGraph, UrnRecorder, recording_urns
from devtools.program import STACKS, run_callable
from devtools.stateful_urns import STATEFUL_TYPES, load, unlisted, unresolved, updated
from tests.unit.test_components import queued


@pytest.fixture(scope="module")
def nodes(stack_graphs: dict[str, StackGraph]) -> dict[str, list[Node]]:
    return {stack: list(graph.nodes.values()) for stack, graph in stack_graphs.items()}


@pytest.mark.parametrize("stack", STACKS)
def test_every_recorded_stateful_resource_still_answers_to_its_urn(nodes: dict[str, list[Node]], stack: str) -> None:
    listed = load()[stack]
    assert listed, "tests/unit/stateful_urns.json lists nothing: run `make stateful-urns`"
    assert unresolved(listed, nodes[stack]) == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_stateful_resource_is_recorded(nodes: dict[str, list[Node]], stack: str) -> None:
    assert unlisted(load()[stack], nodes[stack]) == [], "new stateful resources: run `make stateful-urns`"
    kinds = {node.typ for node in nodes[stack] if node.typ in STATEFUL_TYPES}
    assert {"aws:dynamodb/table:Table", "aws:sqs/queue:Queue", "aws:cloudwatch/eventBus:EventBus"} <= kinds


def test_the_dead_letter_queues_moved_into_rule_deliveries_answer_to_their_old_urns(
    nodes: dict[str, list[Node]],
) -> None:
    dlq = next(n for n in nodes["dev"] if n.name == "billing-dlq")
    assert dlq.urn.endswith("QueuedConsumer$eventshop:components:RuleDelivery$aws:sqs/queue:Queue::billing-dlq")
    old = (
        "urn:pulumi:dev::eventshop::eventshop:services:Billing$eventshop:components:QueuedConsumer"
        "$aws:sqs/queue:Queue::billing-dlq"
    )
    assert old in load()["dev"] and old in dlq.aliases


def test_a_renamed_queue_without_an_alias_is_caught(nodes: dict[str, list[Node]]) -> None:
    queue = next(n for n in nodes["dev"] if n.name == "billing-queue")
    renamed = Node(queue.urn.replace("billing-queue", "billing-inbox"), queue.typ, "billing-inbox", None, (), True)
    others = [n for n in nodes["dev"] if n is not queue]
    assert unresolved(load()["dev"], [*others, renamed]) == [queue.urn]
    aliased = Node(renamed.urn, renamed.typ, renamed.name, None, (queue.urn,), True)
    assert unresolved(load()["dev"], [*others, aliased]) == []
    _, problems = updated(load(), {"dev": [*others, renamed], "prod": nodes["prod"]})
    assert len(problems) == 1 and problems[0].startswith(queue.urn)
    _, forgotten = updated(load(), {"dev": [*others, renamed], "prod": nodes["prod"]}, forget=[queue.urn])
    assert forgotten == []


def test_a_transform_cannot_drop_the_alias_that_keeps_a_queue() -> None:
    def drop_aliases(args: dict[str, Any], opts: pulumi.ResourceOptions) -> TransformResult:
        return args, pulumi.ResourceOptions(aliases=[], parent=None)

    recorder = UrnRecorder(stack="test", project="eventshop")
    with recording_urns(recorder):
        run_callable(lambda: QueuedConsumer("billing", queued(), transforms={"dlq": drop_aliases}))
    dlq = recorder.nodes[("aws:sqs/queue:Queue", "billing-dlq")]
    assert dlq.urn.endswith("QueuedConsumer$eventshop:components:RuleDelivery$aws:sqs/queue:Queue::billing-dlq")
    assert dlq.aliases == (
        "urn:pulumi:test::eventshop::eventshop:components:QueuedConsumer$aws:sqs/queue:Queue::billing-dlq",
    )


def test_children_of_an_aliased_component_answer_to_their_old_urns_through_it() -> None:
    # The engine gives each child of an aliased parent its name under the parent's old URN, so wrapping or
    # retyping a component (OrdersApi -> RestApi) replaces none of its children.
    class Renamed(pulumi.ComponentResource):
        def __init__(self) -> None:
            super().__init__(
                "test:index:New", "api", None, pulumi.ResourceOptions(aliases=[pulumi.Alias(type_="test:index:Old")])
            )
            pulumi.ComponentResource("test:index:Part", "api-part", None, pulumi.ResourceOptions(parent=self))

    recorder = UrnRecorder(stack="test", project="eventshop")
    with recording_urns(recorder):
        run_callable(Renamed)
    part = recorder.nodes[("test:index:Part", "api-part")]
    assert part.aliases == ("urn:pulumi:test::eventshop::test:index:Old$test:index:Part::api-part",)


def test_the_rest_api_children_keep_the_urns_they_had_under_orders_api(nodes: dict[str, list[Node]]) -> None:
    method = next(n for n in nodes["dev"] if n.name == "orders-api-method-get-products")
    old = (
        "urn:pulumi:dev::eventshop::eventshop:services:Orders$eventshop:services:OrdersApi$aws:apigateway/method:Method"
    )
    assert f"{old}::orders-api-method-get-products" in method.aliases
