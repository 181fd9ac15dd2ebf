"""Workflow: a Step Functions state machine started by a rule on the bus, logged, traced and alarmed."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components import alarms
from components.base import (
    BusRef,
    Grant,
    Transforms,
    apply_transform,
    check_transforms,
    child_args,
    identity_policy,
    physical_name,
    raise_problems,
)
from components.function import Observability
from components.subscriptions import (
    Subscription,
    TargetRetry,
    allow_rules_to_send,
    create_dead_letter_queue,
    create_delivery_alarms,
    create_rules,
    validate_subscriptions,
)
from components.trust import rule_target_trust, state_machine_trust

WORKFLOW_CHILDREN = (
    "role",
    "policy",
    "log_group",
    "state_machine",
    "rule",
    "target",
    "dlq",
    "start_role",
    "start_policy",
)
WORKFLOW_TYPES = ("STANDARD", "EXPRESS")
LOG_LEVELS = ("ALL", "ERROR", "FATAL")

# Step Functions delivers execution logs through CloudWatch Logs' vended-log deliveries. These actions
# support no resource-level permissions: AWS documents Resource "*" as their only form.
LOG_DELIVERY_GRANT = Grant(
    actions=(
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    ),
    resources=("*",),
)
# X-Ray tracing of executions: the write and sampling actions support no resource-level permissions.
WORKFLOW_XRAY_GRANT = Grant(
    actions=("xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"),
    resources=("*",),
)


@dataclass(frozen=True, kw_only=True)
class WorkflowArgs:
    """A state machine and what starts it.

    definition: the Amazon States Language document (JSON text, may be an Output).
    bus: the bus the starting rule listens on. starts_on: the rule's key and pattern.
    grants: exact actions on exact resources the definition's tasks call (logs and X-Ray are added for you).
    observability: log retention and the alarm topic. log_level: ALL, ERROR or FATAL, default ERROR.
    workflow_type: STANDARD (default) or EXPRESS. target_retry: EventBridge retries, default `TargetRetry()`.
    """

    definition: pulumi.Input[str]
    bus: BusRef
    starts_on: Subscription
    grants: tuple[Grant, ...]
    observability: Observability
    log_level: str = "ERROR"
    workflow_type: str = "STANDARD"
    target_retry: TargetRetry = field(default_factory=TargetRetry)


def _validate(name: str, args: WorkflowArgs, transforms: Transforms | None) -> None:
    problems: list[str] = []
    validate_subscriptions((args.starts_on,), args.target_retry, problems)
    check_transforms(transforms, WORKFLOW_CHILDREN, problems)
    if args.log_level not in LOG_LEVELS:
        problems.append(f"log_level must be one of {', '.join(LOG_LEVELS)}, got {args.log_level!r}")
    if args.workflow_type not in WORKFLOW_TYPES:
        problems.append(f"workflow_type must be one of {', '.join(WORKFLOW_TYPES)}, got {args.workflow_type!r}")
    for grant in args.grants:
        problems.extend(grant.problems())
    raise_problems("Workflow", name, problems)


class Workflow(pulumi.ComponentResource):
    """A state machine started by bus events, with its own least-privilege role, logs, tracing and alarms.

        Workflow("fulfillment", WorkflowArgs(
            definition=pulumi.Output.json_dumps(asl), bus=bus.ref,
            starts_on=Subscription(key="billing", pattern={"detail-type": ["PaymentSucceeded"]}),
            grants=(Grant(("dynamodb:GetItem",), (table.arn,)),), observability=obs,
        ))

    The rule's target role may only start this state machine; what EventBridge cannot deliver lands in a
    DLQ only that rule may send to. Alarms: the DLQ, the rule's failed invocations, failed executions.
    """

    role: aws.iam.Role
    policy: aws.iam.RolePolicy
    log_group: aws.cloudwatch.LogGroup
    state_machine: aws.sfn.StateMachine
    rules: dict[str, aws.cloudwatch.EventRule]
    target: aws.cloudwatch.EventTarget
    dead_letter_queue: aws.sqs.Queue
    start_role: aws.iam.Role

    def __init__(
        self,
        name: str,
        args: WorkflowArgs,
        transforms: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:components:Workflow", name, None, opts)
        _validate(name, args, transforms)
        alarm_topic = args.observability.alarm_topic_arn
        self.grants = (*args.grants, LOG_DELIVERY_GRANT, WORKFLOW_XRAY_GRANT)
        self.role = self._role(name, "role", "-role", state_machine_trust(self, physical_name(name)), transforms)
        self.policy = self._policy(name, "policy", self.role, self.grants, transforms)
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            **apply_transform(transforms, "log_group", {"retention_in_days": args.observability.log_retention_days})
            # The vended-logs prefix keeps CloudWatch Logs' resource policy small as workflows are added.
            | {"name": f"/aws/vendedlogs/states/{physical_name(name)}"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.state_machine = aws.sfn.StateMachine(
            f"{name}-state-machine",
            **apply_transform(transforms, "state_machine", {"type": args.workflow_type})
            | {
                "name": physical_name(name),
                "role_arn": self.role.arn,
                "definition": args.definition,
                "logging_configuration": {
                    "level": args.log_level,
                    "include_execution_data": args.log_level == "ALL",
                    "log_destination": self.log_group.arn.apply(lambda arn: f"{arn}:*"),
                },
                "tracing_configuration": {"enabled": True},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.policy]),
        )
        self.dead_letter_queue = create_dead_letter_queue(self, name, transforms)
        self.rules = create_rules(self, name, args.bus, (args.starts_on,), transforms)
        rule = self.rules[args.starts_on.key]
        self.dead_letter_queue_policy = allow_rules_to_send(
            self, f"{name}-dlq-policy", self.dead_letter_queue, self.rules
        )
        self.start_role = self._role(name, "start_role", "-start-role", rule_target_trust(self, rule.arn), transforms)
        self.start_policy = self._policy(
            name,
            "start_policy",
            self.start_role,
            (Grant(actions=("states:StartExecution",), resources=(self.state_machine.arn,)),),
            transforms,
        )
        self.target = aws.cloudwatch.EventTarget(
            f"{name}-target-{args.starts_on.key}",
            **apply_transform(
                transforms,
                "target",
                {
                    "retry_policy": {
                        "maximum_retry_attempts": args.target_retry.maximum_retry_attempts,
                        "maximum_event_age_in_seconds": args.target_retry.maximum_event_age_seconds,
                    },
                },
            )
            | {
                "rule": rule.name,
                "event_bus_name": args.bus.name,
                "arn": self.state_machine.arn,
                "role_arn": self.start_role.arn,
                "dead_letter_config": {"arn": self.dead_letter_queue.arn},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.start_policy, self.dead_letter_queue_policy]),
        )
        self.alarms = [
            *create_delivery_alarms(self, name, args.bus, self.rules, self.dead_letter_queue, alarm_topic),
            alarms.executions_failed_alarm(f"{name}-failed-executions-alarm", self.state_machine, alarm_topic, self),
        ]
        self.register_outputs(
            {"state_machine_arn": self.state_machine.arn, "dead_letter_queue_arn": self.dead_letter_queue.arn}
        )

    def _role(
        self, name: str, role: str, suffix: str, trust: pulumi.Output[str], transforms: Transforms | None
    ) -> aws.iam.Role:
        return aws.iam.Role(
            f"{name}{suffix}",
            **child_args(transforms, role, {}, {"name": physical_name(name, suffix), "assume_role_policy": trust}),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _policy(
        self,
        name: str,
        role: str,
        owner: aws.iam.Role,
        grants: tuple[Grant, ...],
        transforms: Transforms | None,
    ) -> aws.iam.RolePolicy:
        return aws.iam.RolePolicy(
            f"{name}-{role.replace('_', '-')}",
            **child_args(
                transforms, role, {}, {"name": "least-privilege", "role": owner.id, "policy": identity_policy(grants)}
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
