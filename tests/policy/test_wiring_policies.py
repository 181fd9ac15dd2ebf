"""The wiring rules (policy/rules/wiring.py): each against a stack that breaks it and one that keeps it.

The whole program of both stacks is held to them by test_program_policies.py; the mutations at the end
show those runs would notice a broken wire.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from pulumi_policy import PolicyResource

from devtools.program import ProgramRun
from policy.rules.resource_types import (
    EVENT_RULE,
    EVENT_SOURCE_MAPPING,
    EVENT_TARGET,
    FUNCTION,
    INVOKE_CONFIG,
    METRIC_ALARM,
    PERMISSION,
    QUEUE,
    QUEUE_POLICY,
)
from tests.policy.conftest import stack_policy
from tests.policy.support import UNKNOWN, Finding, findings_for, stack_resource, stack_violations

SQS = "arn:aws:sqs:eu-west-1:123456789012"
RULE_ARN = "arn:aws:events:eu-west-1:123456789012:rule/shop/r"
FUNCTION_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:f"


def queue(name: str, **props: Any) -> PolicyResource:
    return stack_resource(QUEUE, name, {"name": name, "arn": f"{SQS}:{name}", "url": f"https://sqs/{name}", **props})


def rule() -> PolicyResource:
    return stack_resource(EVENT_RULE, "r", {"name": "r", "arn": RULE_ARN})


def target(arn: str, **props: Any) -> PolicyResource:
    return stack_resource(EVENT_TARGET, "t", {"rule": "r", "arn": arn, **props})


def function(timeout: int = 10) -> PolicyResource:
    return stack_resource(FUNCTION, "f", {"name": "f", "arn": FUNCTION_ARN, "timeout": timeout})


def permission(**props: Any) -> PolicyResource:
    return stack_resource(PERMISSION, "p", {"function": "f", "principal": "events.amazonaws.com", **props})


# --- event-rules-have-targets ------------------------------------------------------------------------


def test_a_rule_without_a_target_is_reported() -> None:
    found = stack_violations(stack_policy("event-rules-have-targets"), [rule()])

    assert found == [
        "r: Rule r has no target: the events it matches go nowhere. Give it an EventTarget "
        "(components/rule_delivery.RuleDelivery) or remove the rule."
    ]


def test_a_rule_with_a_target_passes() -> None:
    assert stack_violations(stack_policy("event-rules-have-targets"), [rule(), target(f"{SQS}:work")]) == []


# --- dead-letters-land-in-the-stack --------------------------------------------------------------


def test_a_target_dead_lettering_outside_the_stack_is_reported() -> None:
    elsewhere = target(f"{SQS}:work", deadLetterConfig={"arn": f"{SQS}:someone-elses-dlq"})

    found = stack_violations(stack_policy("dead-letters-land-in-the-stack"), [queue("work"), elsewhere])

    assert len(found) == 1
    assert found[0].startswith(f"t: t dead-letters to {SQS}:someone-elses-dlq (deadLetterConfig.arn)")


def test_a_target_dead_lettering_into_the_queue_it_delivers_to_is_reported() -> None:
    looping = target(f"{SQS}:work", deadLetterConfig={"arn": f"{SQS}:work"})

    found = stack_violations(stack_policy("dead-letters-land-in-the-stack"), [queue("work"), looping])

    assert len(found) == 1
    assert "dead-letters into the very queue it delivers from or to" in found[0]


def test_a_queue_redriving_into_itself_is_reported() -> None:
    redrive = json.dumps({"deadLetterTargetArn": f"{SQS}:work", "maxReceiveCount": 3})

    found = stack_violations(stack_policy("dead-letters-land-in-the-stack"), [queue("work", redrivePolicy=redrive)])

    assert [message.split(":")[0] for message in found] == ["work"]


def test_an_on_failure_destination_outside_the_stack_is_reported() -> None:
    config = stack_resource(
        INVOKE_CONFIG,
        "f-invoke",
        {"functionName": "f", "destinationConfig": {"onFailure": {"destination": f"{SQS}:gone"}}},
    )

    found = stack_violations(stack_policy("dead-letters-land-in-the-stack"), [config])

    assert [message.split(":")[0] for message in found] == ["f-invoke"]


def test_dead_letter_references_to_queues_of_the_stack_pass_and_unknown_ones_wait() -> None:
    redrive = json.dumps({"deadLetterTargetArn": f"{SQS}:work-dlq", "maxReceiveCount": 3})
    resources = [
        queue("work", redrivePolicy=redrive),
        queue("work-dlq"),
        target(f"{SQS}:work", deadLetterConfig={"arn": f"{SQS}:work-dlq"}),
        stack_resource(EVENT_TARGET, "new", {"rule": "r", "arn": UNKNOWN, "deadLetterConfig": {"arn": UNKNOWN}}),
    ]

    assert stack_violations(stack_policy("dead-letters-land-in-the-stack"), resources) == []


# --- lambda-targets-permitted-per-rule ---------------------------------------------------------


def test_a_function_target_without_a_permission_for_its_rule_is_reported() -> None:
    other_rule = permission(sourceArn="arn:aws:events:eu-west-1:123456789012:rule/shop/other")

    found = stack_violations(
        stack_policy("lambda-targets-permitted-per-rule"), [rule(), function(), target(FUNCTION_ARN), other_rule]
    )

    assert len(found) == 1
    assert found[0].startswith("t: Target t invokes function f, but no lambda Permission lets events.amazonaws.com")


def test_an_events_permission_without_a_source_arn_is_reported() -> None:
    found = stack_violations(stack_policy("lambda-targets-permitted-per-rule"), [function(), permission()])

    assert [message.split(":")[0] for message in found] == ["p"]


def test_a_function_target_with_a_permission_scoped_to_its_rule_passes() -> None:
    resources = [rule(), function(), target(FUNCTION_ARN), permission(sourceArn=RULE_ARN)]

    assert stack_violations(stack_policy("lambda-targets-permitted-per-rule"), resources) == []


# --- sqs-consumers-fail-per-message ------------------------------------------------------------


def mapping(**props: Any) -> PolicyResource:
    return stack_resource(EVENT_SOURCE_MAPPING, "m", {"eventSourceArn": f"{SQS}:work", "functionName": "f", **props})


def test_a_queue_consumer_without_partial_batch_responses_is_reported() -> None:
    resources = [queue("work", visibilityTimeoutSeconds=60), function(timeout=10), mapping()]

    found = stack_violations(stack_policy("sqs-consumers-fail-per-message"), resources)

    assert len(found) == 1
    assert found[0].startswith("m: m feeds work to its function without ReportBatchItemFailures")


@pytest.mark.parametrize(("visibility", "timeout"), [(59, 10), (None, 10)])
def test_a_queue_hiding_messages_for_less_than_six_consumer_timeouts_is_reported(
    visibility: int | None, timeout: int
) -> None:
    props = {} if visibility is None else {"visibilityTimeoutSeconds": visibility}
    resources = [
        queue("work", **props),
        function(timeout=timeout),
        mapping(functionResponseTypes=["ReportBatchItemFailures"]),
    ]

    found = stack_violations(stack_policy("sqs-consumers-fail-per-message"), resources)

    assert len(found) == 1
    assert found[0].startswith(f"work: Queue work hides a message for {visibility or 30}s, less than 6 times the 10s")


def test_a_queue_consumer_failing_per_message_with_enough_visibility_passes() -> None:
    resources = [
        queue("work", visibilityTimeoutSeconds=60),
        function(timeout=10),
        mapping(functionResponseTypes=["ReportBatchItemFailures"]),
    ]

    assert stack_violations(stack_policy("sqs-consumers-fail-per-message"), resources) == []


# --- queue-targets-scoped-to-their-rules ---------------------------------------------------------


def queue_policy(*conditions: dict[str, Any] | None) -> PolicyResource:
    statements = [
        {
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": ["sqs:SendMessage"],
            "Resource": f"{SQS}:work",
            **({"Condition": condition} if condition else {}),
        }
        for condition in conditions
    ]
    document = json.dumps({"Version": "2012-10-17", "Statement": statements})
    return stack_resource(QUEUE_POLICY, "work-policy", {"queueUrl": "https://sqs/work", "policy": document})


def test_a_queue_target_whose_policy_admits_its_rule_only_passes() -> None:
    resources = [rule(), queue("work"), target(f"{SQS}:work"), queue_policy({"ArnEquals": {"aws:SourceArn": RULE_ARN}})]

    assert stack_violations(stack_policy("queue-targets-scoped-to-their-rules"), resources) == []


def test_a_queue_target_without_a_statement_for_its_rule_is_reported() -> None:
    found = stack_violations(
        stack_policy("queue-targets-scoped-to-their-rules"), [rule(), queue("work"), target(f"{SQS}:work")]
    )

    assert len(found) == 1
    assert found[0].startswith("work: Queue work is a target of 1 rule(s), but no queue policy statement lets")


@pytest.mark.parametrize(
    ("extra", "named"),
    [(None, "any rule"), ({"ArnLike": {"aws:SourceArn": f"{RULE_ARN}-other"}}, f"['{RULE_ARN}-other']")],
)
def test_a_queue_policy_letting_eventbridge_send_for_other_rules_is_reported(
    extra: dict[str, Any] | None, named: str
) -> None:
    policy = queue_policy({"ArnEquals": {"aws:SourceArn": RULE_ARN}}, extra)

    found = stack_violations(
        stack_policy("queue-targets-scoped-to-their-rules"), [rule(), queue("work"), target(f"{SQS}:work"), policy]
    )

    assert len(found) == 1
    assert found[0].startswith(f"work: Queue work's policy lets events.amazonaws.com send on behalf of {named},")


# --- alarms-notify -------------------------------------------------------------------------------


def test_an_alarm_without_actions_is_reported_and_one_with_an_action_passes() -> None:
    silent = stack_resource(METRIC_ALARM, "silent", {"alarmActions": []})
    loud = stack_resource(METRIC_ALARM, "loud", {"alarmActions": ["arn:aws:sns:eu-west-1:123456789012:ops"]})

    found = stack_violations(stack_policy("alarms-notify"), [silent, loud])

    assert found == ["silent: Alarm silent notifies nobody when it fires. Set alarm_actions to the ops topic's ARN."]


# --- the program, broken on purpose --------------------------------------------------------------


def _mutated(run: ProgramRun, typ: str, change: dict[str, Any] | None, match: dict[str, Any]) -> ProgramRun:
    """The run with the first resource of `typ` whose outputs hold `match` (`{stack}` filled in) dropped
    (change None) or changed (inputs and outputs alike, as a provider echoes its inputs)."""
    match = {key: value.format(stack=run.stack) if isinstance(value, str) else value for key, value in match.items()}
    resources = list(run.resources)
    index = next(
        i for i, resource in enumerate(resources) if resource.typ == typ and match.items() <= resource.outputs.items()
    )
    if change is None:
        del resources[index]
    else:
        original = resources[index]
        resources[index] = replace(
            original, inputs={**original.inputs, **change}, outputs={**original.outputs, **change}
        )
    return replace(run, resources=resources)


@pytest.mark.parametrize(
    ("typ", "match", "change", "policy"),
    [
        (EVENT_TARGET, {}, None, "event-rules-have-targets"),
        (PERMISSION, {"principal": "events.amazonaws.com"}, None, "lambda-targets-permitted-per-rule"),
        (PERMISSION, {"principal": "events.amazonaws.com"}, {"sourceArn": None}, "lambda-targets-permitted-per-rule"),
        (
            EVENT_SOURCE_MAPPING,
            {"eventSourceArn": "arn:aws:sqs:eu-west-1:123456789012:eventshop-{stack}-billing-queue"},
            {"functionResponseTypes": []},
            "sqs-consumers-fail-per-message",
        ),
        (METRIC_ALARM, {}, {"alarmActions": []}, "alarms-notify"),
        (
            QUEUE_POLICY,
            {"queueUrl": "https://sqs.eu-west-1.amazonaws.com/123456789012/eventshop-{stack}-billing-queue"},
            {"policy": json.dumps({"Statement": []})},
            "queue-targets-scoped-to-their-rules",
        ),
        (EVENT_TARGET, {}, {"deadLetterConfig": {"arn": f"{SQS}:elsewhere"}}, "dead-letters-land-in-the-stack"),
    ],
)
def test_the_program_with_a_broken_wire_is_caught(
    program_run: ProgramRun,
    program_findings: list[Finding],
    typ: str,
    match: dict[str, Any],
    change: dict[str, Any] | None,
    policy: str,
) -> None:
    assert [f for f in program_findings if f.policy == policy] == []

    broken = _mutated(program_run, typ, change, match)

    assert [f.policy for f in findings_for(broken, policy) if f.policy == policy]
