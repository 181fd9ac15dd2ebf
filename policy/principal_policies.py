"""Guardrails on what AWS services may do as themselves: role trust policies and KMS key policies.

Standard library and pulumi_policy only, like the rest of the pack (see eventshop_policies.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

ROLE: Final = "aws:iam/role:Role"
KMS_KEY: Final = "aws:kms/key:Key"
SOURCE_KEYS: Final = frozenset({"aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths"})

#: Services that use a topic's KMS key as themselves when they publish to it, and for which AWS documents
#: the key policy statement without source conditions: CloudWatch alarms (Amazon SNS Developer Guide,
#: "Enable compatibility between event sources from AWS services and encrypted topics",
#: https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services, and
#: re:Post "Why didn't I receive an SNS notification for my CloudWatch alarm trigger?",
#: https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger, statement
#: "Allow_CloudWatch_for_CMK") and EventBridge targets (same SNS page; re:Post
#: https://repost.aws/knowledge-center/sns-not-getting-eventbridge-notification).
#: Under a condition on a key their KMS requests do not carry, every publish fails silently.
UNCONDITIONED_KEY_USERS: Final = frozenset({"cloudwatch.amazonaws.com", "events.amazonaws.com"})


def _document(value: Any) -> Mapping[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return {}
    return value if isinstance(value, Mapping) else {}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _statements(value: Any) -> list[Mapping[str, Any]]:
    return [s for s in _as_list(_document(value).get("Statement")) if isinstance(s, Mapping)]


def _services(statement: Mapping[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if not isinstance(principal, Mapping):
        return []
    return [str(service) for service in _as_list(principal.get("Service"))]


def _source_keys(statement: Mapping[str, Any]) -> set[str]:
    conditions = statement.get("Condition")
    if not isinstance(conditions, Mapping):
        return set()
    return {
        str(key).lower()
        for block in conditions.values()
        if isinstance(block, Mapping)
        for key in block
        if str(key).lower() in SOURCE_KEYS
    }


def validate_service_trust_scoped(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """A role an AWS service assumes names whose behalf: aws:SourceAccount and/or aws:SourceArn."""
    if args.resource_type != ROLE:
        return
    for index, statement in enumerate(_statements(args.props.get("assumeRolePolicy"))):
        services = _services(statement)
        if statement.get("Effect") != "Allow" or not services:
            continue
        if not _source_keys(statement) & {"aws:sourceaccount", "aws:sourcearn"}:
            report_violation(
                f"trust statement {statement.get('Sid') or index} lets {', '.join(services)} assume the role on "
                "behalf of anyone (the confused deputy problem). Add Condition "
                '{"StringEquals": {"aws:SourceAccount": "<account>"}} and, where the service documents it, '
                '{"ArnLike": {"aws:SourceArn": "<the resource it acts for>"}} (components/trust.py).',
                None,
            )


def validate_key_usable_by_publishing_services(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """CloudWatch and EventBridge may use a topic's key only in the form AWS documents: no source conditions."""
    if args.resource_type != KMS_KEY:
        return
    for index, statement in enumerate(_statements(args.props.get("policy"))):
        users = sorted(set(_services(statement)) & UNCONDITIONED_KEY_USERS)
        keys = _source_keys(statement)
        if statement.get("Effect") != "Allow" or not users or not keys:
            continue
        report_violation(
            f"key policy statement {statement.get('Sid') or index} lets {', '.join(users)} use the key only under "
            f"{', '.join(sorted(keys))}, which AWS's key policy for services publishing to encrypted topics does not "
            "use: alarms and rules could fail to publish, silently. Give those services their own statement without "
            "source conditions, and keep the confused-deputy conditions on the topic policy.",
            None,
        )


PRINCIPAL_POLICIES: Final = (
    ResourceValidationPolicy(
        name="iam-service-trust-scoped",
        description="Roles that AWS services assume are limited by aws:SourceAccount / aws:SourceArn.",
        enforcement_level=EnforcementLevel.MANDATORY,
        validate=validate_service_trust_scoped,
    ),
    ResourceValidationPolicy(
        name="kms-key-usable-by-publishing-services",
        description="KMS keys let CloudWatch and EventBridge encrypt in AWS's documented form (no source conditions).",
        enforcement_level=EnforcementLevel.MANDATORY,
        validate=validate_key_usable_by_publishing_services,
    ),
)
