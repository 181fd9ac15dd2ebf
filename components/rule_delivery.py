"""RuleDelivery: rules on a bus delivering to one target, with retries, a dead-letter queue and alarms.

Every bus consumer (QueuedConsumer, EventService, NotifyingTopic's routes, EventForwarder, Workflow) is this
pattern plus its own target, so the rule -> target -> DLQ -> alarms wiring lives here once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components import alarms
from components.base import (
    BusRef,
    Grant,
    SourceArns,
    Transforms,
    check_transforms,
    child,
    least_privilege_role,
    moved_from_parent,
    physical_name,
    raise_problems,
)
from components.subscriptions import (
    Subscription,
    TargetRetry,
    allow_rules_to_send,
    create_dead_letter_queue,
    validate_subscriptions,
)
from components.trust import rule_target_trust

#: The children of a delivery whose target takes no role (a queue, a function, a topic: their resource policies
#: let the rules in); TARGET_ROLE_CHILDREN are added where the target role exists.
DELIVERY_CHILDREN = ("dlq", "dlq_policy", "rule", "target", alarms.ALARM_ROLE)
TARGET_ROLE_CHILDREN = ("target_role", "target_role_policy")


@dataclass(frozen=True, kw_only=True)
class InputTransformer:
    """Reshapes a matched event before delivery.

    input_paths: JSONPaths into the event, by name. input_template: the delivered input, with `<name>` placeholders.
    """

    input_paths: Mapping[str, str]
    input_template: str


@dataclass(frozen=True, kw_only=True)
class TargetRole:
    """A role EventBridge assumes to deliver (to a bus, a state machine). Only EventBridge acting for one of
    the delivery's rules, in this account, may assume it (its trust policy's aws:SourceArn).

    grants: what delivering needs, e.g. `states:StartExecution` on the machine.
    name: names the role `<delivery>-<name>`, in Pulumi and in IAM, default "target-role".
    policy: names its inline policy's Pulumi resource `<delivery>-<policy>`, default "target-policy".
    policy_name: the inline policy's name in IAM, default "least-privilege".
    """

    grants: tuple[Grant, ...]
    name: str = "target-role"
    policy: str = "target-policy"
    policy_name: str = "least-privilege"


@dataclass(frozen=True, kw_only=True)
class DeliveryTarget:
    """Where the rules deliver.

    arn: the target. role: a role EventBridge assumes to deliver, default none (the target's resource policy
    lets the rules in). input_transformers: per subscription key, how to reshape its events, default none.
    depends_on: what must exist before delivery starts (the target's resource policy or invoke permissions),
    default none.
    """

    arn: pulumi.Input[str]
    role: TargetRole | None = None
    input_transformers: Mapping[str, InputTransformer] = field(default_factory=dict)
    depends_on: tuple[pulumi.Resource, ...] = ()


#: Builds the target once the delivery's DLQ and rules exist, for targets that name them: a queue that
#: redrives into the DLQ, a function whose failures go there, a resource policy that names the rules.
TargetFactory = Callable[["RuleDelivery"], DeliveryTarget]


@dataclass(frozen=True, kw_only=True)
class RuleDeliveryArgs:
    """Rules on a bus and the one target they deliver to.

    bus: the bus the rules listen on. subscriptions: one rule (and one target) per entry.
    target: a `DeliveryTarget`, or a function of this delivery returning one (see `TargetFactory`).
    alarm_topic_arn: where the DLQ and FailedInvocations alarms go.
    retry: EventBridge's delivery retries before dead-lettering, default `TargetRetry()`.
    dead_letter_name: names the DLQ, its policy and the alarms (`<dead_letter_name>-dlq`, ...), default none (the
    delivery's own name).
    """

    bus: BusRef
    subscriptions: tuple[Subscription, ...]
    target: DeliveryTarget | TargetFactory
    alarm_topic_arn: pulumi.Input[str]
    retry: TargetRetry = field(default_factory=TargetRetry)
    dead_letter_name: str | None = None


def _has_role(target: DeliveryTarget | TargetFactory) -> bool:
    """A target built later may take a role: its transforms are checked once it is known to."""
    return not isinstance(target, DeliveryTarget) or target.role is not None


def validate_delivery(args: RuleDeliveryArgs, problems: list[str]) -> None:
    """What a component embedding a RuleDelivery checks with its own arguments, before creating anything."""
    validate_subscriptions(args.subscriptions, args.retry, problems)
    if isinstance(args.target, DeliveryTarget):
        validate_target(args.target, args.subscriptions, problems)


def validate_target(target: DeliveryTarget, subscriptions: tuple[Subscription, ...], problems: list[str]) -> None:
    keys = {subscription.key for subscription in subscriptions}
    problems.extend(
        f"input transformer {key!r} names no subscription" for key in sorted(set(target.input_transformers) - keys)
    )
    for grant in target.role.grants if target.role else ():
        problems.extend(grant.problems())


class RuleDelivery(pulumi.ComponentResource):
    """Rules on a bus, each with a target that retries and dead-letters what it cannot deliver.

        RuleDelivery("billing", RuleDeliveryArgs(
            bus=bus.ref, alarm_topic_arn=ops_topic_arn,
            subscriptions=(Subscription(key="placed", pattern={"detail-type": ["OrderPlaced"]}),),
            target=DeliveryTarget(arn=queue.arn, depends_on=(queue_policy,)),
        ), opts=pulumi.ResourceOptions(parent=owner))

    Secure by default: the DLQ is encrypted and only these rules may send to it (never over plain HTTP); a
    target role, if any, may be assumed only by EventBridge acting for these rules. Alarms: one message in
    the DLQ, and each rule's FailedInvocations.

    Its children were once created directly under the delivery's parent: each carries an alias to that
    parent, so stacks deployed before RuleDelivery existed update in place.
    """

    dead_letter_queue: aws.sqs.Queue
    dead_letter_queue_policy: aws.sqs.QueuePolicy
    rules: dict[str, aws.cloudwatch.EventRule]
    role: aws.iam.Role | None
    role_policy: aws.iam.RolePolicy | None
    targets: dict[str, aws.cloudwatch.EventTarget]
    alarms: list[aws.cloudwatch.MetricAlarm]

    def __init__(
        self,
        name: str,
        args: RuleDeliveryArgs,
        transforms: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:components:RuleDelivery", name, None, opts)
        problems: list[str] = []
        validate_delivery(args, problems)
        check_transforms(
            transforms, (*DELIVERY_CHILDREN, *(TARGET_ROLE_CHILDREN if _has_role(args.target) else ())), problems
        )
        raise_problems("RuleDelivery", name, problems)
        self._transforms = transforms
        moved = moved_from_parent(opts)
        dlq_name = args.dead_letter_name or name

        self.dead_letter_queue = create_dead_letter_queue(self, dlq_name, transforms, moved)
        self.rules = {
            subscription.key: child(
                aws.cloudwatch.EventRule,
                f"{name}-rule-{subscription.key}",
                self,
                transforms,
                "rule",
                defaults={"state": "ENABLED"},
                # The rule's name (its key), bus and pattern are the subscription itself.
                required={
                    "name": physical_name(name, f"-{subscription.key}"),
                    "event_bus_name": args.bus.name,
                    "event_pattern": json.dumps(subscription.pattern, sort_keys=True),
                },
                opts=moved,
            )
            for subscription in args.subscriptions
        }
        self.dead_letter_queue_policy = allow_rules_to_send(
            self, f"{dlq_name}-dlq-policy", self.dead_letter_queue, self.rules, transforms, "dlq_policy", moved
        )
        target = args.target if isinstance(args.target, DeliveryTarget) else self._built_target(name, args.target, args)
        self.role, self.role_policy = self._create_role(name, target.role, moved)
        role_policy = [self.role_policy] if self.role_policy else []
        waits_for = [self.dead_letter_queue_policy, *role_policy, *target.depends_on]
        self.targets = {
            key: child(
                aws.cloudwatch.EventTarget,
                f"{name}-target-{key}",
                self,
                transforms,
                "target",
                defaults={
                    "retry_policy": {
                        "maximum_retry_attempts": args.retry.maximum_retry_attempts,
                        "maximum_event_age_in_seconds": args.retry.maximum_event_age_seconds,
                    },
                },
                required=self._target_wiring(args.bus, rule, target, key),
                opts=pulumi.ResourceOptions.merge(moved, pulumi.ResourceOptions(depends_on=waits_for)),
            )
            for key, rule in self.rules.items()
        }
        self.alarms = [
            alarms.dead_letter_alarm(
                f"{dlq_name}-dlq-alarm", self.dead_letter_queue, args.alarm_topic_arn, self, transforms, moved
            ),
            *(
                alarms.failed_invocations_alarm(
                    f"{dlq_name}-{key}-failed-alarm", rule, args.bus.name, args.alarm_topic_arn, self, transforms, moved
                )
                for key, rule in self.rules.items()
            ),
        ]
        self.register_outputs(
            {"dead_letter_queue_arn": self.dead_letter_queue.arn, "rule_arns": [r.arn for r in self.rules.values()]}
        )

    def _built_target(self, name: str, factory: TargetFactory, args: RuleDeliveryArgs) -> DeliveryTarget:
        target = factory(self)
        problems: list[str] = []
        validate_target(target, args.subscriptions, problems)
        raise_problems("RuleDelivery", name, problems)
        return target

    def _target_wiring(
        self, bus: BusRef, rule: aws.cloudwatch.EventRule, target: DeliveryTarget, key: str
    ) -> dict[str, Any]:
        """What delivery needs to work, after the user's transform: the rule, the target, the DLQ, the role."""
        wiring: dict[str, Any] = {
            "rule": rule.name,
            "event_bus_name": bus.name,
            "arn": target.arn,
            "dead_letter_config": {"arn": self.dead_letter_queue.arn},
        }
        if self.role is not None:
            wiring["role_arn"] = self.role.arn
        if key in target.input_transformers:
            reshape = target.input_transformers[key]
            wiring["input_transformer"] = {
                "input_paths": dict(reshape.input_paths),
                "input_template": reshape.input_template,
            }
        return wiring

    def _create_role(
        self, name: str, role: TargetRole | None, moved: pulumi.ResourceOptions
    ) -> tuple[aws.iam.Role | None, aws.iam.RolePolicy | None]:
        if role is None:
            return None, None
        arns = [rule.arn for rule in self.rules.values()]
        source: SourceArns = arns[0] if len(arns) == 1 else arns
        target_role, policy = least_privilege_role(
            self,
            name,
            self._transforms,
            trust=rule_target_trust(self, source),
            grants=role.grants,
            suffix=f"-{role.name}",
            policy_suffix=f"-{role.policy}",
            policy_name=role.policy_name,
            roles=("target_role", "target_role_policy"),
            opts=moved,
        )
        return target_role, policy
