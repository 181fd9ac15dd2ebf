"""What a NotifyingTopic takes: its subscribers, publishers and routes, and the one check of them all."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.base import BusRef, Transforms, check_transforms, raise_problems
from components.rule_delivery import DELIVERY_CHILDREN
from components.subscriptions import Subscription, TargetRetry, validate_subscriptions

NOTIFYING_TOPIC_CHILDREN = (
    "key",
    "topic",
    "topic_policy",
    "subscription",
    "queue",
    "queue_policy",
    *DELIVERY_CHILDREN,
)
PROTOCOLS = ("email", "sqs", "https", "lambda")
# SNS drops what it cannot deliver to these after its retries unless the subscription has a DLQ.
APPLICATION_PROTOCOLS = ("sqs", "https", "lambda")
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")


@dataclass(frozen=True, kw_only=True)
class TopicSubscription:
    """An existing endpoint subscribed to the topic.

    key: names the subscription. protocol: email, sqs, https or lambda. endpoint: the address, queue or function.
    filter_policy: which messages it receives, by message attributes, default none (all).
    """

    key: str
    protocol: str
    endpoint: pulumi.Input[str]
    filter_policy: Mapping[str, Any] | None = None


@dataclass(frozen=True, kw_only=True)
class QueueSubscriber:
    """An encrypted queue the component creates and subscribes (raw delivery), readable by its owner.

    key: names the queue. filter_policy: which messages it receives, by message attributes, default none (all).
    """

    key: str
    filter_policy: Mapping[str, Any] | None = None


@dataclass(frozen=True, kw_only=True)
class Route:
    """Bus events matching a pattern, reshaped by an input transformer, published to the topic.

    key: names the route's rule. pattern: the events routed. input_paths: JSONPaths into the event, by name.
    input_template: the message, with `<name>` placeholders.
    """

    key: str
    pattern: Mapping[str, Any]
    input_paths: Mapping[str, str]
    input_template: str


@dataclass(frozen=True, kw_only=True)
class NotifyingTopicArgs:
    """Who publishes and who receives.

    subscriptions: existing endpoints, default none. queue_subscribers: queues created for you, default none.
    publisher_role_arns: IAM roles allowed to publish, default none.
    alarm_name_prefix: CloudWatch alarms whose names start with it may publish, default none.
    bus: the bus routes listen on (required with routes), default none.
    routes: bus events routed to the topic, default none. route_retry: default `TargetRetry()`.
    alarm_topic_arn: where the routes' and deliveries' DLQ alarms go (required with routes), default none (the
    delivery DLQ alarm notifies this topic itself).
    """

    subscriptions: tuple[TopicSubscription, ...] = ()
    queue_subscribers: tuple[QueueSubscriber, ...] = ()
    publisher_role_arns: tuple[pulumi.Input[str], ...] = ()
    alarm_name_prefix: str | None = None
    bus: BusRef | None = None
    routes: tuple[Route, ...] = ()
    route_retry: TargetRetry = field(default_factory=TargetRetry)
    alarm_topic_arn: pulumi.Input[str] | None = None


def validate_topic_args(name: str, args: NotifyingTopicArgs, transforms: Transforms | None) -> None:
    problems: list[str] = []
    check_transforms(transforms, NOTIFYING_TOPIC_CHILDREN, problems)
    keys = [s.key for s in args.subscriptions] + [q.key for q in args.queue_subscribers]
    problems.extend(f"subscriber key {key!r} is used twice" for key in sorted(set(keys)) if keys.count(key) > 1)
    problems.extend(
        f"subscriber key {key!r} must be lowercase letters, digits and dashes" for key in keys if not _KEY.match(key)
    )
    problems.extend(
        f"subscription {s.key!r}: protocol must be one of {', '.join(PROTOCOLS)}, got {s.protocol!r}"
        for s in args.subscriptions
        if s.protocol not in PROTOCOLS
    )
    problems.extend(
        f"subscription {s.key!r}: https endpoints must start with https://"
        for s in args.subscriptions
        if s.protocol == "https" and isinstance(s.endpoint, str) and not s.endpoint.startswith("https://")
    )
    if args.routes:
        if args.bus is None:
            problems.append("routes need a bus")
        if args.alarm_topic_arn is None:
            problems.append("routes need an alarm_topic_arn for their dead-letter alarm")
        validate_subscriptions(
            [Subscription(key=route.key, pattern=route.pattern) for route in args.routes], args.route_retry, problems
        )
    if not (args.publisher_role_arns or args.alarm_name_prefix or args.routes):
        problems.append("nobody may publish: give publisher_role_arns, alarm_name_prefix or routes")
    raise_problems("NotifyingTopic", name, problems)
