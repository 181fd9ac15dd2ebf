"""Rules on the whole stack's outputs, wherever a rule relates two resources (a queue and its alarm,
a function and its invoke config, a bucket and its public access block)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pulumi_policy import PolicyResource, ReportViolation

from .graph import Stack, has_value, refers_to
from .resource_types import (
    BUCKET_ENCRYPTION,
    BUCKET_POLICY,
    BUCKET_PUBLIC_ACCESS_BLOCK,
    BUCKETS,
    EVENT_SOURCE_MAPPING,
    FUNCTION,
    INVOKE_CONFIG,
    LOG_GROUP,
    METRIC_ALARM,
    PERMISSION,
    QUEUE,
    QUEUE_POLICY,
    TOPIC_SUBSCRIPTION,
)
from .resources import tls_only
from .values import UNKNOWN, as_document, as_list, is_true, value_at

ASYNC_INVOKERS: Final = frozenset({"events.amazonaws.com", "sns.amazonaws.com", "s3.amazonaws.com"})
"""Service principals that invoke Lambda asynchronously: a failure is lost unless a destination catches it."""

PUBLIC_ACCESS_FLAGS: Final = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


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
            parsed = [doc for document in documents if (doc := as_document(document)) is not None]
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
