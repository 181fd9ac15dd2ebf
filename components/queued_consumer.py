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
    apply_transform,
    check_transforms,
    physical_name,
    raise_problems,
)
from components.function import (
    FUNCTION_CHILDREN,
    FunctionArgs,
    LambdaFunction,
    function_transforms,
    validate_function_args,
)
from components.subscriptions import (
    SUBSCRIPTION_CHILDREN,
    Subscription,
    TargetRetry,
    allow_rules_to_send,
    create_dead_letter_queue,
    create_delivery_alarms,
    create_rules,
    create_targets,
    validate_subscriptions,
)

QUEUED_CONSUMER_CHILDREN = (*SUBSCRIPTION_CHILDREN, "queue", "event_source_mapping", *FUNCTION_CHILDREN)


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

        self.dead_letter_queue = create_dead_letter_queue(self, name, transforms)
        self.queue = self._create_queue(name, args, transforms)
        self.rules = create_rules(self, name, args.bus, args.subscriptions, transforms)
        self.queue_policy = allow_rules_to_send(self, f"{name}-queue-policy", self.queue, self.rules)
        self.dead_letter_queue_policy = allow_rules_to_send(
            self, f"{name}-dlq-policy", self.dead_letter_queue, self.rules
        )
        self.targets = create_targets(
            self,
            name,
            args.bus,
            self.rules,
            self.queue.arn,
            self.dead_letter_queue,
            args.target_retry,
            transforms,
            depends_on=[self.queue_policy, self.dead_letter_queue_policy],
        )
        self.consumer = LambdaFunction(
            name,
            replace(args.function, grants=(*self._queue_grants(), *args.function.grants)),
            transforms=function_transforms(transforms),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.function = self.consumer.function
        self.event_source_mapping = self._create_mapping(name, args, transforms)
        self.alarms = [
            *create_delivery_alarms(self, name, args.bus, self.rules, self.dead_letter_queue, alarm_topic),
            alarms.message_age_alarm(f"{name}-age-alarm", self.queue, alarm_topic, self, args.max_message_age_seconds),
        ]
        self.register_outputs(
            {
                "queue_arn": self.queue.arn,
                "dead_letter_queue_arn": self.dead_letter_queue.arn,
                "function_arn": self.function.arn,
            }
        )

    def _create_queue(self, name: str, args: QueuedConsumerArgs, transforms: Transforms | None) -> aws.sqs.Queue:
        kwargs = defaults.queue_args() | {
            "visibility_timeout_seconds": defaults.VISIBILITY_TIMEOUT_FACTOR * args.function.timeout_seconds
            + args.batching.window_seconds,
        }
        kwargs = apply_transform(transforms, "queue", kwargs)
        kwargs |= {
            "name": physical_name(name, "-queue"),
            "redrive_policy": pulumi.Output.json_dumps(
                {"deadLetterTargetArn": self.dead_letter_queue.arn, "maxReceiveCount": args.max_receive_count}
            ),
        }
        return aws.sqs.Queue(f"{name}-queue", **kwargs, opts=pulumi.ResourceOptions(parent=self))

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
        kwargs = apply_transform(
            transforms,
            "event_source_mapping",
            {
                "batch_size": args.batching.size,
                "maximum_batching_window_in_seconds": args.batching.window_seconds,
                "scaling_config": {"maximum_concurrency": args.batching.maximum_concurrency},
            },
        )
        kwargs |= {
            "event_source_arn": self.queue.arn,
            "function_name": self.function.arn,
            # Without it one bad record makes the whole batch retry, and the good ones run again.
            "function_response_types": ["ReportBatchItemFailures"],
        }
        return aws.lambda_.EventSourceMapping(
            f"{name}-mapping",
            **kwargs,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.consumer.policy]),
        )
