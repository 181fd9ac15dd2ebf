"""EventForwarder: a rule on one bus (by default the account's default bus) forwarding to another bus."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.base import (
    BusRef,
    Grant,
    Transforms,
    check_transforms,
    physical_name,
    raise_problems,
)
from components.rule_delivery import (
    DELIVERY_CHILDREN,
    TARGET_ROLE_CHILDREN,
    DeliveryTarget,
    RuleDelivery,
    RuleDeliveryArgs,
    TargetRole,
)
from components.subscriptions import Subscription, TargetRetry, validate_subscriptions

FORWARDER_CHILDREN = (*DELIVERY_CHILDREN, *TARGET_ROLE_CHILDREN)
#: Names the one grant of PutEvents without an events:source condition (the policy pack knows it).
FORWARDING_SID = "ForwardOnBehalfOfOneRule"


@dataclass(frozen=True, kw_only=True)
class EventForwarderArgs:
    """to_bus: the bus events are forwarded to. pattern: what to forward (must name a source).
    sources: the sources forwarded (exactly the pattern's sources; the rule's pattern is what bounds them).
    alarm_topic_arn: where the DLQ and FailedInvocations alarms go.
    from_bus_name: the bus the rule listens on, default "default" (where AWS services send events).
    retry: the target's retry policy (EventBridge's own: 185 attempts, 24 h), default `TargetRetry()`.
    """

    to_bus: BusRef
    pattern: Mapping[str, Any]
    sources: tuple[str, ...]
    alarm_topic_arn: pulumi.Input[str]
    from_bus_name: str = "default"
    retry: TargetRetry = field(default_factory=TargetRetry)


class EventForwarder(pulumi.ComponentResource):
    """Forwards matching events between buses, with a role only EventBridge acting for its rule may assume.

    EventForwarder("invoices-forward", EventForwarderArgs(to_bus=bus, sources=("aws.s3",),
        pattern={"source": ["aws.s3"], "detail": {"bucket": {"name": ["my-bucket"]}}}, alarm_topic_arn=ops))
    """

    delivery: RuleDelivery
    rule: aws.cloudwatch.EventRule
    target: aws.cloudwatch.EventTarget
    dead_letter_queue: aws.sqs.Queue

    def __init__(
        self,
        name: str,
        args: EventForwarderArgs,
        transforms: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:components:EventForwarder", name, None, opts)
        problems: list[str] = []
        check_transforms(transforms, FORWARDER_CHILDREN, problems)
        subscription = Subscription(key="forward", pattern=args.pattern)
        validate_subscriptions((subscription,), args.retry, problems)
        if "source" not in args.pattern:
            problems.append("the pattern must name the source(s) it forwards")
        if sorted(args.sources) != sorted(args.pattern.get("source", [])):
            problems.append("sources must be exactly the pattern's sources (what the rule forwards)")
        raise_problems("EventForwarder", name, problems)

        # The role is scoped by who may assume it, not by an events:source condition. No AWS documentation
        # says that EventBridge evaluates events:source against a bus-to-bus target's role (the documented
        # events:source examples are identity policies of callers of PutEvents, and receiving buses'
        # resource policies), and a StringEquals on a key the request lacks denies, which would drop every
        # forwarded event. So the role may put events only on the target bus, and only EventBridge acting
        # for this one rule, in this account, may assume it (its trust policy's aws:SourceArn): what it
        # forwards is exactly what the rule's pattern matches.
        forwarding = Grant(actions=("events:PutEvents",), resources=(args.to_bus.arn,), sid=FORWARDING_SID)
        self.delivery = RuleDelivery(
            name,
            RuleDeliveryArgs(
                bus=BusRef(name=args.from_bus_name, arn=""),
                subscriptions=(subscription,),
                target=DeliveryTarget(
                    arn=args.to_bus.arn,
                    role=TargetRole(
                        grants=(forwarding,),
                        name="role",
                        policy="role-policy",
                        policy_name=physical_name(name, "-put-events"),
                    ),
                ),
                alarm_topic_arn=args.alarm_topic_arn,
                retry=args.retry,
            ),
            transforms=transforms,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.rule = self.delivery.rules["forward"]
        self.target = self.delivery.targets["forward"]
        self.dead_letter_queue = self.delivery.dead_letter_queue
        self.register_outputs({"rule_arn": self.rule.arn, "dead_letter_queue_arn": self.dead_letter_queue.arn})
