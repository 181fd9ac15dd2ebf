"""Workflow: a Step Functions state machine started by a rule on the bus, logged, traced and alarmed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components import alarms
from components.asl import definition_problems
from components.base import (
    BusRef,
    Grant,
    Transforms,
    check_transforms,
    child,
    create_log_group,
    least_privilege_role,
    physical_name,
    raise_problems,
    transforms_for,
)
from components.function import Observability
from components.rule_delivery import (
    DELIVERY_CHILDREN,
    TARGET_ROLE_CHILDREN,
    DeliveryTarget,
    RuleDelivery,
    RuleDeliveryArgs,
    TargetRole,
)
from components.subscriptions import Subscription, TargetRetry, validate_subscriptions
from components.trust import state_machine_trust

WORKFLOW_CHILDREN = ("role", "policy", "log_group", "state_machine", *DELIVERY_CHILDREN, *TARGET_ROLE_CHILDREN)
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
    workflow_type: STANDARD or EXPRESS, default STANDARD. target_retry: EventBridge retries, default `TargetRetry()`.
    """

    definition: pulumi.Input[str]
    bus: BusRef
    starts_on: Subscription
    grants: tuple[Grant, ...]
    observability: Observability
    log_level: str = "ERROR"
    workflow_type: str = "STANDARD"
    target_retry: TargetRetry = field(default_factory=TargetRetry)


def definition_text_problems(text: str) -> list[str]:
    """What is wrong with a definition's JSON text: not JSON, or states that do not hang together."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        return [f"definition is not JSON: {error}"]
    return [f"definition: {problem}" for problem in definition_problems(document)]


def definition_checked(name: str, text: str) -> str:
    """The definition, once it parses and its states hang together (components/asl.py); else one ValueError."""
    raise_problems("Workflow", name, definition_text_problems(text))
    return text


def _validate(name: str, args: WorkflowArgs, transforms: Transforms | None) -> None:
    problems: list[str] = []
    if isinstance(args.definition, str):
        problems.extend(definition_text_problems(args.definition))
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
    delivery: RuleDelivery
    rules: dict[str, aws.cloudwatch.EventRule]
    target: aws.cloudwatch.EventTarget
    dead_letter_queue: aws.sqs.Queue

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
        self.role, self.policy = least_privilege_role(
            self, name, transforms, trust=state_machine_trust(self, physical_name(name)), grants=self.grants
        )
        # The vended-logs prefix keeps CloudWatch Logs' resource policy small as workflows are added.
        self.log_group = create_log_group(
            self,
            name,
            transforms,
            args.observability.log_retention_days,
            f"/aws/vendedlogs/states/{physical_name(name)}",
        )
        self.state_machine = child(
            aws.sfn.StateMachine,
            f"{name}-state-machine",
            self,
            transforms,
            "state_machine",
            defaults={"type": args.workflow_type},
            required={
                "name": physical_name(name),
                "role_arn": self.role.arn,
                # A definition known only at deployment is checked as soon as it is known.
                "definition": pulumi.Output.from_input(args.definition).apply(
                    lambda text: definition_checked(name, text)
                ),
                "logging_configuration": {
                    "level": args.log_level,
                    "include_execution_data": args.log_level == "ALL",
                    "log_destination": self.log_group.arn.apply(lambda arn: f"{arn}:*"),
                },
                "tracing_configuration": {"enabled": True},
            },
            opts=pulumi.ResourceOptions(depends_on=[self.policy]),
        )
        # The rule's target role may only start this state machine.
        starting = Grant(actions=("states:StartExecution",), resources=(self.state_machine.arn,))
        self.delivery = RuleDelivery(
            name,
            RuleDeliveryArgs(
                bus=args.bus,
                subscriptions=(args.starts_on,),
                target=DeliveryTarget(
                    arn=self.state_machine.arn,
                    role=TargetRole(grants=(starting,), name="start-role", policy="start-policy"),
                ),
                alarm_topic_arn=alarm_topic,
                retry=args.target_retry,
            ),
            transforms=transforms_for(transforms, (*DELIVERY_CHILDREN, *TARGET_ROLE_CHILDREN)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.rules = self.delivery.rules
        self.target = self.delivery.targets[args.starts_on.key]
        self.dead_letter_queue = self.delivery.dead_letter_queue
        self.alarms = [
            *self.delivery.alarms,
            alarms.executions_failed_alarm(
                f"{name}-failed-executions-alarm", self.state_machine, alarm_topic, self, transforms
            ),
        ]
        self.register_outputs(
            {"state_machine_arn": self.state_machine.arn, "dead_letter_queue_arn": self.dead_letter_queue.arn}
        )
