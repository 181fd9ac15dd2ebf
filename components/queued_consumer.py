"""QueuedConsumer: EventBridge rules -> SQS queue -> Lambda, with redrive and partial batch failures."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pulumi
import pulumi_aws as aws

from components import alarms, defaults
from components.base import (
    BusRef,
    Grant,
    Transforms,
    check_transforms,
    child,
    physical_name,
    raise_problems,
    transforms_for,
)
from components.function import (
    FUNCTION_CHILDREN,
    FunctionArgs,
    LambdaFunction,
    validate_function_args,
)
from components.rule_delivery import DELIVERY_CHILDREN, DeliveryTarget, RuleDelivery, RuleDeliveryArgs
from components.subscriptions import Subscription, TargetRetry, allow_rules_to_send, validate_subscriptions

QUEUED_CONSUMER_CHILDREN = tuple(
    dict.fromkeys((*DELIVERY_CHILDREN, "queue", "queue_policy", "event_source_mapping", *FUNCTION_CHILDREN))
)


@dataclass(frozen=True, kw_only=True)
class Batching:
    """How the function polls the queue.

    size: messages per invocation, default 10. window_seconds: how long to gather a batch, default 0.
    maximum_concurrency: most concurrent invocations the queue may drive, default 2 (the minimum).
    """

    size: int = 10
    window_seconds: int = 0
    maximum_concurrency: int = 2


@dataclass(frozen=True, kw_only=True)
class QueuedConsumerArgs:
    """A buffered consumer of bus events.

    bus: the bus the rules listen on. subscriptions: one rule per entry, all into the one queue.
    function: the consumer's code and grants (queue permissions are added for you).
    batching: default `Batching()`. max_receive_count: receives before a message is dead-lettered, default 5.
    target_retry: EventBridge delivery retries into the queue, default `TargetRetry()`.
    max_message_age_seconds: age of the oldest message that raises an alarm, default 900.
    """

    bus: BusRef
    subscriptions: tuple[Subscription, ...]
    function: FunctionArgs
    batching: Batching = field(default_factory=Batching)
    max_receive_count: int = 5
    target_retry: TargetRetry = field(default_factory=TargetRetry)
    max_message_age_seconds: int = 900


def _validate(name: str, args: QueuedConsumerArgs, transforms: Transforms | None) -> None:
    problems: list[str] = []
    validate_subscriptions(args.subscriptions, args.target_retry, problems)
    validate_function_args(args.function, problems)
    check_transforms(transforms, QUEUED_CONSUMER_CHILDREN, problems)
    if not 1 <= args.batching.size <= 10000:
        problems.append(f"batching.size must be between 1 and 10000, got {args.batching.size}")
    if args.batching.size > 10 and args.batching.window_seconds < 1:
        problems.append("batching.size above 10 needs batching.window_seconds of at least 1")
    if not 0 <= args.batching.window_seconds <= 300:
        problems.append(f"batching.window_seconds must be between 0 and 300, got {args.batching.window_seconds}")
    if not 2 <= args.batching.maximum_concurrency <= 1000:
        problems.append(
            f"batching.maximum_concurrency must be between 2 and 1000, got {args.batching.maximum_concurrency}"
        )
    if not 1 <= args.max_receive_count <= 1000:
        problems.append(f"max_receive_count (maxReceiveCount) must be between 1 and 1000, got {args.max_receive_count}")
    raise_problems("QueuedConsumer", name, problems)


class QueuedConsumer(pulumi.ComponentResource):
    """Rules on a bus feeding one encrypted queue, drained by a Lambda that reports partial batch failures.

        billing = QueuedConsumer("billing", QueuedConsumerArgs(
            bus=bus.ref,
            subscriptions=(Subscription(key="order-placed", pattern={"detail-type": ["OrderPlaced"]}),),
            function=FunctionArgs(handler="handlers.billing.app.handler", source_dirs=(...), observability=obs),
        ))

    Secure by default: SSE on queue and DLQ, redrive after `max_receive_count` receives, a queue policy that
    lets only its own rules send and refuses plain HTTP, visibility timeout six times the function timeout,
    alarms on the DLQ, the oldest message's age, each rule's failed deliveries and the function's errors.
    """

    queue: aws.sqs.Queue
    queue_policy: aws.sqs.QueuePolicy
    delivery: RuleDelivery
    dead_letter_queue: aws.sqs.Queue
    rules: dict[str, aws.cloudwatch.EventRule]
    targets: dict[str, aws.cloudwatch.EventTarget]
    consumer: LambdaFunction
    event_source_mapping: aws.lambda_.EventSourceMapping

    def __init__(
        self,
        name: str,
        args: QueuedConsumerArgs,
        transforms: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:components:QueuedConsumer", name, None, opts)
        _validate(name, args, transforms)
        alarm_topic = args.function.observability.alarm_topic_arn

        def deliver_to_queue(delivery: RuleDelivery) -> DeliveryTarget:
            # The queue redrives into the delivery's DLQ, and its policy lets only the delivery's rules send.
            self.queue = self._create_queue(name, args, delivery.dead_letter_queue, transforms)
            self.queue_policy = allow_rules_to_send(
                self, f"{name}-queue-policy", self.queue, delivery.rules, transforms, "queue_policy"
            )
            return DeliveryTarget(arn=self.queue.arn, depends_on=(self.queue_policy,))

        self.delivery = RuleDelivery(
            name,
            RuleDeliveryArgs(
                bus=args.bus,
                subscriptions=args.subscriptions,
                target=deliver_to_queue,
                alarm_topic_arn=alarm_topic,
                retry=args.target_retry,
            ),
            transforms=transforms_for(transforms, DELIVERY_CHILDREN),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.dead_letter_queue = self.delivery.dead_letter_queue
        self.rules = self.delivery.rules
        self.targets = self.delivery.targets
        self.consumer = LambdaFunction(
            name,
            replace(args.function, grants=(*self._queue_grants(), *args.function.grants)),
            transforms=transforms_for(transforms, FUNCTION_CHILDREN),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.function = self.consumer.function
        self.event_source_mapping = self._create_mapping(name, args, transforms)
        self.alarms = [
            *self.delivery.alarms,
            alarms.message_age_alarm(
                f"{name}-age-alarm", self.queue, alarm_topic, self, args.max_message_age_seconds, transforms
            ),
        ]
        self.register_outputs(
            {
                "queue_arn": self.queue.arn,
                "dead_letter_queue_arn": self.dead_letter_queue.arn,
                "function_arn": self.function.arn,
            }
        )

    def _create_queue(
        self, name: str, args: QueuedConsumerArgs, dead_letter_queue: aws.sqs.Queue, transforms: Transforms | None
    ) -> aws.sqs.Queue:
        return child(
            aws.sqs.Queue,
            f"{name}-queue",
            self,
            transforms,
            "queue",
            defaults=defaults.queue_args()
            | {
                "visibility_timeout_seconds": defaults.VISIBILITY_TIMEOUT_FACTOR * args.function.timeout_seconds
                + args.batching.window_seconds,
            },
            required={
                "name": physical_name(name, "-queue"),
                "redrive_policy": pulumi.Output.json_dumps(
                    {"deadLetterTargetArn": dead_letter_queue.arn, "maxReceiveCount": args.max_receive_count}
                ),
            },
        )

    def _queue_grants(self) -> tuple[Grant, ...]:
        return (
            Grant(
                actions=(
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:ChangeMessageVisibility",
                    "sqs:GetQueueAttributes",
                ),
                resources=(self.queue.arn,),
            ),
        )

    def _create_mapping(
        self, name: str, args: QueuedConsumerArgs, transforms: Transforms | None
    ) -> aws.lambda_.EventSourceMapping:
        return child(
            aws.lambda_.EventSourceMapping,
            f"{name}-mapping",
            self,
            transforms,
            "event_source_mapping",
            defaults={
                "batch_size": args.batching.size,
                "maximum_batching_window_in_seconds": args.batching.window_seconds,
                "scaling_config": {"maximum_concurrency": args.batching.maximum_concurrency},
            },
            required={
                "event_source_arn": self.queue.arn,
                "function_name": self.function.arn,
                # Without it one bad record makes the whole batch retry, and the good ones run again.
                "function_response_types": ["ReportBatchItemFailures"],
            },
            opts=pulumi.ResourceOptions(depends_on=[self.consumer.policy]),
        )
