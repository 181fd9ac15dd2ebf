"""NotifyingTopic: a KMS-encrypted SNS topic, its subscribers, and a policy naming exactly who may publish."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components import alarms, defaults
from components.base import (
    BusRef,
    Grant,
    PolicyStatement,
    Transforms,
    check_transforms,
    child,
    deny_insecure_transport,
    physical_name,
    raise_problems,
    resource_policy,
    transforms_for,
)
from components.rule_delivery import (
    DELIVERY_CHILDREN,
    DeliveryTarget,
    InputTransformer,
    RuleDelivery,
    RuleDeliveryArgs,
)
from components.subscriptions import Subscription, TargetRetry, create_dead_letter_queue, validate_subscriptions

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


def _validate(name: str, args: NotifyingTopicArgs, transforms: Transforms | None) -> None:
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


class NotifyingTopic(pulumi.ComponentResource):
    """An SNS topic encrypted with its own rotating KMS key, whose policy names each publisher.

        alerts = NotifyingTopic("alarms", NotifyingTopicArgs(
            alarm_name_prefix="eventshop-dev-",
            subscriptions=(TopicSubscription(key="oncall", protocol="email", endpoint="ops@example.com"),),
        ))

    Publishers: the roles in `publisher_role_arns` (grant them `publish_grants()` too), CloudWatch alarms
    named with `alarm_name_prefix`, and EventBridge on behalf of this topic's own routes. Plain HTTP is refused.
    Subscriptions to application endpoints (SQS, HTTPS, Lambda) dead-letter what SNS cannot deliver.
    """

    key: aws.kms.Key
    topic: aws.sns.Topic
    topic_policy: aws.sns.TopicPolicy
    routes: RuleDelivery | None
    queues: dict[str, aws.sqs.Queue]
    subscriptions: dict[str, aws.sns.TopicSubscription]
    rules: dict[str, aws.cloudwatch.EventRule]

    def __init__(
        self,
        name: str,
        args: NotifyingTopicArgs,
        transforms: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:components:NotifyingTopic", name, None, opts)
        _validate(name, args, transforms)
        self.account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        self.key = self._create_key(name, args, transforms)
        self.topic = child(
            aws.sns.Topic,
            f"{name}-topic",
            self,
            transforms,
            "topic",
            required={"name": physical_name(name), "kms_master_key_id": self.key.arn},
        )
        self.routes = self._create_routes(name, args, transforms)
        self.rules = self.routes.rules if self.routes else {}
        if self.routes is None:
            self.topic_policy = self._create_topic_policy(name, args, {}, transforms)
        self.queues = {}
        self.subscriptions = {}
        self.delivery_dead_letter_queue = self._create_delivery_dlq(name, args, transforms)
        for subscriber in args.queue_subscribers:
            self._subscribe_new_queue(name, subscriber, transforms)
        for subscription in args.subscriptions:
            self.subscriptions[subscription.key] = self._subscribe(
                name,
                subscription.key,
                subscription.protocol,
                subscription.endpoint,
                subscription.filter_policy,
                transforms,
            )
        self.register_outputs({"topic_arn": self.topic.arn, "key_arn": self.key.arn})

    def publish_grants(self) -> tuple[Grant, ...]:
        """What a publishing role needs: Publish on this topic and the data key to encrypt with."""
        return (
            Grant(actions=("sns:Publish",), resources=(self.topic.arn,)),
            Grant(actions=("kms:GenerateDataKey", "kms:Decrypt"), resources=(self.key.arn,)),
        )

    def _create_key(self, name: str, args: NotifyingTopicArgs, transforms: Transforms | None) -> aws.kms.Key:
        services = [
            *([("Allow_CloudWatch_for_CMK", "cloudwatch.amazonaws.com")] if args.alarm_name_prefix else []),
            *([("Allow_EventBridge_for_CMK", "events.amazonaws.com")] if args.routes else []),
        ]
        statements = [
            {
                "Sid": "AccountAdministersKeyThroughIam",
                "Effect": "Allow",
                "Principal": {"AWS": pulumi.Output.concat("arn:aws:iam::", self.account_id, ":root")},
                "Action": "kms:*",
                "Resource": "*",
            }
        ]
        # Alarms and EventBridge publish as AWS services, so the key itself must let them encrypt. In the form
        # AWS documents for services publishing to an encrypted topic, without source conditions: Amazon SNS
        # Developer Guide, "Enable compatibility between event sources from AWS services and encrypted topics"
        # (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services),
        # and for alarms re:Post "Why didn't I receive an SNS notification for my CloudWatch alarm trigger?"
        # (https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger, "Allow_CloudWatch_for_CMK").
        # Their KMS requests are not documented to carry aws:SourceAccount, and a condition on a missing key
        # denies: every alarm would fail to publish, silently. The key encrypts this topic only, and the topic
        # policy keeps the confused-deputy conditions (only this account's alarms, only this topic's rules).
        statements.extend(
            {
                "Sid": sid,
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
                "Resource": "*",
            }
            for sid, service in services
        )
        return child(
            aws.kms.Key,
            f"{name}-key",
            self,
            transforms,
            "key",
            defaults=defaults.topic_key_args(),
            required={
                "description": f"Encrypts the {physical_name(name)} topic",
                "policy": pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements}),
            },
        )

    def _create_topic_policy(
        self,
        name: str,
        args: NotifyingTopicArgs,
        rules: dict[str, aws.cloudwatch.EventRule],
        transforms: Transforms | None,
    ) -> aws.sns.TopicPolicy:
        return child(
            aws.sns.TopicPolicy,
            f"{name}-topic-policy",
            self,
            transforms,
            "topic_policy",
            required={"arn": self.topic.arn, "policy": resource_policy(self._publishers(args, rules))},
        )

    def _publishers(
        self, args: NotifyingTopicArgs, rules: dict[str, aws.cloudwatch.EventRule]
    ) -> list[PolicyStatement]:
        statements = []
        if args.publisher_role_arns:
            statements.append(
                PolicyStatement(
                    sid="AllowPublisherRoles",
                    effect="Allow",
                    principal={"AWS": list(args.publisher_role_arns)},
                    actions=("sns:Publish",),
                    resources=(self.topic.arn,),
                )
            )
        if args.alarm_name_prefix:
            statements.append(
                PolicyStatement(
                    sid="AllowOwnAlarms",
                    effect="Allow",
                    principal={"Service": "cloudwatch.amazonaws.com"},
                    actions=("sns:Publish",),
                    resources=(self.topic.arn,),
                    conditions={
                        "ArnLike": {
                            "aws:SourceArn": pulumi.Output.concat(
                                "arn:aws:cloudwatch:*:", self.account_id, ":alarm:", args.alarm_name_prefix, "*"
                            )
                        },
                        "StringEquals": {"aws:SourceAccount": self.account_id},
                    },
                )
            )
        if rules:
            statements.append(
                PolicyStatement(
                    sid="AllowOwnRoutes",
                    effect="Allow",
                    principal={"Service": "events.amazonaws.com"},
                    actions=("sns:Publish",),
                    resources=(self.topic.arn,),
                    conditions={"ArnEquals": {"aws:SourceArn": [rule.arn for rule in rules.values()]}},
                )
            )
        statements.append(deny_insecure_transport([self.topic.arn], "sns:Publish"))
        return statements

    def _subscribe(
        self,
        name: str,
        key: str,
        protocol: str,
        endpoint: pulumi.Input[str],
        filter_policy: Mapping[str, Any] | None,
        transforms: Transforms | None,
        raw: bool = False,
        depends_on: list[pulumi.Resource] | None = None,
    ) -> aws.sns.TopicSubscription:
        # What the subscription is (topic, protocol, endpoint, filter) and its redrive to the delivery DLQ are
        # what the pattern requires: they go on after the user's transform.
        required: dict[str, Any] = {"topic": self.topic.arn, "protocol": protocol, "endpoint": endpoint}
        if protocol in APPLICATION_PROTOCOLS and self.delivery_dead_letter_queue is not None:
            required["redrive_policy"] = pulumi.Output.json_dumps(
                {"deadLetterTargetArn": self.delivery_dead_letter_queue.arn}
            )
        if filter_policy:
            required["filter_policy"] = json.dumps(filter_policy, sort_keys=True)
            required["filter_policy_scope"] = "MessageAttributes"
        if raw:
            required["raw_message_delivery"] = True
        return child(
            aws.sns.TopicSubscription,
            f"{name}-sub-{key}",
            self,
            transforms,
            "subscription",
            required=required,
            opts=pulumi.ResourceOptions(depends_on=depends_on or []),
        )

    def _allow_topic_to_send(
        self, logical_name: str, queue: aws.sqs.Queue, sid: str, transforms: Transforms | None
    ) -> aws.sqs.QueuePolicy:
        """Only this topic may send to the queue (as subscriber or as dead-letter target); never over plain HTTP."""
        allow = PolicyStatement(
            sid=sid,
            effect="Allow",
            principal={"Service": "sns.amazonaws.com"},
            actions=("sqs:SendMessage",),
            resources=(queue.arn,),
            conditions={"ArnEquals": {"aws:SourceArn": self.topic.arn}},
        )
        return child(
            aws.sqs.QueuePolicy,
            logical_name,
            self,
            transforms,
            "queue_policy",
            required={
                "queue_url": queue.id,
                "policy": resource_policy([allow, deny_insecure_transport([queue.arn], "sqs:*")]),
            },
        )

    def _create_delivery_dlq(
        self, name: str, args: NotifyingTopicArgs, transforms: Transforms | None
    ) -> aws.sqs.Queue | None:
        """Where SNS puts a message it could not deliver to an application endpoint, with an alarm."""
        if not (args.queue_subscribers or any(s.protocol in APPLICATION_PROTOCOLS for s in args.subscriptions)):
            return None
        dlq = create_dead_letter_queue(self, f"{name}-delivery", transforms)
        self._allow_topic_to_send(f"{name}-delivery-dlq-policy", dlq, "AllowThisTopicToDeadLetter", transforms)
        alarms.dead_letter_alarm(
            f"{name}-delivery-dlq-alarm", dlq, args.alarm_topic_arn or self.topic.arn, self, transforms
        )
        return dlq

    def _subscribe_new_queue(self, name: str, subscriber: QueueSubscriber, transforms: Transforms | None) -> None:
        queue = child(
            aws.sqs.Queue,
            f"{name}-{subscriber.key}-queue",
            self,
            transforms,
            "queue",
            defaults=defaults.dead_letter_queue_args(),
            required={"name": physical_name(name, f"-{subscriber.key}")},
        )
        policy = self._allow_topic_to_send(
            f"{name}-{subscriber.key}-queue-policy", queue, "AllowThisTopicToSend", transforms
        )
        self.queues[subscriber.key] = queue
        self.subscriptions[subscriber.key] = self._subscribe(
            name, subscriber.key, "sqs", queue.arn, subscriber.filter_policy, transforms, raw=True, depends_on=[policy]
        )

    def _create_routes(
        self, name: str, args: NotifyingTopicArgs, transforms: Transforms | None
    ) -> RuleDelivery | None:
        """Bus events to the topic, reshaped; the topic policy lets exactly these rules publish."""
        if not (args.routes and args.bus and args.alarm_topic_arn):
            return None

        def deliver_to_topic(delivery: RuleDelivery) -> DeliveryTarget:
            self.topic_policy = self._create_topic_policy(name, args, delivery.rules, transforms)
            return DeliveryTarget(
                arn=self.topic.arn,
                input_transformers={
                    route.key: InputTransformer(input_paths=route.input_paths, input_template=route.input_template)
                    for route in args.routes
                },
                depends_on=(self.topic_policy,),
            )

        return RuleDelivery(
            name,
            RuleDeliveryArgs(
                bus=args.bus,
                subscriptions=tuple(Subscription(key=route.key, pattern=route.pattern) for route in args.routes),
                target=deliver_to_topic,
                alarm_topic_arn=args.alarm_topic_arn,
                retry=args.route_retry,
                dead_letter_name=f"{name}-routes",
            ),
            transforms=transforms_for(transforms, DELIVERY_CHILDREN),
            opts=pulumi.ResourceOptions(parent=self),
        )
