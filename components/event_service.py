"""EventService: a Lambda that EventBridge invokes directly (asynchronously), with retries and destinations."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pulumi
import pulumi_aws as aws

from components.base import (
    BusRef,
    Grant,
    Transforms,
    account_id,
    check_transforms,
    child,
    invoke_permission,
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
from components.subscriptions import Subscription, TargetRetry, validate_subscriptions

EVENT_SERVICE_CHILDREN = tuple(dict.fromkeys((*DELIVERY_CHILDREN, "permission", "invoke_config", *FUNCTION_CHILDREN)))


@dataclass(frozen=True, kw_only=True)
class AsyncRetry:
    """Lambda's own retries of an asynchronous invocation that failed.

    maximum_retry_attempts: 0 to 2, default 2. maximum_event_age_seconds: 60 to 21600, default 3600.
    """

    maximum_retry_attempts: int = 2
    maximum_event_age_seconds: int = 3600


@dataclass(frozen=True, kw_only=True)
class EventServiceArgs:
    """A directly invoked consumer of bus events.

    bus: the bus the rules listen on. subscriptions: one rule (and target and permission) per entry.
    function: the code and grants (destination permissions are added for you).
    retry: the function's async retries, default `AsyncRetry()`.
    target_retry: EventBridge's delivery retries, default `TargetRetry()`.
    on_success_to_bus: record successful results on the bus (source `lambda`), default False.
    """

    bus: BusRef
    subscriptions: tuple[Subscription, ...]
    function: FunctionArgs
    retry: AsyncRetry = field(default_factory=AsyncRetry)
    target_retry: TargetRetry = field(default_factory=TargetRetry)
    on_success_to_bus: bool = False


def _validate(name: str, args: EventServiceArgs, transforms: Transforms | None) -> None:
    problems: list[str] = []
    validate_subscriptions(args.subscriptions, args.target_retry, problems)
    validate_function_args(args.function, problems)
    check_transforms(transforms, EVENT_SERVICE_CHILDREN, problems)
    if not 0 <= args.retry.maximum_retry_attempts <= 2:
        problems.append(
            f"retry.maximum_retry_attempts must be between 0 and 2, got {args.retry.maximum_retry_attempts}"
        )
    if not 60 <= args.retry.maximum_event_age_seconds <= 21600:
        problems.append(
            f"retry.maximum_event_age_seconds must be between 60 and 21600, got {args.retry.maximum_event_age_seconds}"
        )
    raise_problems("EventService", name, problems)


class EventService(pulumi.ComponentResource):
    """Rules on a bus invoking one function directly; what still fails lands in a dead-letter queue.

        email = EventService("email", EventServiceArgs(
            bus=bus.ref,
            subscriptions=(Subscription(key="shipped", pattern={"detail-type": ["OrderShipped"]}),),
            function=FunctionArgs(handler="handlers.email.app.handler", source_dirs=(...), observability=obs),
        ))

    Per subscription: a rule, a target with a retry policy and a DLQ, and an invoke permission scoped to
    that rule's ARN. The function's failed async invocations go to the same DLQ (on-failure destination);
    with `on_success_to_bus` its results are recorded on the bus.
    """

    delivery: RuleDelivery
    dead_letter_queue: aws.sqs.Queue
    rules: dict[str, aws.cloudwatch.EventRule]
    targets: dict[str, aws.cloudwatch.EventTarget]
    permissions: dict[str, aws.lambda_.Permission]
    consumer: LambdaFunction
    invoke_config: aws.lambda_.FunctionEventInvokeConfig

    def __init__(
        self,
        name: str,
        args: EventServiceArgs,
        transforms: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:components:EventService", name, None, opts)
        _validate(name, args, transforms)

        def deliver_to_function(delivery: RuleDelivery) -> DeliveryTarget:
            # The function's failed invocations go to the delivery's DLQ; each rule may invoke it.
            self.dead_letter_queue = delivery.dead_letter_queue
            self.consumer = LambdaFunction(
                name,
                replace(args.function, grants=(*self._destination_grants(args), *args.function.grants)),
                transforms=transforms_for(transforms, FUNCTION_CHILDREN),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.function = self.consumer.function
            self.invoke_config = self._create_invoke_config(name, args, transforms)
            self.permissions = self._allow_rules_to_invoke(name, delivery.rules, transforms)
            return DeliveryTarget(arn=self.function.arn, depends_on=tuple(self.permissions.values()))

        self.delivery = RuleDelivery(
            name,
            RuleDeliveryArgs(
                bus=args.bus,
                subscriptions=args.subscriptions,
                target=deliver_to_function,
                alarm_topic_arn=args.function.observability.alarm_topic_arn,
                retry=args.target_retry,
            ),
            transforms=transforms_for(transforms, DELIVERY_CHILDREN),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.rules = self.delivery.rules
        self.targets = self.delivery.targets
        self.alarms = self.delivery.alarms
        self.register_outputs({"function_arn": self.function.arn, "dead_letter_queue_arn": self.dead_letter_queue.arn})

    def _allow_rules_to_invoke(
        self, name: str, rules: dict[str, aws.cloudwatch.EventRule], transforms: Transforms | None
    ) -> dict[str, aws.lambda_.Permission]:
        account = account_id(self)
        return {
            # Only this rule, in this account, may invoke (the confused deputy problem).
            key: invoke_permission(
                self,
                f"{name}-permission-{key}",
                transforms,
                function=self.function,
                principal="events.amazonaws.com",
                source_arn=rule.arn,
                source_account=account,
            )
            for key, rule in rules.items()
        }

    def _destination_grants(self, args: EventServiceArgs) -> tuple[Grant, ...]:
        grants = [Grant(actions=("sqs:SendMessage",), resources=(self.dead_letter_queue.arn,))]
        if args.on_success_to_bus:
            # Lambda puts destination records with the source "lambda".
            grants.append(
                Grant(
                    actions=("events:PutEvents",),
                    resources=(args.bus.arn,),
                    conditions={"StringEquals": {"events:source": ["lambda"]}},
                )
            )
        return tuple(grants)

    def _create_invoke_config(
        self, name: str, args: EventServiceArgs, transforms: Transforms | None
    ) -> aws.lambda_.FunctionEventInvokeConfig:
        destination: dict[str, object] = {"on_failure": {"destination": self.dead_letter_queue.arn}}
        if args.on_success_to_bus:
            destination["on_success"] = {"destination": args.bus.arn}
        return child(
            aws.lambda_.FunctionEventInvokeConfig,
            f"{name}-invoke-config",
            self,
            transforms,
            "invoke_config",
            defaults={
                "maximum_retry_attempts": args.retry.maximum_retry_attempts,
                "maximum_event_age_in_seconds": args.retry.maximum_event_age_seconds,
            },
            required={"function_name": self.function.name, "destination_config": destination},
            opts=pulumi.ResourceOptions(depends_on=[self.consumer.policy]),
        )
