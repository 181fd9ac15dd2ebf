"""The architecture's guardrails as CrossGuard policies.

Resource policies see one resource's inputs; stack policies see every resource's outputs and
are used wherever a rule relates two resources (a queue and its alarm, a function and its
invoke config). Stack policies also run during preview, where outputs of resources not yet
created are unknown: references are then resolved through the engine's property
dependencies instead of ARNs, so new stacks are checked too.

This module imports only the standard library and pulumi_policy, so the pack's own virtualenv
stays small, and it is importable from tests (`policy.eventshop_policies`).
"""

from __future__ import annotations

import fnmatch
import importlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

# Tests import the pack as the package `policy`; the engine runs it with policy/ itself on sys.path.
PRINCIPAL_POLICIES: Final = importlib.import_module(
    "policy.principal_policies" if __package__ else "principal_policies"
).PRINCIPAL_POLICIES

MANDATORY: Final = EnforcementLevel.MANDATORY
ADVISORY: Final = EnforcementLevel.ADVISORY

QUEUE: Final = "aws:sqs/queue:Queue"
QUEUE_POLICY: Final = "aws:sqs/queuePolicy:QueuePolicy"
TOPIC: Final = "aws:sns/topic:Topic"
TOPIC_SUBSCRIPTION: Final = "aws:sns/topicSubscription:TopicSubscription"
TABLE: Final = "aws:dynamodb/table:Table"
FUNCTION: Final = "aws:lambda/function:Function"
PERMISSION: Final = "aws:lambda/permission:Permission"
INVOKE_CONFIG: Final = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
EVENT_SOURCE_MAPPING: Final = "aws:lambda/eventSourceMapping:EventSourceMapping"
EVENT_TARGET: Final = "aws:cloudwatch/eventTarget:EventTarget"
LOG_GROUP: Final = "aws:cloudwatch/logGroup:LogGroup"
METRIC_ALARM: Final = "aws:cloudwatch/metricAlarm:MetricAlarm"
SCHEDULE: Final = "aws:scheduler/schedule:Schedule"
ROLE: Final = "aws:iam/role:Role"
ROLE_POLICY: Final = "aws:iam/rolePolicy:RolePolicy"
MANAGED_POLICY: Final = "aws:iam/policy:Policy"
BUCKETS: Final = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
BUCKET_POLICY: Final = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_PUBLIC_ACCESS_BLOCK: Final = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_ENCRYPTION: Final = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)

STAR_RESOURCE_ACTIONS: Final = frozenset(
    {
        # X-Ray has no resource-level permissions: the service only accepts Resource "*".
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:GetSamplingStatisticSummaries",
        # Metrics have no ARN; scope PutMetricData with a cloudwatch:namespace condition instead.
        "cloudwatch:PutMetricData",
        # Step Functions' execution logging goes through CloudWatch Logs vended-log deliveries, which AWS
        # authorizes only on Resource "*" (Step Functions developer guide, "IAM policies for CloudWatch Logs").
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    }
)
"""Actions that AWS only authorizes on Resource "*", so a "*" for them is not over-broad."""

ASYNC_INVOKERS: Final = frozenset({"events.amazonaws.com", "sns.amazonaws.com", "s3.amazonaws.com"})
"""Service principals that invoke Lambda asynchronously: a failure is lost unless a destination catches it."""

DELIVERY_PROTOCOLS_WITH_DLQ: Final = frozenset({"http", "https", "lambda", "sqs", "firehose"})
"""Subscription protocols delivering to an application endpoint: SNS discards what it cannot deliver
once its delivery policy is spent (an hour at most for HTTP/S) unless a DLQ is attached."""

PRODUCTION_ENVIRONMENTS: Final = ("prod",)
FORWARDING_SID: Final = "ForwardOnBehalfOfOneRule"
"""The statement id of an event forwarder's PutEvents grant (components/event_forwarder.py)."""
PUBLIC_ACCESS_FLAGS: Final = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


class _Unknown:
    """A value the engine cannot know yet (preview of a resource that does not exist)."""

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN: Final = _Unknown()


def value_at(props: Mapping[str, Any], *path: str | int) -> Any:
    """The value at `path`, None when absent, UNKNOWN when only the deployment will tell.

    JSON text met on the way (redrive policies, IAM documents, provider default tags) is parsed,
    and the value comes back as plain data (see `plain`), safe to iterate.
    """
    current: Any = props
    for key in path:
        if isinstance(current, str):
            current = _parse_json(current)
        indexable = isinstance(current, Mapping) or (isinstance(current, Sequence) and isinstance(key, int))
        if not indexable:
            return None
        try:
            current = current[key]
        except (KeyError, IndexError):
            return None
        except UnknownValueError:
            return UNKNOWN
    return plain(current)


def plain(value: Any) -> Any:
    """The engine's property proxies as dicts and lists, with UNKNOWN where a value is unknown.

    The proxies raise on reading an unknown value, which would also abort `list(...)` or
    `.values()` half-way; plain data lets every rule treat "unknown" as a value of its own.
    """
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key in value:
            try:
                result[key] = plain(value[key])
            except UnknownValueError:
                result[key] = UNKNOWN
        return result
    if isinstance(value, Sequence) and not isinstance(value, str):
        items: list[Any] = []
        for index in range(len(value)):
            try:
                items.append(plain(value[index]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def as_list(value: Any) -> list[Any]:
    """IAM and AWS APIs accept a scalar or a list; always a list here."""
    if value is None:
        return []
    if isinstance(value, str | _Unknown) or not isinstance(value, Iterable) or isinstance(value, Mapping):
        return [value]
    return list(value)


def is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _as_document(value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, str):
        value = _parse_json(value)
    return value if isinstance(value, Mapping) else None


def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [statement for statement in as_list(value_at(document, "Statement")) if isinstance(statement, Mapping)]


# --- identity policies --------------------------------------------------------------------------


def identity_policy_documents(args: ResourceValidationArgs) -> list[tuple[str, Mapping[str, Any]]]:
    """Every identity-policy document a resource declares, labelled for messages."""
    documents: list[tuple[str, Any]] = []
    if args.resource_type in (ROLE_POLICY, MANAGED_POLICY):
        documents.append(("policy", value_at(args.props, "policy")))
    elif args.resource_type == ROLE:
        for index, inline in enumerate(as_list(value_at(args.props, "inlinePolicies"))):
            name = value_at(inline, "name") if isinstance(inline, Mapping) else None
            documents.append((f"inline policy {name or index}", value_at(inline, "policy")))
    return [(label, doc) for label, raw in documents if (doc := _as_document(raw)) is not None]


def _allow_statements(args: ResourceValidationArgs) -> Iterator[tuple[str, int, Mapping[str, Any]]]:
    for label, document in identity_policy_documents(args):
        for index, statement in enumerate(statements(document)):
            if value_at(statement, "Effect") == "Allow":
                yield label, index, statement


def _where(label: str, index: int, statement: Mapping[str, Any]) -> str:
    sid = value_at(statement, "Sid")
    return f"{label}, statement {sid or index}"


def _grants(action_pattern: str, action: str) -> bool:
    """Whether an IAM action pattern (case-insensitive, `*` and `?` wildcards) covers `action`."""
    return fnmatch.fnmatchcase(action.lower(), action_pattern.lower())


def validate_no_wildcards(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for label, index, statement in _allow_statements(args):
        where = _where(label, index, statement)
        if value_at(statement, "NotAction") is not None or value_at(statement, "NotResource") is not None:
            report_violation(
                f"{where}: Allow with NotAction/NotResource grants everything not listed. "
                "List the exact actions and resources instead.",
                None,
            )
        actions = [action for action in as_list(value_at(statement, "Action")) if isinstance(action, str)]
        wildcards = [action for action in actions if "*" in action or "?" in action]
        if wildcards:
            report_violation(
                f"{where}: wildcard actions {sorted(wildcards)}. Grant the exact actions the code calls "
                "(a Grant in components/ takes an explicit tuple of actions).",
                None,
            )
        resources = as_list(value_at(statement, "Resource"))
        if "*" in resources:
            allowed = {action.lower() for action in STAR_RESOURCE_ACTIONS}
            over_broad = sorted(action for action in actions if action.lower() not in allowed)
            if over_broad:
                report_violation(
                    f'{where}: Resource "*" for {over_broad}. Name the ARNs of the resources; only '
                    f'{sorted(STAR_RESOURCE_ACTIONS)} may use "*" because AWS accepts nothing else for them.',
                    None,
                )


def validate_put_events_scoped(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for label, index, statement in _allow_statements(args):
        actions = [action for action in as_list(value_at(statement, "Action")) if isinstance(action, str)]
        if not any(_grants(action, "events:PutEvents") for action in actions):
            continue
        where = _where(label, index, statement)
        resources = as_list(value_at(statement, "Resource"))
        not_buses = [
            resource
            for resource in resources
            if isinstance(resource, str) and (":event-bus/" not in resource or not resource.startswith("arn:"))
        ]
        if not_buses or not resources:
            report_violation(
                f"{where}: events:PutEvents on {not_buses or 'no resource'}. Grant it on the event bus ARN "
                "(arn:aws:events:<region>:<account>:event-bus/<name>) only, e.g. through `emits=[...]`.",
                None,
            )
        conditions = value_at(statement, "Condition")
        scoped = isinstance(conditions, Mapping) and any(
            isinstance(block, Mapping) and any(str(key).lower() == "events:source" for key in block)
            for block in conditions.values()
        )
        # The bus-to-bus forwarder's role is scoped by its trust policy (only EventBridge acting for its one
        # rule may assume it; iam-service-trust-scoped checks there is such a condition), not by events:source,
        # which AWS does not document as evaluated for a target's role (components/event_forwarder.py).
        if not scoped and value_at(statement, "Sid") != FORWARDING_SID:
            report_violation(
                f'{where}: events:PutEvents without an "events:source" condition lets the role forge any '
                'service\'s events. Add Condition {"StringEquals": {"events:source": ["eventshop.<service>"]}}.',
                None,
            )


# --- resource rules -----------------------------------------------------------------------------


def validate_queue_encrypted(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != QUEUE:
        return
    sse = value_at(args.props, "sqsManagedSseEnabled")
    kms = value_at(args.props, "kmsMasterKeyId")
    if not (is_true(sse) or sse is UNKNOWN or kms):
        report_violation(
            "The queue is not encrypted at rest. Set sqs_managed_sse_enabled=True "
            "(components/defaults.queue_args does) or kms_master_key_id to a customer-managed key.",
            None,
        )


def validate_topic_encrypted(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == TOPIC and not value_at(args.props, "kmsMasterKeyId"):
        report_violation(
            "The topic is not encrypted at rest. Set kms_master_key_id to a KMS key whose policy lets the "
            "publishing services (cloudwatch.amazonaws.com, events.amazonaws.com) use it, as NotifyingTopic does.",
            None,
        )


def validate_table_encrypted(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != TABLE:
        return
    enabled = value_at(args.props, "serverSideEncryption", "enabled")
    if not (is_true(enabled) or enabled is UNKNOWN):
        report_violation(
            "The table does not use KMS encryption at rest. Set server_side_encryption={'enabled': True} "
            "(optionally with kms_key_arn), as components/defaults.table_args does.",
            None,
        )


def validate_target_retry_and_dlq(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != EVENT_TARGET:
        return
    retry = value_at(args.props, "retryPolicy")
    if retry is None or (
        isinstance(retry, Mapping)
        and (value_at(retry, "maximumRetryAttempts") is None or value_at(retry, "maximumEventAgeInSeconds") is None)
    ):
        report_violation(
            "The rule target has no explicit retry policy. Set retry_policy with maximum_retry_attempts and "
            "maximum_event_age_in_seconds (components/subscriptions.create_targets takes a TargetRetry).",
            None,
        )
    if value_at(args.props, "deadLetterConfig", "arn") is None:
        report_violation(
            "The rule target has no dead-letter queue: events EventBridge cannot deliver are dropped. "
            "Set dead_letter_config={'arn': <an SQS queue ARN>} and let events.amazonaws.com send to that queue.",
            None,
        )


def validate_subscription_dlq(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != TOPIC_SUBSCRIPTION:
        return
    protocol = value_at(args.props, "protocol")
    if protocol in DELIVERY_PROTOCOLS_WITH_DLQ and value_at(args.props, "redrivePolicy") is None:
        report_violation(
            f"The {protocol} subscription has no dead-letter queue: once SNS's delivery retries are spent the "
            "message is discarded. Set redrive_policy={deadLetterTargetArn: <SQS queue ARN>} and let "
            "sns.amazonaws.com send to that queue (with an alarm on it, like every DLQ).",
            None,
        )


def validate_log_retention(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != LOG_GROUP:
        return
    retention = value_at(args.props, "retentionInDays")
    if retention is None or (isinstance(retention, int | float) and retention <= 0):
        report_violation(
            "The log group keeps logs forever. Set retention_in_days from the stack's "
            "eventshop:logRetentionDays setting.",
            None,
        )


def validate_arm64(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != FUNCTION:
        return
    architectures = as_list(value_at(args.props, "architectures"))
    if UNKNOWN not in architectures and architectures != ["arm64"]:
        report_violation(
            f"The function runs on {architectures or ['x86_64 (the default)']}. Set architectures=['arm64'] "
            "(cheaper per GB-second); if a dependency ships x86-only binaries, say so in the function's args.",
            None,
        )


def tls_only(document: Mapping[str, Any], service: str) -> bool:
    """Whether a resource policy denies every principal every `service` action over plain HTTP."""
    for statement in statements(document):
        if value_at(statement, "Effect") != "Deny":
            continue
        principal = value_at(statement, "Principal")
        everyone = principal == "*" or (isinstance(principal, Mapping) and as_list(value_at(principal, "AWS")) == ["*"])
        actions = [action for action in as_list(value_at(statement, "Action")) if isinstance(action, str)]
        all_actions = any(action.lower() in ("*", f"{service}:*") for action in actions)
        secure = as_list(value_at(statement, "Condition", "Bool", "aws:SecureTransport"))
        if everyone and all_actions and [str(value).lower() for value in secure] == ["false"]:
            return True
    return False


def validate_tls_only_policy(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    service = {QUEUE_POLICY: "sqs", BUCKET_POLICY: "s3"}.get(args.resource_type)
    if service is None:
        return
    raw = value_at(args.props, "policy")
    if raw is UNKNOWN:
        return
    document = _as_document(raw)
    if document is None or not tls_only(document, service):
        report_violation(
            f'The policy does not deny plain-HTTP access. Add {{"Effect": "Deny", "Principal": "*", '
            f'"Action": "{service}:*", "Resource": [...], "Condition": {{"Bool": {{"aws:SecureTransport": '
            '"false"}}}} (components/base.deny_insecure_transport builds it).',
            None,
        )


def environment_of(args: ResourceValidationArgs) -> set[str]:
    """The names this deployment goes by: the stack and the provider's `environment` default tag.

    The Pulumi engine runs policy packs with PULUMI_STACK set to the stack being previewed or
    updated; the program also tags every resource through its provider's default tags with
    `environment: <stack>`. Either one naming a production environment makes the rule apply, so
    neither a renamed stack nor a missing tag can switch it off.
    """
    names = {os.environ["PULUMI_STACK"]} if os.environ.get("PULUMI_STACK") else set()
    if args.provider is not None:
        tag = value_at(args.provider.props, "defaultTags", "tags", "environment")
        if isinstance(tag, str):
            names.add(tag)
    return names


def validate_prod_table_durability(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != TABLE:
        return
    production = set(as_list(args.get_config().get("productionEnvironments", PRODUCTION_ENVIRONMENTS)))
    if not environment_of(args) & production:
        return
    pitr = value_at(args.props, "pointInTimeRecovery", "enabled")
    if not (is_true(pitr) or pitr is UNKNOWN):
        report_violation(
            "A production table without point-in-time recovery cannot be restored after a bad write. "
            "Set eventshop:data.pointInTimeRecovery: true in Pulumi.prod.yaml.",
            None,
        )
    protection = value_at(args.props, "deletionProtectionEnabled")
    if not (is_true(protection) or protection is UNKNOWN):
        report_violation(
            "A production table without deletion protection can be dropped by one API call. "
            "Set eventshop:data.deletionProtection: true in Pulumi.prod.yaml.",
            None,
        )


# --- the stack as a graph -----------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """Where one resource names another: a property (top-level name) and the path to the ARN/name in it."""

    typ: str
    path: tuple[str | int, ...]


DEAD_LETTER_REFERENCES: Final = (
    Reference(QUEUE, ("redrivePolicy", "deadLetterTargetArn")),
    Reference(EVENT_TARGET, ("deadLetterConfig", "arn")),
    Reference(INVOKE_CONFIG, ("destinationConfig", "onFailure", "destination")),
    Reference(EVENT_SOURCE_MAPPING, ("destinationConfig", "onFailure", "destinationArn")),
    Reference(TOPIC_SUBSCRIPTION, ("redrivePolicy", "deadLetterTargetArn")),
    Reference(SCHEDULE, ("target", "deadLetterConfig", "arn")),
    Reference(FUNCTION, ("deadLetterConfig", "targetArn")),
    # Schedules a function creates at run time (cart reminders) dead-letter to the queue it is handed.
    Reference(FUNCTION, ("environment", "variables", "SCHEDULER_DLQ_ARN")),
)
"""Every way a queue becomes some consumer's dead-letter queue."""


def identifiers(resource: PolicyResource) -> set[str]:
    """The known strings other resources use to point at this one."""
    found = set()
    for key in ("arn", "name", "id", "url", "bucket"):
        value = value_at(resource.props, key)
        if isinstance(value, str) and value:
            found.add(value)
    return found


def refers_to(source: PolicyResource, path: Sequence[str | int], target: PolicyResource) -> bool:
    """Whether `source` names `target` at `path`.

    A known value is compared with the target's ARN, name, id or URL. A value the engine cannot
    know yet (preview) falls back to the engine's property dependencies on the top-level property.
    """
    value = value_at(source.props, *path)
    if value is None:
        return False
    if value is UNKNOWN:
        return any(dependency.urn == target.urn for dependency in source.property_dependencies.get(str(path[0]), []))
    return isinstance(value, str) and value in identifiers(target)


def has_value(resource: PolicyResource, *path: str | int) -> bool:
    return value_at(resource.props, *path) is not None


class Stack:
    def __init__(self, resources: Sequence[PolicyResource]) -> None:
        self.resources = list(resources)

    def of_type(self, *types: str) -> list[PolicyResource]:
        return [resource for resource in self.resources if resource.resource_type in types]

    def dead_letter_queues(self) -> list[PolicyResource]:
        return [
            queue
            for queue in self.of_type(QUEUE)
            if any(
                refers_to(source, reference.path, queue)
                for reference in DEAD_LETTER_REFERENCES
                for source in self.of_type(reference.typ)
                if source is not queue
            )
        ]

    def referrers(self, typ: str, path: Sequence[str | int], target: PolicyResource) -> list[PolicyResource]:
        return [source for source in self.of_type(typ) if refers_to(source, path, target)]


StackCheck = Callable[[Stack, Mapping[str, Any], ReportViolation], None]


def _stack_validation(check: StackCheck) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        check(Stack(args.resources), args.get_config(), report_violation)

    return validate


def check_consumer_queues_have_dlq(stack: Stack, _config: Mapping[str, Any], report_violation: ReportViolation) -> None:
    dead_letter = {queue.urn for queue in stack.dead_letter_queues()}
    for queue in stack.of_type(QUEUE):
        if queue.urn in dead_letter or has_value(queue, "redrivePolicy"):
            continue
        polled = stack.referrers(EVENT_SOURCE_MAPPING, ("eventSourceArn",), queue)
        subscribed = stack.referrers(TOPIC_SUBSCRIPTION, ("endpoint",), queue)
        if subscribed and not polled:
            continue  # a topic's outbox: nothing in the stack consumes it, so nothing can fail on it
        report_violation(
            f"Queue {queue.name} has no redrive policy, so a message its consumer keeps failing on is retried "
            "until it expires. Set redrive_policy={deadLetterTargetArn: <DLQ ARN>, maxReceiveCount: n} "
            "(QueuedConsumer does).",
            queue.urn,
        )


def check_async_functions_have_on_failure(
    stack: Stack, _config: Mapping[str, Any], report_violation: ReportViolation
) -> None:
    for function in stack.of_type(FUNCTION):
        invokers = sorted(
            {
                str(value_at(permission.props, "principal"))
                for permission in stack.referrers(PERMISSION, ("function",), function)
                if value_at(permission.props, "principal") in ASYNC_INVOKERS
            }
        )
        if not invokers:
            continue
        configs = stack.referrers(INVOKE_CONFIG, ("functionName",), function)
        if not any(has_value(config, "destinationConfig", "onFailure", "destination") for config in configs):
            report_violation(
                f"Function {function.name} is invoked asynchronously by {invokers} but has no on-failure "
                "destination: an event that fails every retry is lost. Add a FunctionEventInvokeConfig with "
                "destination_config.on_failure.destination = an SQS DLQ (EventService does).",
                function.urn,
            )


def _watches_queue_depth(alarm: PolicyResource, queue: PolicyResource) -> bool:
    """Whether the alarm (or one of its metric queries) watches the queue's visible message count."""
    metrics: list[Mapping[str, Any]] = [alarm.props]
    for query in as_list(value_at(alarm.props, "metricQueries")):
        metric = value_at(query, "metric") if isinstance(query, Mapping) else None
        if isinstance(metric, Mapping):
            metrics.append(metric)
    dependencies = [
        dependency.urn
        for prop in ("dimensions", "metricQueries")
        for dependency in alarm.property_dependencies.get(prop, [])
    ]
    for metric in metrics:
        if (value_at(metric, "namespace"), value_at(metric, "metricName")) != (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
        ):
            continue
        queue_name = value_at(metric, "dimensions", "QueueName")
        if queue_name is UNKNOWN and queue.urn in dependencies:
            return True
        if queue_name is not None and queue_name == value_at(queue.props, "name"):
            return True
    return False


def check_dead_letter_queues_alarmed(
    stack: Stack, _config: Mapping[str, Any], report_violation: ReportViolation
) -> None:
    alarms = stack.of_type(METRIC_ALARM)
    for queue in stack.dead_letter_queues():
        if not any(_watches_queue_depth(alarm, queue) for alarm in alarms):
            report_violation(
                f"Dead-letter queue {queue.name} has no alarm: failed messages would sit there unnoticed. Add a "
                "MetricAlarm on AWS/SQS ApproximateNumberOfMessagesVisible with dimensions={'QueueName': "
                "<queue name>} notifying the ops topic (components/alarms.dead_letter_alarm).",
                queue.urn,
            )


def check_buckets_block_public_access(
    stack: Stack, _config: Mapping[str, Any], report_violation: ReportViolation
) -> None:
    for bucket in stack.of_type(*BUCKETS):
        blocks = stack.referrers(BUCKET_PUBLIC_ACCESS_BLOCK, ("bucket",), bucket)
        complete = any(
            all(
                is_true(value_at(block.props, flag)) or value_at(block.props, flag) is UNKNOWN
                for flag in PUBLIC_ACCESS_FLAGS
            )
            for block in blocks
        )
        if not complete:
            report_violation(
                f"Bucket {bucket.name} does not block public access. Add a BucketPublicAccessBlock for it with "
                f"{', '.join(PUBLIC_ACCESS_FLAGS)} all True.",
                bucket.urn,
            )


def check_buckets_encrypted(stack: Stack, _config: Mapping[str, Any], report_violation: ReportViolation) -> None:
    for bucket in stack.of_type(*BUCKETS):
        inline = has_value(bucket, "serverSideEncryptionConfiguration", "rule")
        separate = any(
            has_value(configuration, "rules", 0, "applyServerSideEncryptionByDefault", "sseAlgorithm")
            for configuration in stack.referrers(BUCKET_ENCRYPTION[0], ("bucket",), bucket)
            + stack.referrers(BUCKET_ENCRYPTION[1], ("bucket",), bucket)
        )
        if not (inline or separate):
            report_violation(
                f"Bucket {bucket.name} declares no default encryption. Add an aws.s3."
                "BucketServerSideEncryptionConfiguration for it (sse_algorithm 'aws:kms' or 'AES256').",
                bucket.urn,
            )


def check_queues_and_buckets_tls_only(
    stack: Stack, _config: Mapping[str, Any], report_violation: ReportViolation
) -> None:
    guarded: list[tuple[str, tuple[str, ...], str, tuple[str | int, ...]]] = [
        (QUEUE, (QUEUE_POLICY,), "sqs", ("queueUrl",)),
        *((bucket, (BUCKET_POLICY,), "s3", ("bucket",)) for bucket in BUCKETS),
    ]
    for typ, policy_types, service, path in guarded:
        for resource in stack.of_type(typ):
            documents = [value_at(resource.props, "policy")] + [
                value_at(policy.props, "policy")
                for policy in stack.of_type(*policy_types)
                if refers_to(policy, path, resource)
            ]
            if any(document is UNKNOWN for document in documents):
                continue
            parsed = [doc for document in documents if (doc := _as_document(document)) is not None]
            if not any(tls_only(document, service) for document in parsed):
                report_violation(
                    f"{resource.name} accepts plain-HTTP requests: no resource policy denies "
                    f"aws:SecureTransport false. Give it a {policy_types[0].rsplit(':', 1)[1]} with a "
                    f'Deny of "{service}:*" to Principal "*" when aws:SecureTransport is "false".',
                    resource.urn,
                )


def check_functions_have_managed_log_group(
    stack: Stack, _config: Mapping[str, Any], report_violation: ReportViolation
) -> None:
    groups = {value_at(group.props, "name") for group in stack.of_type(LOG_GROUP)}
    for function in stack.of_type(FUNCTION):
        configured = value_at(function.props, "loggingConfig", "logGroup")
        name = value_at(function.props, "name")
        expected = configured if configured is not None else (f"/aws/lambda/{name}" if isinstance(name, str) else name)
        if expected is UNKNOWN or expected in groups:
            continue
        report_violation(
            f"Function {function.name} writes to {expected}, which this stack does not manage: Lambda would create "
            "it with no retention. Declare the LogGroup (with retention) and point logging_config.log_group at it.",
            function.urn,
        )


# --- the pack -----------------------------------------------------------------------------------

RESOURCE_POLICIES: Final = (
    ResourceValidationPolicy(
        name="sqs-queue-encrypted",
        description="SQS queues are encrypted at rest (SSE-SQS or KMS).",
        enforcement_level=MANDATORY,
        validate=validate_queue_encrypted,
    ),
    ResourceValidationPolicy(
        name="sns-topic-encrypted",
        description="SNS topics are encrypted at rest with KMS.",
        enforcement_level=MANDATORY,
        validate=validate_topic_encrypted,
    ),
    ResourceValidationPolicy(
        name="dynamodb-table-encrypted",
        description="DynamoDB tables use KMS server-side encryption.",
        enforcement_level=MANDATORY,
        validate=validate_table_encrypted,
    ),
    ResourceValidationPolicy(
        name="event-target-retry-and-dlq",
        description="Every EventBridge rule target has a retry policy and a dead-letter queue.",
        enforcement_level=MANDATORY,
        validate=validate_target_retry_and_dlq,
    ),
    ResourceValidationPolicy(
        name="iam-put-events-scoped",
        description="events:PutEvents is granted only on event-bus ARNs and with an events:source condition.",
        enforcement_level=MANDATORY,
        validate=validate_put_events_scoped,
    ),
    ResourceValidationPolicy(
        name="iam-no-wildcards",
        description='Identity policies grant no wildcard actions and no Resource "*" beyond the actions that need it.',
        enforcement_level=MANDATORY,
        validate=validate_no_wildcards,
    ),
    ResourceValidationPolicy(
        name="sns-subscription-dlq",
        description="SNS subscriptions to application endpoints (HTTP/S, Lambda, SQS, Firehose) have a DLQ.",
        enforcement_level=ADVISORY,
        validate=validate_subscription_dlq,
    ),
    ResourceValidationPolicy(
        name="log-group-retention",
        description="Every log group has a retention period.",
        enforcement_level=MANDATORY,
        validate=validate_log_retention,
    ),
    ResourceValidationPolicy(
        name="lambda-arm64",
        description="Lambda functions run on arm64 (Graviton).",
        enforcement_level=ADVISORY,
        validate=validate_arm64,
    ),
    ResourceValidationPolicy(
        name="tls-only-resource-policies",
        description="Queue and bucket policies deny requests that do not use TLS.",
        enforcement_level=MANDATORY,
        validate=validate_tls_only_policy,
    ),
    ResourceValidationPolicy(
        name="prod-table-durability",
        description="Production DynamoDB tables have point-in-time recovery and deletion protection.",
        enforcement_level=MANDATORY,
        validate=validate_prod_table_durability,
    ),
    *PRINCIPAL_POLICIES,
)

STACK_POLICIES: Final = (
    StackValidationPolicy(
        name="consumer-queues-have-dlq",
        description="Every consumed SQS queue redrives to a dead-letter queue.",
        enforcement_level=MANDATORY,
        validate=_stack_validation(check_consumer_queues_have_dlq),
    ),
    StackValidationPolicy(
        name="async-lambda-on-failure-destination",
        description="Every Lambda invoked asynchronously (EventBridge, SNS, S3) has an on-failure destination.",
        enforcement_level=MANDATORY,
        validate=_stack_validation(check_async_functions_have_on_failure),
    ),
    StackValidationPolicy(
        name="dead-letter-queues-alarmed",
        description="Every dead-letter queue has an alarm on its visible message count.",
        enforcement_level=MANDATORY,
        validate=_stack_validation(check_dead_letter_queues_alarmed),
    ),
    StackValidationPolicy(
        name="s3-public-access-blocked",
        description="Every S3 bucket has a public access block with all four settings on.",
        enforcement_level=MANDATORY,
        validate=_stack_validation(check_buckets_block_public_access),
    ),
    StackValidationPolicy(
        name="s3-bucket-encrypted",
        description="Every S3 bucket declares default server-side encryption.",
        enforcement_level=MANDATORY,
        validate=_stack_validation(check_buckets_encrypted),
    ),
    StackValidationPolicy(
        name="queues-and-buckets-tls-only",
        description="Every queue and bucket has a resource policy that denies non-TLS access.",
        enforcement_level=MANDATORY,
        validate=_stack_validation(check_queues_and_buckets_tls_only),
    ),
    StackValidationPolicy(
        name="lambda-log-group-managed",
        description="Every Lambda function logs to a log group the stack declares (so retention applies).",
        enforcement_level=MANDATORY,
        validate=_stack_validation(check_functions_have_managed_log_group),
    ),
)

POLICIES: Final[tuple[ResourceValidationPolicy | StackValidationPolicy, ...]] = (*RESOURCE_POLICIES, *STACK_POLICIES)
