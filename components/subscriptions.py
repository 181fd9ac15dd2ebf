"""What every bus consumer is made of: subscriptions (a rule's key and pattern), the retries of its target,
a dead-letter queue, and a queue policy that lets only its own rules send."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components import defaults
from components.base import (
    PolicyStatement,
    Transforms,
    child,
    deny_insecure_transport,
    physical_name,
    resource_policy,
)

_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")


@dataclass(frozen=True, kw_only=True)
class Subscription:
    """One EventBridge rule: a stable key (it names the rule) and the event pattern it matches.

    key: lowercase letters, digits and dashes; the key, not a hash of the pattern, names the rule, so editing a
    pattern updates the rule in place instead of replacing it. pattern: the event pattern (it must constrain
    source or detail-type).
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


def create_dead_letter_queue(
    owner: pulumi.Resource, name: str, transforms: Transforms | None, opts: pulumi.ResourceOptions | None = None
) -> aws.sqs.Queue:
    return child(
        aws.sqs.Queue,
        f"{name}-dlq",
        owner,
        transforms,
        "dlq",
        defaults=defaults.dead_letter_queue_args(),
        required={"name": physical_name(name, "-dlq")},
        opts=opts,
    )


def allow_rules_to_send(
    owner: pulumi.Resource,
    logical_name: str,
    queue: aws.sqs.Queue,
    rules: Mapping[str, aws.cloudwatch.EventRule],
    transforms: Transforms | None,
    role: str,
    opts: pulumi.ResourceOptions | None = None,
) -> aws.sqs.QueuePolicy:
    """Only EventBridge, only on behalf of these rules, may send; nothing may use plain HTTP."""
    return child(
        aws.sqs.QueuePolicy,
        logical_name,
        owner,
        transforms,
        role,
        required={
            "queue_url": queue.id,
            "policy": resource_policy(
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
        },
        opts=opts,
    )
