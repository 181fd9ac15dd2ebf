"""Each resource policy against a resource that violates it and one that passes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from policy.rules.pack import RESOURCE_POLICIES
from policy.rules.resource_types import (
    BUCKET_POLICY,
    EVENT_TARGET,
    FUNCTION,
    LOG_GROUP,
    MANAGED_POLICY,
    QUEUE,
    QUEUE_POLICY,
    ROLE,
    ROLE_POLICY,
    TABLE,
    TOPIC,
    TOPIC_SUBSCRIPTION,
)
from tests.policy.conftest import resource_policy
from tests.policy.support import UNKNOWN, resource_args, violations

BUS = "arn:aws:events:eu-west-1:123456789012:event-bus/eventshop-dev"
QUEUE_ARN = "arn:aws:sqs:eu-west-1:123456789012:eventshop-dev-billing-queue"
DLQ_ARN = "arn:aws:sqs:eu-west-1:123456789012:eventshop-dev-billing-dlq"


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions: list[str], resources: list[str], **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def deny_plain_http(service: str, resource: str) -> dict[str, Any]:
    return {
        "Effect": "Deny",
        "Principal": "*",
        "Action": f"{service}:*",
        "Resource": resource,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


SCOPED_PUT_EVENTS = allow(
    ["events:PutEvents"], [BUS], Condition={"StringEquals": {"events:source": ["eventshop.billing"]}}
)
TARGET = {"rule": "r", "arn": QUEUE_ARN}
RETRY = {"maximumRetryAttempts": 185, "maximumEventAgeInSeconds": 86400}


@dataclass(frozen=True)
class Case:
    policy: str
    typ: str
    violating: dict[str, Any]
    passing: dict[str, Any]
    message: str


CASES = {
    "unencrypted-queue": Case(
        "sqs-queue-encrypted", QUEUE, {"name": "q"}, {"name": "q", "sqsManagedSseEnabled": True}, "sqs_managed_sse"
    ),
    "queue-with-sse-disabled-but-kms": Case(
        "sqs-queue-encrypted",
        QUEUE,
        {"sqsManagedSseEnabled": False},
        {"sqsManagedSseEnabled": False, "kmsMasterKeyId": "alias/eventshop"},
        "not encrypted",
    ),
    "unencrypted-topic": Case(
        "sns-topic-encrypted", TOPIC, {"name": "t"}, {"kmsMasterKeyId": "arn:aws:kms:eu-west-1:1:key/k"}, "kms"
    ),
    "table-without-kms-sse": Case(
        "dynamodb-table-encrypted",
        TABLE,
        {"serverSideEncryption": {"enabled": False}},
        {"serverSideEncryption": {"enabled": True}},
        "server_side_encryption",
    ),
    "target-without-retry-policy": Case(
        "event-target-retry-and-dlq",
        EVENT_TARGET,
        {**TARGET, "deadLetterConfig": {"arn": DLQ_ARN}},
        {**TARGET, "deadLetterConfig": {"arn": DLQ_ARN}, "retryPolicy": RETRY},
        "retry policy",
    ),
    "target-without-dead-letter-queue": Case(
        "event-target-retry-and-dlq",
        EVENT_TARGET,
        {**TARGET, "retryPolicy": RETRY},
        {**TARGET, "retryPolicy": RETRY, "deadLetterConfig": {"arn": DLQ_ARN}},
        "no dead-letter queue",
    ),
    "put-events-without-source-condition": Case(
        "iam-put-events-scoped",
        ROLE_POLICY,
        {"policy": document(allow(["events:PutEvents"], [BUS]))},
        {"policy": document(SCOPED_PUT_EVENTS)},
        "events:source",
    ),
    "forwarder-put-events-scoped-by-its-trust-not-by-source": Case(
        "iam-put-events-scoped",
        ROLE_POLICY,
        {"policy": document(allow(["events:PutEvents"], [BUS], Sid="ForwardAnything"))},
        {"policy": document(allow(["events:PutEvents"], [BUS], Sid="ForwardOnBehalfOfOneRule"))},
        "events:source",
    ),
    "service-role-trusted-on-behalf-of-anyone": Case(
        "iam-service-trust-scoped",
        ROLE,
        {"assumeRolePolicy": document({"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}})},
        {
            "assumeRolePolicy": document(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "states.amazonaws.com"},
                    "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}},
                }
            )
        },
        "confused deputy",
    ),
    "alarm-key-refused-to-cloudwatch-by-a-source-condition": Case(
        "kms-key-usable-by-publishing-services",
        "aws:kms/key:Key",
        {
            "policy": document(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
                    "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}},
                }
            )
        },
        {
            "policy": document(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
                    "Resource": "*",
                }
            )
        },
        "cloudwatch.amazonaws.com, events.amazonaws.com use the key only under aws:sourceaccount",
    ),
    "put-events-on-a-non-bus-resource": Case(
        "iam-put-events-scoped",
        ROLE_POLICY,
        {
            "policy": document(
                allow(
                    ["events:PutEvents"],
                    ["arn:aws:events:eu-west-1:123456789012:rule/eventshop-dev/r"],
                    Condition={"StringEquals": {"events:source": ["eventshop.billing"]}},
                )
            )
        },
        {"policy": document(SCOPED_PUT_EVENTS)},
        "event bus ARN",
    ),
    "put-events-through-a-wildcard-in-a-managed-policy": Case(
        "iam-put-events-scoped",
        MANAGED_POLICY,
        {"policy": document(allow(["events:Put*"], [BUS]))},
        {"policy": document(SCOPED_PUT_EVENTS)},
        "events:source",
    ),
    "wildcard-action": Case(
        "iam-no-wildcards",
        ROLE_POLICY,
        {"policy": document(allow(["dynamodb:*"], ["arn:aws:dynamodb:eu-west-1:1:table/t"]))},
        {"policy": document(allow(["dynamodb:GetItem"], ["arn:aws:dynamodb:eu-west-1:1:table/t"]))},
        "wildcard actions ['dynamodb:*']",
    ),
    "resource-star-outside-the-allow-list": Case(
        "iam-no-wildcards",
        ROLE_POLICY,
        {"policy": document(allow(["xray:PutTraceSegments", "sqs:SendMessage"], ["*"]))},
        {"policy": document(allow(["xray:PutTraceSegments", "xray:PutTelemetryRecords"], ["*"]))},
        "Resource \"*\" for ['sqs:SendMessage']",
    ),
    "not-action-allow-in-a-role-inline-policy": Case(
        "iam-no-wildcards",
        ROLE,
        {
            "inlinePolicies": [
                {"name": "p", "policy": document({"Effect": "Allow", "NotAction": "iam:*", "Resource": QUEUE_ARN})}
            ]
        },
        {"inlinePolicies": [{"name": "p", "policy": document(allow(["sqs:SendMessage"], [QUEUE_ARN]))}]},
        "NotAction",
    ),
    "https-subscription-without-dead-letter-queue": Case(
        "sns-subscription-dlq",
        TOPIC_SUBSCRIPTION,
        {"protocol": "https", "endpoint": "https://hooks.example.com", "topic": "t"},
        {
            "protocol": "https",
            "endpoint": "https://hooks.example.com",
            "topic": "t",
            "redrivePolicy": json.dumps({"deadLetterTargetArn": DLQ_ARN}),
        },
        "https subscription has no dead-letter queue",
    ),
    "log-group-without-retention": Case(
        "log-group-retention",
        LOG_GROUP,
        {"name": "/aws/lambda/f"},
        {"name": "/aws/lambda/f", "retentionInDays": 7},
        "retention_in_days",
    ),
    "x86-function": Case(
        "lambda-arm64", FUNCTION, {"architectures": ["x86_64"]}, {"architectures": ["arm64"]}, "arm64"
    ),
    "function-on-the-default-architecture": Case(
        "lambda-arm64", FUNCTION, {"runtime": "python3.13"}, {"architectures": ["arm64"]}, "x86_64 (the default)"
    ),
    "queue-policy-without-tls-deny": Case(
        "tls-only-resource-policies",
        QUEUE_POLICY,
        {
            "queueUrl": "u",
            "policy": document(allow(["sqs:SendMessage"], [QUEUE_ARN], Principal={"Service": "events.amazonaws.com"})),
        },
        {"queueUrl": "u", "policy": document(deny_plain_http("sqs", QUEUE_ARN))},
        "aws:SecureTransport",
    ),
    "queue-policy-denying-plain-http-for-one-action-only": Case(
        "tls-only-resource-policies",
        QUEUE_POLICY,
        {"queueUrl": "u", "policy": document({**deny_plain_http("sqs", QUEUE_ARN), "Action": "sqs:SendMessage"})},
        {"queueUrl": "u", "policy": document(deny_plain_http("sqs", QUEUE_ARN))},
        "plain-HTTP",
    ),
    "bucket-policy-without-tls-deny": Case(
        "tls-only-resource-policies",
        BUCKET_POLICY,
        {
            "bucket": "b",
            "policy": document(allow(["s3:GetObject"], ["arn:aws:s3:::b/*"], Principal={"AWS": "arn:aws:iam::1:root"})),
        },
        {"bucket": "b", "policy": document(deny_plain_http("s3", "arn:aws:s3:::b/*"))},
        '"s3:*"',
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_policy_reports_the_violating_resource_with_a_fix(case: Case) -> None:
    found = violations(resource_policy(case.policy), resource_args(case.typ, case.violating))

    assert len(found) == 1
    assert case.message in found[0]


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_policy_accepts_the_compliant_resource(case: Case) -> None:
    assert violations(resource_policy(case.policy), resource_args(case.typ, case.passing)) == []


def test_resource_policies_ignore_other_resource_types() -> None:
    table = resource_args(TABLE, {"name": "t"})
    for name in ("sqs-queue-encrypted", "sns-topic-encrypted", "event-target-retry-and-dlq", "lambda-arm64"):
        assert violations(resource_policy(name), table) == []


def test_values_unknown_in_a_preview_are_not_reported_as_missing() -> None:
    queue = resource_args(QUEUE, {"sqsManagedSseEnabled": UNKNOWN})
    queue_policy = resource_args(QUEUE_POLICY, {"queueUrl": UNKNOWN, "policy": UNKNOWN})

    assert violations(resource_policy("sqs-queue-encrypted"), queue) == []
    assert violations(resource_policy("tls-only-resource-policies"), queue_policy) == []


UNSAFE_TABLE = {"pointInTimeRecovery": {"enabled": False}, "deletionProtectionEnabled": False}
SAFE_TABLE = {"pointInTimeRecovery": {"enabled": True}, "deletionProtectionEnabled": True}


def test_prod_table_without_recovery_or_deletion_protection_is_reported_twice() -> None:
    found = violations(resource_policy("prod-table-durability"), resource_args(TABLE, UNSAFE_TABLE, environment="prod"))

    assert [("point-in-time recovery" in message, "deletion protection" in message) for message in found] == [
        (True, False),
        (False, True),
    ]


def test_prod_table_with_recovery_and_deletion_protection_passes() -> None:
    assert (
        violations(resource_policy("prod-table-durability"), resource_args(TABLE, SAFE_TABLE, environment="prod")) == []
    )


def test_dev_table_may_skip_recovery_and_deletion_protection() -> None:
    assert (
        violations(resource_policy("prod-table-durability"), resource_args(TABLE, UNSAFE_TABLE, environment="dev"))
        == []
    )


def test_the_engine_stack_name_marks_production_even_without_the_environment_tag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PULUMI_STACK", "prod")

    found = violations(resource_policy("prod-table-durability"), resource_args(TABLE, UNSAFE_TABLE, environment=None))

    assert len(found) == 2


def test_a_dev_tag_cannot_exempt_the_prod_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_STACK", "prod")

    found = violations(resource_policy("prod-table-durability"), resource_args(TABLE, UNSAFE_TABLE, environment="dev"))

    assert len(found) == 2


def test_production_environments_come_from_the_policy_config() -> None:
    args = resource_args(TABLE, UNSAFE_TABLE, environment="staging", config={"productionEnvironments": ["staging"]})

    assert len(violations(resource_policy("prod-table-durability"), args)) == 2


def test_an_unknown_list_element_is_not_mistaken_for_a_violation() -> None:
    function = resource_args(FUNCTION, {"architectures": [UNKNOWN]})
    role = resource_args(ROLE, {"inlinePolicies": [{"name": UNKNOWN, "policy": UNKNOWN}]})

    assert violations(resource_policy("lambda-arm64"), function) == []
    assert violations(resource_policy("iam-no-wildcards"), role) == []


def test_email_subscription_needs_no_dead_letter_queue() -> None:
    email = resource_args(TOPIC_SUBSCRIPTION, {"protocol": "email", "endpoint": "oncall@example.com", "topic": "t"})

    assert violations(resource_policy("sns-subscription-dlq"), email) == []


def test_iam_names_are_compared_case_insensitively_as_aws_does() -> None:
    xray = resource_args(ROLE_POLICY, {"policy": document(allow(["XRay:PutTraceSegments"], ["*"]))})
    put_events = resource_args(
        ROLE_POLICY,
        {"policy": document(allow(["events:PutEvents"], [BUS], Condition={"StringEquals": {"Events:Source": ["x"]}}))},
    )

    assert violations(resource_policy("iam-no-wildcards"), xray) == []
    assert violations(resource_policy("iam-put-events-scoped"), put_events) == []


def test_tls_deny_written_with_a_list_condition_and_upper_case_service_passes() -> None:
    deny = {
        **deny_plain_http("sqs", QUEUE_ARN),
        "Action": ["SQS:*"],
        "Condition": {"Bool": {"aws:SecureTransport": ["false"]}},
    }

    assert (
        violations(
            resource_policy("tls-only-resource-policies"), resource_args(QUEUE_POLICY, {"policy": document(deny)})
        )
        == []
    )


def test_every_resource_policy_has_a_violating_and_a_passing_case_here() -> None:
    covered = {case.policy for case in CASES.values()} | {"prod-table-durability"}

    assert covered == {policy.name for policy in RESOURCE_POLICIES}
