"""What was provisioned: the deployed queues, event-source mappings, functions and their async settings and
role policies, read once from the program run and moto, so the pollers, the async invoker and the IAM check
ask one place.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from devtools.program import (
    ProgramRun,
    RecordedResource,
)
from localcloud import iam, moto_patches
from localcloud.functions import FunctionSpec


@dataclass(frozen=True)
class QueueInfo:
    name: str
    url: str
    arn: str
    visibility_timeout: int
    max_receive_count: int | None
    dead_letter_arn: str | None


@dataclass(frozen=True)
class MappingSpec:
    function: str
    queue_arn: str
    batch_size: int
    window_seconds: int
    maximum_concurrency: int
    report_item_failures: bool


@dataclass(frozen=True)
class StreamMappingSpec:
    """One event-source mapping whose source is a DynamoDB stream."""

    function: str
    stream_arn: str
    batch_size: int
    report_item_failures: bool
    maximum_record_age_seconds: int
    on_failure: str | None
    filter_patterns: tuple[str, ...] = ()

    @staticmethod
    def is_stream(source_arn: str) -> bool:
        return ":dynamodb:" in source_arn and "/stream/" in source_arn

    @classmethod
    def read(cls, inputs: Mapping[str, Any], function: str) -> StreamMappingSpec:
        destination = ((inputs.get("destinationConfig") or {}).get("onFailure") or {}).get("destinationArn")
        filters = (inputs.get("filterCriteria") or {}).get("filters") or []
        age = int(inputs.get("maximumRecordAgeInSeconds") or -1)
        return cls(
            function=function,
            stream_arn=str(inputs["eventSourceArn"]),
            batch_size=int(inputs.get("batchSize") or 100),
            report_item_failures="ReportBatchItemFailures" in (inputs.get("functionResponseTypes") or []),
            maximum_record_age_seconds=age if age > 0 else 24 * 3600,
            on_failure=str(destination) if destination else None,
            filter_patterns=tuple(str(f["pattern"]) for f in filters if f.get("pattern")),
        )

    def wants(self, record: Mapping[str, Any]) -> bool:
        """Whether the mapping's filters let ``record`` (as Lambda delivers it) invoke the function."""
        return not self.filter_patterns or any(
            moto_patches.pattern_matches(pattern, dict(record)) for pattern in self.filter_patterns
        )


@dataclass(frozen=True)
class AsyncConfig:
    maximum_retry_attempts: int = 2
    maximum_event_age_seconds: int = 21600
    on_success: str | None = None
    on_failure: str | None = None


@dataclass
class Deployment:
    """What the program deployed, read from the recorded resources (real moto ids and ARNs)."""

    run: ProgramRun
    region: str
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    queues: dict[str, QueueInfo] = field(default_factory=dict)
    mappings: list[MappingSpec] = field(default_factory=list)
    stream_mappings: list[StreamMappingSpec] = field(default_factory=list)
    async_configs: dict[str, AsyncConfig] = field(default_factory=dict)
    role_policies: dict[str, list[iam.Statement]] = field(default_factory=dict)
    permissions: list[RecordedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, run: ProgramRun, region: str) -> Deployment:
        deployment = cls(run=run, region=region)
        for resource in run.of_type("aws:sqs/queue:Queue"):
            redrive = resource.json_input("redrivePolicy") or {}
            deployment.queues[resource.outputs["arn"]] = QueueInfo(
                name=resource.outputs["name"],
                url=resource.id,
                arn=resource.outputs["arn"],
                visibility_timeout=int(resource.inputs.get("visibilityTimeoutSeconds") or 30),
                max_receive_count=int(redrive["maxReceiveCount"]) if redrive else None,
                dead_letter_arn=redrive.get("deadLetterTargetArn"),
            )
        for resource in run.of_type("aws:lambda/function:Function"):
            inputs = resource.inputs
            spec = FunctionSpec(
                name=resource.outputs["name"],
                arn=resource.outputs["arn"],
                handler=str(inputs["handler"]),
                environment={k: str(v) for k, v in ((inputs.get("environment") or {}).get("variables") or {}).items()},
                timeout_seconds=int(inputs.get("timeout") or 3),
                memory_mb=int(inputs.get("memorySize") or 128),
                role_arn=str(inputs["role"]),
                log_group=str(
                    (inputs.get("loggingConfig") or {}).get("logGroup") or f"/aws/lambda/{resource.outputs['name']}"
                ),
            )
            deployment.functions[spec.name] = spec
        by_arn = {spec.arn: spec.name for spec in deployment.functions.values()}
        for resource in run.of_type("aws:lambda/eventSourceMapping:EventSourceMapping"):
            inputs = resource.inputs
            function_ref = str(inputs["functionName"])
            function_name = by_arn.get(function_ref, function_ref)
            if StreamMappingSpec.is_stream(str(inputs["eventSourceArn"])):
                deployment.stream_mappings.append(StreamMappingSpec.read(inputs, function_name))
                continue
            deployment.mappings.append(
                MappingSpec(
                    function=by_arn.get(function_ref, function_ref),
                    queue_arn=str(inputs["eventSourceArn"]),
                    batch_size=int(inputs.get("batchSize") or 10),
                    window_seconds=int(inputs.get("maximumBatchingWindowInSeconds") or 0),
                    maximum_concurrency=int((inputs.get("scalingConfig") or {}).get("maximumConcurrency") or 2),
                    report_item_failures="ReportBatchItemFailures" in (inputs.get("functionResponseTypes") or []),
                )
            )
        for resource in run.of_type("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"):
            inputs = resource.inputs
            destinations = inputs.get("destinationConfig") or {}
            function_ref = str(inputs["functionName"])
            deployment.async_configs[by_arn.get(function_ref, function_ref)] = AsyncConfig(
                maximum_retry_attempts=int(inputs.get("maximumRetryAttempts", 2)),
                maximum_event_age_seconds=int(inputs.get("maximumEventAgeInSeconds", 21600)),
                on_success=(destinations.get("onSuccess") or {}).get("destination"),
                on_failure=(destinations.get("onFailure") or {}).get("destination"),
            )
        for resource in run.of_type("aws:iam/rolePolicy:RolePolicy"):
            role_name = str(resource.inputs["role"]).rsplit("/", 1)[-1]
            deployment.role_policies.setdefault(role_name, []).extend(iam.parse_policy(resource.inputs["policy"]))
        deployment.permissions = run.of_type("aws:lambda/permission:Permission")
        return deployment

    def policies_by_principal(self) -> dict[str, list[iam.Statement]]:
        """The statements each function's role (and each other role, by name) is allowed."""
        policies = {name: list(statements) for name, statements in self.role_policies.items()}
        for spec in self.functions.values():
            policies[spec.name] = list(self.role_policies.get(spec.role_name, []))
        return policies

    def function_by_arn(self, arn: str) -> FunctionSpec:
        name = arn.split(":function:", 1)[-1].split(":", 1)[0]
        return self.functions[name]

    def queue_by_name(self, name: str) -> QueueInfo:
        for info in self.queues.values():
            if info.name == name:
                return info
        raise KeyError(f"no queue named {name}")

    def dead_letter_queues(self) -> list[QueueInfo]:
        targets = {info.dead_letter_arn for info in self.queues.values() if info.dead_letter_arn}
        targets |= {c.on_failure for c in self.async_configs.values() if c.on_failure and ":sqs:" in c.on_failure}
        targets |= {m.on_failure for m in self.stream_mappings if m.on_failure}
        for target in self.run.of_type("aws:cloudwatch/eventTarget:EventTarget"):
            if target.inputs.get("deadLetterConfig"):
                targets.add(target.inputs["deadLetterConfig"]["arn"])
        return [self.queues[arn] for arn in sorted(targets) if arn in self.queues]

    def allows_invoke(self, function: FunctionSpec, principal: str, source_arn: str) -> bool:
        """Whether the function's resource policy (its ``Permission`` resources) lets the service ``principal``
        invoke it on behalf of ``source_arn``, as Lambda decides: a statement granting ``lambda:InvokeFunction``
        to that principal, whose source ARN (``ArnLike``: ``*`` and ``?`` wildcards) and source account (the
        source's owner) match when the statement names them."""
        for permission in self.permissions:
            inputs = permission.inputs
            if str(inputs.get("function")) not in (function.name, function.arn):
                continue
            if inputs.get("principal") != principal or not _grants_invoke(str(inputs.get("action", ""))):
                continue
            pattern = inputs.get("sourceArn")
            if pattern is not None and not arn_like(source_arn, str(pattern)):
                continue
            account = inputs.get("sourceAccount")
            if account is not None and _account_of(source_arn) != str(account):
                continue
            return True
        return False


def arn_like(arn: str, pattern: str) -> bool:
    """IAM's ``ArnLike``: each of the six colon-separated parts of the ARN is matched on its own (case-sensitive),
    ``*`` standing for any run of characters within the part and ``?`` for one character; nothing else is special
    (unlike fnmatch, ``[...]`` is literal, and ``*`` does not reach across a colon into the next part)."""
    arn_parts, pattern_parts = arn.split(":", 5), pattern.split(":", 5)
    if len(arn_parts) != len(pattern_parts):
        return False
    return all(_glob(part).fullmatch(actual) for part, actual in zip(pattern_parts, arn_parts, strict=True))


@functools.lru_cache(maxsize=1024)
def _glob(pattern: str) -> re.Pattern[str]:
    """A wildcard pattern as a regular expression, compiled once per pattern: every delivery to a function asks
    Lambda's invoke check, which matched each permission's six ARN parts by building each expression again."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)


def _grants_invoke(action: str) -> bool:
    """Actions are case-insensitive and may use wildcards (``lambda:*``)."""
    return bool(_glob(action.lower()).fullmatch("lambda:invokefunction"))


def _account_of(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 else ""
