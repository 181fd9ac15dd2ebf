"""A state machine's definition is checked before it is deployed: transitions name states, every state is
reached, each continues or ends. The fulfillment workflow's real definition passes; each mistake is named."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components import Grant, Workflow, WorkflowArgs
from components import workflow as workflow_module
from components.asl import definition_problems
from services.fulfillment_workflow import Resources, definition
from tests.unit.test_components import BUS, OBS, ORDER_PLACED, run

RESOURCES = Resources(bus_name="bus", customers_table="customers", shipments_table="shipments", waits_queue_url="q")


def fulfillment() -> dict[str, Any]:
    return definition(RESOURCES, vip_threshold=5, reservation_deadline_seconds=3600)


def workflow(asl: pulumi.Input[str]) -> Workflow:
    grant = Grant(("dynamodb:GetItem",), ("arn:aws:dynamodb:eu-west-1:123456789012:table/t",))
    args = WorkflowArgs(definition=asl, bus=BUS, starts_on=ORDER_PLACED, grants=(grant,), observability=OBS)
    return Workflow("flow", args)


def test_the_fulfillment_definition_hangs_together() -> None:
    assert definition_problems(fulfillment()) == []


def test_each_structural_mistake_is_named() -> None:
    broken = json.loads(json.dumps(fulfillment()))  # no shared Catch lists
    broken["StartAt"] = "Begin"
    broken["States"]["Ship"]["Next"] = "Nowhere"
    broken["States"]["Classify"]["Choices"][0]["Next"] = "Old"
    broken["States"]["GetCustomer"]["Catch"][1]["Next"] = "Gone"
    broken["States"]["EmitShipped"]["Next"] = "Failed"  # End too
    del broken["States"]["UpdateCustomer"]["Resource"]
    broken["States"]["Extra"] = {"Type": "Sleep"}
    assert definition_problems(broken) == [
        "StartAt 'Begin' names no state",
        "state 'GetCustomer': goes to 'Gone', which is no state",
        "state 'Classify': goes to 'Old', which is no state",
        "state 'UpdateCustomer': a Task needs a Resource",
        "state 'Ship': goes to 'Nowhere', which is no state",
        "state 'EmitShipped': needs exactly one of Next and End",
        "state 'Extra': Type 'Sleep' is not one of Choice, Fail, Map, Parallel, Pass, Succeed, Task, Wait",
    ]


def test_a_state_nothing_reaches_is_named_and_branches_are_checked() -> None:
    asl = {
        "StartAt": "Fan",
        "States": {
            "Fan": {"Type": "Parallel", "End": True, "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Pass"}}}]},
            "Orphan": {"Type": "Succeed"},
        },
    }
    assert definition_problems(asl) == [
        "state 'Fan' branch 0: state 'A': needs exactly one of Next and End",
        "state 'Orphan': nothing goes to it",
    ]


def test_a_workflow_refuses_a_broken_definition_before_creating_anything() -> None:
    broken = fulfillment()
    broken["States"]["Ship"]["Next"] = "Nowhere"
    with pytest.raises(ValueError, match="definition: state 'Ship': goes to 'Nowhere'"):
        run(lambda: workflow(json.dumps(broken)))
    with pytest.raises(ValueError, match="definition is not JSON"):
        run(lambda: workflow("{not json"))


def test_a_definition_known_only_later_is_checked_when_it_is_known(monkeypatch: pytest.MonkeyPatch) -> None:
    # (A failing run under mocks leaves every dependent resource's future failed and unread, so the check
    # is watched here rather than made to fail: the same function refuses a broken text above.)
    checked: list[str] = []
    check = workflow_module.definition_checked

    def spy(name: str, text: str) -> str:
        checked.append(name)
        return check(name, text)

    monkeypatch.setattr(workflow_module, "definition_checked", spy)
    result = run(lambda: workflow(pulumi.Output.from_input(fulfillment()).apply(json.dumps)))
    assert checked == ["flow"]
    assert json.loads(result.named("flow-state-machine").inputs["definition"]) == fulfillment()
