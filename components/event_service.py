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
    apply_transform,
    check_transforms,
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

EVENT_SERVICE_CHILDREN = (*SUBSCRIPTION_CHILDREN, "permission", "invoke_config", *FUNCTION_CHILDREN)


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

        self.dead_letter_queue = create_dead_letter_queue(self, name, transforms)
        self.consumer = LambdaFunction(
            name,
            replace(args.function, grants=(*self._destination_grants(args), *args.function.grants)),
            transforms=function_transforms(transforms),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.function = self.consumer.function
        self.invoke_config = self._create_invoke_config(name, args, transforms)
        self.rules = create_rules(self, name, args.bus, args.subscriptions, transforms)
        self.dead_letter_queue_policy = allow_rules_to_send(
            self, f"{name}-dlq-policy", self.dead_letter_queue, self.rules
        )
        account = account_id(self)
        self.permissions = {
            key: aws.lambda_.Permission(
                f"{name}-permission-{key}",
                **apply_transform(transforms, "permission", {})
                | {
                    "action": "lambda:InvokeFunction",
                    "function": self.function.name,
                    "principal": "events.amazonaws.com",
                    # Only this rule, in this account, may invoke (the confused deputy problem).
                    "source_arn": rule.arn,
                    "source_account": account,
                },
                opts=pulumi.ResourceOptions(parent=self),
            )
            for key, rule in self.rules.items()
        }
        self.targets = create_targets(
            self,
            name,
            args.bus,
            self.rules,
            self.function.arn,
            self.dead_letter_queue,
            args.target_retry,
            transforms,
            depends_on=[*self.permissions.values(), self.dead_letter_queue_policy],
        )
        self.alarms = create_delivery_alarms(
            self, name, args.bus, self.rules, self.dead_letter_queue, args.function.observability.alarm_topic_arn
        )
        self.register_outputs({"function_arn": self.function.arn, "dead_letter_queue_arn": self.dead_letter_queue.arn})

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
        kwargs = apply_transform(
            transforms,
            "invoke_config",
            {
                "maximum_retry_attempts": args.retry.maximum_retry_attempts,
                "maximum_event_age_in_seconds": args.retry.maximum_event_age_seconds,
            },
        )
        kwargs |= {"function_name": self.function.name, "destination_config": destination}
        return aws.lambda_.FunctionEventInvokeConfig(
            f"{name}-invoke-config",
            **kwargs,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.consumer.policy]),
        )
