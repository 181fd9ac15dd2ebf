"""Rules on one resource's inputs: encryption, retries and dead-letter queues, retention, TLS, production durability."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Final

from pulumi_policy import ReportViolation, ResourceValidationArgs

from .resource_types import (
    BUCKET_POLICY,
    EVENT_TARGET,
    FUNCTION,
    LOG_GROUP,
    QUEUE,
    QUEUE_POLICY,
    TABLE,
    TOPIC,
    TOPIC_SUBSCRIPTION,
)
from .values import UNKNOWN, as_document, as_list, is_true, statements, value_at

DELIVERY_PROTOCOLS_WITH_DLQ: Final = frozenset({"http", "https", "lambda", "sqs", "firehose"})
"""Subscription protocols delivering to an application endpoint: SNS discards what it cannot deliver
once its delivery policy is spent (an hour at most for HTTP/S) unless a DLQ is attached."""

PRODUCTION_ENVIRONMENTS: Final = ("prod",)


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
            "maximum_event_age_in_seconds (components/rule_delivery.RuleDelivery takes a TargetRetry).",
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
    document = as_document(raw)
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
