"""RuleDelivery and ScheduleTarget alone, under mocks: what they wire, what they validate, and what a hostile
transform cannot undo."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import (
    DeliveryTarget,
    Grant,
    InputTransformer,
    QueuedConsumer,
    RuleDelivery,
    RuleDeliveryArgs,
    ScheduleTarget,
    ScheduleTargetArgs,
    Subscription,
    TargetRole,
)
from components.base import put_events_grant
from devtools.program import ACCOUNT_ID
from tests.unit.test_components import BUS, OBS, ORDER_PLACED, queued, run
from tests.unit.test_hostile_transforms import ATTACKER, OPEN_TRUST, hostile

SHIPPED = Subscription(key="shipped", pattern={"source": ["shop.fulfillment"], "detail-type": ["OrderShipped"]})
MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:flow"


def delivery_args(**overrides: Any) -> RuleDeliveryArgs:
    base: dict[str, Any] = {
        "bus": BUS,
        "subscriptions": (ORDER_PLACED, SHIPPED),
        "target": DeliveryTarget(
            arn=MACHINE,
            role=TargetRole(grants=(Grant(actions=("states:StartExecution",), resources=(MACHINE,)),)),
            input_transformers={"shipped": InputTransformer(input_paths={"id": "$.id"}, input_template='{"id": <id>}')},
        ),
        "alarm_topic_arn": OBS.alarm_topic_arn,
    }
    return RuleDeliveryArgs(**(base | overrides))


def test_each_rule_delivers_with_retries_a_dlq_and_the_role_only_its_rules_may_assume() -> None:
    result = run(lambda: RuleDelivery("flow", delivery_args()))
    rules = [result.named("flow-rule-placed"), result.named("flow-rule-shipped")]
    trust = result.named("flow-target-role").json_input("assumeRolePolicy")["Statement"][0]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
        "ArnLike": {"aws:SourceArn": [rule.arn for rule in rules]},
    }
    policy = result.named("flow-target-policy").json_input("policy")["Statement"]
    assert policy == [{"Sid": "Grant0", "Effect": "Allow", "Action": ["states:StartExecution"], "Resource": [MACHINE]}]
    for key in ("placed", "shipped"):
        target = result.named(f"flow-target-{key}").inputs
        assert (target["arn"], target["roleArn"]) == (MACHINE, result.named("flow-target-role").arn)
        assert target["deadLetterConfig"] == {"arn": result.named("flow-dlq").arn}
        assert target["retryPolicy"] == {"maximumRetryAttempts": 185, "maximumEventAgeInSeconds": 86400}
    assert "inputTransformer" not in result.named("flow-target-placed").inputs
    assert result.named("flow-target-shipped").inputs["inputTransformer"] == {
        "inputPaths": {"id": "$.id"},
        "inputTemplate": '{"id": <id>}',
    }
    [allow, _deny] = result.named("flow-dlq-policy").json_input("policy")["Statement"]
    assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": [rule.arn for rule in rules]}}
    alarms = {r.name for r in result.resources if r.typ == "aws:cloudwatch/metricAlarm:MetricAlarm"}
    assert alarms == {"flow-dlq-alarm", "flow-placed-failed-alarm", "flow-shipped-failed-alarm"}


def test_a_target_built_from_the_delivery_sees_its_dlq_and_rules_and_is_waited_for() -> None:
    seen: dict[str, Any] = {}

    def build(delivery: RuleDelivery) -> DeliveryTarget:
        seen["dlq"], seen["rules"] = delivery.dead_letter_queue, set(delivery.rules)
        return DeliveryTarget(arn=MACHINE)

    result = run(lambda: RuleDelivery("flow", delivery_args(target=build, dead_letter_name="flow-routes")))
    assert seen["rules"] == {"placed", "shipped"}
    assert result.named("flow-routes-dlq").inputs["name"] == "eventshop-test-flow-routes-dlq"
    assert result.named("flow-target-placed").inputs["deadLetterConfig"]["arn"] == result.named("flow-routes-dlq").arn
    assert "roleArn" not in result.named("flow-target-placed").inputs


def test_every_problem_is_reported_at_once() -> None:
    args = delivery_args(
        subscriptions=(Subscription(key="All", pattern={"account": ["1"]}),),
        target=DeliveryTarget(
            arn=MACHINE,
            role=TargetRole(grants=(Grant(actions=("states:*",), resources=("*",)),)),
            input_transformers={"nope": InputTransformer(input_paths={}, input_template="x")},
        ),
    )
    with pytest.raises(ValueError, match="RuleDelivery 'flow' has invalid arguments") as raised:
        run(lambda: RuleDelivery("flow", args, transforms={"rules": lambda _args, _opts: None}))
    for problem in (
        "subscription key 'All' must be lowercase",
        "the pattern must constrain source or detail-type",
        "input transformer 'nope' names no subscription",
        "grant action 'states:*' is a wildcard",
        "transforms: unknown child 'rules'",
    ):
        assert problem in str(raised.value)


def test_a_hostile_transform_cannot_rewire_the_delivery() -> None:
    transforms = {
        "rule": hostile(event_bus_name="default", event_pattern="{}"),
        "target": hostile(arn=ATTACKER, role_arn=ATTACKER, dead_letter_config=None),
        "target_role": hostile(assume_role_policy=OPEN_TRUST),
        "target_role_policy": hostile(policy=json.dumps({"Statement": [{"Effect": "Allow", "Action": "*"}]})),
        "dlq_policy": hostile(policy=json.dumps({"Statement": []})),
        "alarm": hostile(alarm_actions=[], threshold=1000),
    }
    result = run(lambda: RuleDelivery("flow", delivery_args(), transforms=transforms))
    target = result.named("flow-target-placed").inputs
    assert (target["arn"], target["roleArn"]) == (MACHINE, result.named("flow-target-role").arn)
    assert result.named("flow-rule-placed").inputs["eventBusName"] == BUS.name
    trust = result.named("flow-target-role").json_input("assumeRolePolicy")["Statement"][0]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert result.named("flow-target-policy").json_input("policy")["Statement"][0]["Action"] == [
        "states:StartExecution"
    ]
    assert len(result.named("flow-dlq-policy").json_input("policy")["Statement"]) == 2
    alarm = result.named("flow-dlq-alarm").inputs
    assert (alarm["alarmActions"], alarm["threshold"]) == ([OBS.alarm_topic_arn], 1)


def schedule_target(**overrides: Any) -> ScheduleTargetArgs:
    base: dict[str, Any] = {
        "target_grants": (put_events_grant(BUS, ("shop.reminders",)),),
        "alarm_topic_arn": OBS.alarm_topic_arn,
    }
    return ScheduleTargetArgs(**(base | overrides))


def test_the_schedules_role_and_dlq_belong_to_the_group_and_survive_a_hostile_transform() -> None:
    transforms = {
        "schedule_group": hostile(name="renamed"),
        "role": hostile(assume_role_policy=OPEN_TRUST, name="renamed"),
        "policy": hostile(policy=json.dumps({"Statement": []})),
        "dlq": hostile(name="renamed"),
        "dlq_policy": hostile(policy=json.dumps({"Statement": []})),
        "alarm": hostile(threshold=1000),
    }
    built: dict[str, ScheduleTarget] = {}

    def build() -> None:
        built["t"] = ScheduleTarget("reminders", schedule_target(), transforms=transforms)

    result = run(build)
    group = result.named("reminders-schedules")
    assert group.inputs["name"] == "eventshop-test-reminders"
    trust = result.named("reminders-scheduler-role").json_input("assumeRolePolicy")["Statement"][0]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"]["ArnLike"] == {"aws:SourceArn": group.arn}
    [grant] = result.named("reminders-scheduler-policy").json_input("policy")["Statement"]
    assert (grant["Action"], grant["Condition"]) == (
        ["events:PutEvents"],
        {"StringEquals": {"events:source": ["shop.reminders"]}},
    )
    [allow, deny] = result.named("reminders-schedules-dlq-policy").json_input("policy")["Statement"]
    schedules = str(group.arn).replace(":schedule-group/", ":schedule/") + "/*"
    assert allow["Condition"] == {
        "ArnLike": {"aws:SourceArn": schedules},
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
    }
    assert deny["Sid"] == "DenyInsecureTransport"
    assert result.named("reminders-schedules-dlq-alarm").inputs["threshold"] == 1
    manage, pass_role = built["t"].manage_grants()
    assert manage.actions == (
        "scheduler:CreateSchedule",
        "scheduler:UpdateSchedule",
        "scheduler:GetSchedule",
        "scheduler:DeleteSchedule",
    )
    assert pass_role.conditions == {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}


def test_a_schedule_target_that_may_do_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="target_grants is empty") as raised:
        run(lambda: ScheduleTarget("reminders", schedule_target(target_grants=()), transforms={"group": hostile()}))
    assert "unknown child 'group'" in str(raised.value)


def test_a_transform_for_a_target_role_that_does_not_exist_is_refused() -> None:
    with pytest.raises(ValueError, match="transforms: unknown child 'target_role'"):
        run(lambda: QueuedConsumer("billing", queued(), transforms={"target_role": hostile()}))
    without_role = delivery_args(target=DeliveryTarget(arn=MACHINE))
    with pytest.raises(ValueError, match="transforms: unknown child 'target_role_policy'"):
        run(lambda: RuleDelivery("flow", without_role, transforms={"target_role_policy": hostile()}))
