"""LambdaFunction: one function with its own least-privilege role, log group and error alarm."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components import alarms, defaults
from components.alarms import ALARM_ROLE
from components.base import (
    BusRef,
    Grant,
    Transforms,
    check_transforms,
    child,
    create_log_group,
    least_privilege_role,
    physical_name,
    put_events_grant,
    raise_problems,
)
from components.trust import lambda_trust

FUNCTION_CHILDREN = ("role", "policy", "log_group", "function", ALARM_ROLE)

# X-Ray's write actions support no resource-level permissions; AWS documents "*" as their only resource.
XRAY_GRANT = Grant(actions=("xray:PutTraceSegments", "xray:PutTelemetryRecords"), resources=("*",))


@dataclass(frozen=True, kw_only=True)
class Observability:
    """Where a function's logs and alarms go, and how long logs are kept.

    log_retention_days: how long its log group keeps logs. log_level: Powertools' log level (INFO, DEBUG, ...).
    alarm_topic_arn: the topic its alarms notify.
    """

    log_retention_days: int
    log_level: str
    alarm_topic_arn: pulumi.Input[str]


@dataclass(frozen=True, kw_only=True)
class FunctionArgs:
    """What to run and what it may touch.

    handler: dotted path of the entry point, e.g. `handlers.billing.app.handler`.
    source_dirs: folders (relative to the program) packaged with their parent `__init__.py` files.
    observability: where its logs and alarms go (`Observability`).
    environment: variables besides POWERTOOLS_SERVICE_NAME / POWERTOOLS_LOG_LEVEL (set for you), default none.
    grants: exact IAM actions on exact resources, default none.
    emits: event sources the function may put on `bus` (PutEvents scoped by `events:source`), default none.
    bus: the bus it puts events on (needed with emits), default none.
    layers: layer ARNs (the Powertools layer), default none.
    timeout_seconds: default 10. memory_mb: default 256.
    reserved_concurrency: default none (unreserved).
    """

    handler: str
    source_dirs: tuple[str, ...]
    observability: Observability
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    grants: tuple[Grant, ...] = ()
    emits: tuple[str, ...] = ()
    bus: BusRef | None = None
    layers: tuple[pulumi.Input[str], ...] = ()
    timeout_seconds: int = defaults.DEFAULT_TIMEOUT_SECONDS
    memory_mb: int = defaults.DEFAULT_MEMORY_MB
    reserved_concurrency: int | None = None


def validate_function_args(args: FunctionArgs, problems: list[str]) -> None:
    if args.handler.count(".") < 1:
        problems.append(f"handler {args.handler!r} must be module.function")
    if not args.source_dirs:
        problems.append("source_dirs is empty: the function would have no code")
    problems.extend(
        f"source dir {directory!r} does not exist" for directory in args.source_dirs if not os.path.isdir(directory)
    )
    if not 1 <= args.timeout_seconds <= 900:
        problems.append(f"timeout_seconds must be between 1 and 900, got {args.timeout_seconds}")
    if not 128 <= args.memory_mb <= 10240:
        problems.append(f"memory_mb must be between 128 and 10240, got {args.memory_mb}")
    if args.emits and args.bus is None:
        problems.append("emits needs a bus to put events on")
    if args.reserved_concurrency is not None and args.reserved_concurrency < 1:
        problems.append(f"reserved_concurrency must be at least 1, got {args.reserved_concurrency}")
    for grant in args.grants:
        problems.extend(grant.problems())


def code_archive(source_dirs: tuple[str, ...]) -> pulumi.AssetArchive:
    """The given folders plus the `__init__.py` of every parent package, so imports keep their paths."""
    assets: dict[str, pulumi.Asset | pulumi.Archive] = {}
    for directory in source_dirs:
        assets[directory] = pulumi.FileArchive(directory)
        parent = os.path.dirname(directory)
        while parent:
            init = os.path.join(parent, "__init__.py")
            if os.path.isfile(init):
                assets[init] = pulumi.FileAsset(init)
            parent = os.path.dirname(parent)
    return pulumi.AssetArchive(assets)


class LambdaFunction(pulumi.ComponentResource):
    """A Lambda function on arm64 with X-Ray, JSON logs in its own log group, its own role and an
    errors alarm.

        fn = LambdaFunction("billing", FunctionArgs(
            handler="handlers.billing.app.handler", source_dirs=("handlers/billing", "handlers/shared"),
            observability=obs, grants=(Grant(("dynamodb:GetItem",), (table.arn,)),),
        ))
    """

    role: aws.iam.Role
    policy: aws.iam.RolePolicy
    log_group: aws.cloudwatch.LogGroup
    function: aws.lambda_.Function
    errors_alarm: aws.cloudwatch.MetricAlarm

    def __init__(
        self,
        name: str,
        args: FunctionArgs,
        transforms: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:components:LambdaFunction", name, None, opts)
        problems: list[str] = []
        validate_function_args(args, problems)
        check_transforms(transforms, FUNCTION_CHILDREN, problems)
        raise_problems("LambdaFunction", name, problems)

        self.function_name = physical_name(name)
        self.log_group = self._create_log_group(name, args, transforms)
        # What the pattern requires (the trust, the least-privilege document) goes on after the user's transform.
        self.grants = self._grants(args)
        self.role, self.policy = least_privilege_role(
            self, name, transforms, trust=lambda_trust(self), grants=self.grants
        )
        self.function = self._create_function(name, args, transforms)
        self.errors_alarm = alarms.function_errors_alarm(
            f"{name}-errors-alarm", self.function, args.observability.alarm_topic_arn, self, transforms
        )
        self.register_outputs({"function_arn": self.function.arn, "role_arn": self.role.arn})

    def _create_log_group(
        self, name: str, args: FunctionArgs, transforms: Transforms | None
    ) -> aws.cloudwatch.LogGroup:
        # Lambda writes to /aws/lambda/<name>: another name would leave the function's logs unmanaged.
        return create_log_group(
            self, name, transforms, args.observability.log_retention_days, f"/aws/lambda/{self.function_name}"
        )

    def _grants(self, args: FunctionArgs) -> tuple[Grant, ...]:
        log_streams = pulumi.Output.concat(self.log_group.arn, ":*")
        logging = Grant(actions=("logs:CreateLogStream", "logs:PutLogEvents"), resources=(log_streams,))
        emitting = (put_events_grant(args.bus, args.emits),) if args.emits and args.bus else ()
        return (logging, XRAY_GRANT, *emitting, *args.grants)

    def _create_function(self, name: str, args: FunctionArgs, transforms: Transforms | None) -> aws.lambda_.Function:
        environment: dict[str, pulumi.Input[str]] = {
            "POWERTOOLS_SERVICE_NAME": name,
            "POWERTOOLS_LOG_LEVEL": args.observability.log_level,
        }
        if args.emits and args.bus is not None:
            environment["EVENT_BUS_NAME"] = args.bus.name
        environment.update(args.environment)
        # What the pattern requires: X-Ray never records a handler's or method's result (they hold
        # customers' data); errors are still captured.
        environment["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] = "false"
        tunable: dict[str, Any] = defaults.function_args() | {
            "timeout": args.timeout_seconds,
            "memory_size": args.memory_mb,
            "layers": list(args.layers),
            "reserved_concurrent_executions": args.reserved_concurrency,
        }
        return child(
            aws.lambda_.Function,
            f"{name}-fn",
            self,
            transforms,
            "function",
            defaults=tunable,
            # What the pattern needs to work goes on last: its name, code, role and log group.
            required={
                "name": self.function_name,
                "handler": args.handler,
                "code": code_archive(args.source_dirs),
                "role": self.role.arn,
                "environment": {"variables": environment},
                # Merged into the user's logging config: the format stays theirs, the log group is the pattern's.
                "logging_config": {"log_group": self.log_group.name},
            },
            opts=pulumi.ResourceOptions(depends_on=[self.policy, self.log_group]),
        )
