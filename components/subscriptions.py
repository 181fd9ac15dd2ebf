"""Rules, targets and dead-letter queues shared by every bus consumer pattern."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components import alarms, defaults
from components.base import (
    BusRef,
    PolicyStatement,
    Transforms,
    apply_transform,
    child_args,
    deny_insecure_transport,
    physical_name,
    resource_policy,
)

SUBSCRIPTION_CHILDREN = ("rule", "target", "dlq")
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")


@dataclass(frozen=True, kw_only=True)
class Subscription:
    """One EventBridge rule: a stable key (it names the rule) and the event pattern it matches.

    The key, not a hash of the pattern, names the rule, so editing a pattern updates the rule
    in place instead of replacing it.
    """

    key: str
    pattern: Mapping[str, Any]


@dataclass(frozen=True, kw_only=True)
class TargetRetry:
    """How long EventBridge keeps retrying a failed delivery before dead-lettering it.

    maximum_retry_attempts: default 185 (EventBridge's own default). maximum_event_age_seconds: default 86400.
    """

    maximum_retry_attempts: int = 185
    maximum_event_age_seconds: int = 86400


def validate_subscriptions(subscriptions: Sequence[Subscription], retry: TargetRetry, problems: list[str]) -> None:
    if not subscriptions:
        problems.append("subscriptions is empty: nothing would ever be delivered")
    keys = [subscription.key for subscription in subscriptions]
    problems.extend(f"subscription key {key!r} is used twice" for key in sorted(set(keys)) if keys.count(key) > 1)
    for subscription in subscriptions:
        if not _KEY.match(subscription.key):
            problems.append(
                f"subscription key {subscription.key!r} must be lowercase letters, digits and dashes (max 31)"
            )
        # A pattern with neither source nor detail-type matches every event on the bus.
        if not {"source", "detail-type"} & set(subscription.pattern):
            problems.append(f"subscription {subscription.key!r}: the pattern must constrain source or detail-type")
    if not 0 <= retry.maximum_retry_attempts <= 185:
        problems.append(f"target retry attempts must be between 0 and 185, got {retry.maximum_retry_attempts}")
    if not 60 <= retry.maximum_event_age_seconds <= 86400:
        problems.append(
            f"target maximum event age must be between 60 and 86400 s, got {retry.maximum_event_age_seconds}"
        )


def create_dead_letter_queue(owner: pulumi.Resource, name: str, transforms: Transforms | None) -> aws.sqs.Queue:
    return aws.sqs.Queue(
        f"{name}-dlq",
        **apply_transform(transforms, "dlq", defaults.dead_letter_queue_args()) | {"name": physical_name(name, "-dlq")},
        opts=pulumi.ResourceOptions(parent=owner),
    )


def create_rules(
    owner: pulumi.Resource,
    name: str,
    bus: BusRef,
    subscriptions: Sequence[Subscription],
    transforms: Transforms | None,
) -> dict[str, aws.cloudwatch.EventRule]:
    return {
        subscription.key: aws.cloudwatch.EventRule(
            f"{name}-rule-{subscription.key}",
            **child_args(
                transforms,
                "rule",
                {"state": "ENABLED"},
                # The rule's name (its key), bus and pattern are the subscription itself.
                {
                    "name": physical_name(name, f"-{subscription.key}"),
                    "event_bus_name": bus.name,
                    "event_pattern": json.dumps(subscription.pattern, sort_keys=True),
                },
            ),
            opts=pulumi.ResourceOptions(parent=owner),
        )
        for subscription in subscriptions
    }


def create_targets(
    owner: pulumi.Resource,
    name: str,
    bus: BusRef,
    rules: Mapping[str, aws.cloudwatch.EventRule],
    target_arn: pulumi.Input[str],
    dead_letter_queue: aws.sqs.Queue,
    retry: TargetRetry,
    transforms: Transforms | None,
    depends_on: Sequence[pulumi.Resource] = (),
    input_transformers: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, aws.cloudwatch.EventTarget]:
    """One target per rule, each with a retry policy and a dead-letter queue for what cannot be delivered."""
    reshape = input_transformers or {}
    return {
        key: aws.cloudwatch.EventTarget(
            f"{name}-target-{key}",
            **apply_transform(
                transforms,
                "target",
                {
                    "retry_policy": {
                        "maximum_retry_attempts": retry.maximum_retry_attempts,
                        "maximum_event_age_in_seconds": retry.maximum_event_age_seconds,
                    },
                },
            )
            | {
                "rule": rule.name,
                "event_bus_name": bus.name,
                "arn": target_arn,
                "dead_letter_config": {"arn": dead_letter_queue.arn},
                **({"input_transformer": reshape[key]} if key in reshape else {}),
            },
            opts=pulumi.ResourceOptions(parent=owner, depends_on=list(depends_on)),
        )
        for key, rule in rules.items()
    }


def allow_rules_to_send(
    owner: pulumi.Resource,
    logical_name: str,
    queue: aws.sqs.Queue,
    rules: Mapping[str, aws.cloudwatch.EventRule],
) -> aws.sqs.QueuePolicy:
    """Only EventBridge, only on behalf of these rules, may send; nothing may use plain HTTP."""
    return aws.sqs.QueuePolicy(
        logical_name,
        queue_url=queue.id,
        policy=resource_policy(
            [
                PolicyStatement(
                    sid="AllowOwnRulesToSend",
                    effect="Allow",
                    principal={"Service": "events.amazonaws.com"},
                    actions=("sqs:SendMessage",),
                    resources=(queue.arn,),
                    conditions={"ArnEquals": {"aws:SourceArn": [rule.arn for rule in rules.values()]}},
                ),
                deny_insecure_transport([queue.arn], "sqs:*"),
            ]
        ),
        opts=pulumi.ResourceOptions(parent=owner),
    )


def create_delivery_alarms(
    owner: pulumi.Resource,
    name: str,
    bus: BusRef,
    rules: Mapping[str, aws.cloudwatch.EventRule],
    dead_letter_queue: aws.sqs.Queue,
    alarm_topic_arn: pulumi.Input[str],
) -> list[aws.cloudwatch.MetricAlarm]:
    """A DLQ alarm and one FailedInvocations alarm per rule."""
    return [
        alarms.dead_letter_alarm(f"{name}-dlq-alarm", dead_letter_queue, alarm_topic_arn, owner),
        *(
            alarms.failed_invocations_alarm(f"{name}-{key}-failed-alarm", rule, bus.name, alarm_topic_arn, owner)
            for key, rule in rules.items()
        ),
    ]
