"""EventForwarder: a rule on one bus (by default the account's default bus) forwarding to another bus."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.base import (
    BusRef,
    Transforms,
    check_transforms,
    physical_name,
    raise_problems,
)
from components.subscriptions import (
    Subscription,
    TargetRetry,
    allow_rules_to_send,
    create_dead_letter_queue,
    create_delivery_alarms,
    create_rules,
    create_targets,
    validate_subscriptions,
)
from components.trust import rule_target_trust

FORWARDER_CHILDREN = ("rule", "target", "dlq")
#: Names the one grant of PutEvents without an events:source condition (the policy pack knows it).
FORWARDING_SID = "ForwardOnBehalfOfOneRule"


@dataclass(frozen=True, kw_only=True)
class EventForwarderArgs:
    """to_bus: the bus events are forwarded to. pattern: what to forward (must name a source).
    sources: the sources forwarded (exactly the pattern's sources; the rule's pattern is what bounds them).
    alarm_topic_arn: where the DLQ and FailedInvocations alarms go.
    from_bus_name: the bus the rule listens on, default "default" (where AWS services send events).
    retry: the target's retry policy, default EventBridge's own (185 attempts, 24 h).
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

    rule: aws.cloudwatch.EventRule
    target: aws.cloudwatch.EventTarget
    role: aws.iam.Role
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

        from_bus = BusRef(name=args.from_bus_name, arn="")
        self.dead_letter_queue = create_dead_letter_queue(self, name, transforms)
        rules = create_rules(self, name, from_bus, (subscription,), transforms)
        self.rule = rules["forward"]
        self.queue_policy = allow_rules_to_send(self, f"{name}-dlq-policy", self.dead_letter_queue, rules)
        # Scoped by who may assume it, not by an events:source condition. No AWS documentation says that
        # EventBridge evaluates events:source against a bus-to-bus target's role (the documented
        # events:source examples are identity policies of callers of PutEvents, and receiving buses'
        # resource policies), and a StringEquals on a key the request lacks denies, which would drop
        # every forwarded event. So the role may put events only on the target bus, and only EventBridge
        # acting for this one rule, in this account, may assume it (its trust policy's aws:SourceArn):
        # what it forwards is exactly what the rule's pattern matches.
        self.role = aws.iam.Role(
            f"{name}-role",
            name=physical_name(name, "-role"),
            assume_role_policy=rule_target_trust(self, self.rule.arn),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.role_policy = aws.iam.RolePolicy(
            f"{name}-role-policy",
            name=physical_name(name, "-put-events"),
            role=self.role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": FORWARDING_SID,
                            "Effect": "Allow",
                            "Action": ["events:PutEvents"],
                            "Resource": [args.to_bus.arn],
                        }
                    ],
                }
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        role_arn = self.role.arn

        def with_role(kwargs: dict[str, Any]) -> dict[str, Any]:
            user = (transforms or {}).get("target")
            changed = user(kwargs) if user else None
            return (kwargs if changed is None else changed) | {"role_arn": role_arn}

        self.target = create_targets(
            self,
            name,
            from_bus,
            rules,
            args.to_bus.arn,
            self.dead_letter_queue,
            args.retry,
            {**(transforms or {}), "target": with_role},
            depends_on=[self.role_policy],
        )["forward"]
        self.alarms = create_delivery_alarms(self, name, from_bus, rules, self.dead_letter_queue, args.alarm_topic_arn)
        self.register_outputs({"rule_arn": self.rule.arn, "dead_letter_queue_arn": self.dead_letter_queue.arn})
