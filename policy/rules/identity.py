"""Rules on IAM: what identity policies grant, and what AWS services may do as themselves (trust and key policies)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from typing import Any, Final

from pulumi_policy import ReportViolation, ResourceValidationArgs

from .resource_types import KMS_KEY, MANAGED_POLICY, ROLE, ROLE_POLICY
from .values import as_document, as_list, statements, value_at

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

FORWARDING_SID: Final = "ForwardOnBehalfOfOneRule"
"""The statement id of an event forwarder's PutEvents grant (components/event_forwarder.py)."""
PUBLIC_ACCESS_FLAGS: Final = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
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


def identity_policy_documents(args: ResourceValidationArgs) -> list[tuple[str, Mapping[str, Any]]]:
    """Every identity-policy document a resource declares, labelled for messages."""
    documents: list[tuple[str, Any]] = []
    if args.resource_type in (ROLE_POLICY, MANAGED_POLICY):
        documents.append(("policy", value_at(args.props, "policy")))
    elif args.resource_type == ROLE:
        for index, inline in enumerate(as_list(value_at(args.props, "inlinePolicies"))):
            name = value_at(inline, "name") if isinstance(inline, Mapping) else None
            documents.append((f"inline policy {name or index}", value_at(inline, "policy")))
    return [(label, doc) for label, raw in documents if (doc := as_document(raw)) is not None]


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


def _policy_statements(value: Any) -> list[Mapping[str, Any]]:
    """The statements of a trust or key policy (JSON text or data); none when it is not a document."""
    return statements(as_document(value) or {})


def _services(statement: Mapping[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if not isinstance(principal, Mapping):
        return []
    return [str(service) for service in as_list(principal.get("Service"))]


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
    for index, statement in enumerate(_policy_statements(args.props.get("assumeRolePolicy"))):
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
    for index, statement in enumerate(_policy_statements(args.props.get("policy"))):
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
