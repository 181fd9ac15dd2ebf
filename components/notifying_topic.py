"""NotifyingTopic: a KMS-encrypted SNS topic, its subscribers, and a policy naming exactly who may publish."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from components import alarms, defaults
from components.base import (
    Grant,
    PolicyStatement,
    Transforms,
    child,
    deny_insecure_transport,
    physical_name,
    resource_policy,
    transforms_for,
)
from components.encryption_key import rotating_key
from components.notifying_topic_args import (
    APPLICATION_PROTOCOLS,
    NOTIFYING_TOPIC_CHILDREN,
    PROTOCOLS,
    NotifyingTopicArgs,
    QueueSubscriber,
    Route,
    TopicSubscription,
    validate_topic_args,
)
from components.rule_delivery import (
    DELIVERY_CHILDREN,
    DeliveryTarget,
    InputTransformer,
    RuleDelivery,
    RuleDeliveryArgs,
)
from components.subscriptions import Subscription, create_dead_letter_queue

__all__ = [
    "NOTIFYING_TOPIC_CHILDREN",
    "PROTOCOLS",
    "NotifyingTopic",
    "NotifyingTopicArgs",
    "QueueSubscriber",
    "Route",
    "TopicSubscription",
]


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
        validate_topic_args(name, args, transforms)
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
        return rotating_key(
            self, name, transforms, description=f"Encrypts the {physical_name(name)} topic", statements=statements
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

    def _create_routes(self, name: str, args: NotifyingTopicArgs, transforms: Transforms | None) -> RuleDelivery | None:
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
