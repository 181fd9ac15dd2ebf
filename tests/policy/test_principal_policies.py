"""Role trust policies name whose behalf a service acts on; topic keys let publishing services encrypt."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devtools.program import ProgramRun
from policy.rules.resource_types import KMS_KEY, ROLE
from tests.policy.conftest import resource_policy
from tests.policy.support import resource_args, violations

ACCOUNT = "123456789012"
RULE_ARN = f"arn:aws:events:eu-west-1:{ACCOUNT}:rule/eventshop-dev-invoices-forward"


def trust(service: str, condition: dict[str, Any] | None = None) -> dict[str, str]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if condition is not None:
        statement["Condition"] = condition
    return {"assumeRolePolicy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})}


def key(*statements: dict[str, Any]) -> dict[str, str]:
    return {"policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})}


def key_user(service: str, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": "Publishers",
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
        "Resource": "*",
    }
    if condition is not None:
        statement["Condition"] = condition
    return statement


@pytest.mark.parametrize(
    "service", ["lambda.amazonaws.com", "events.amazonaws.com", "states.amazonaws.com", "scheduler.amazonaws.com"]
)
def test_a_role_trusting_a_service_without_source_conditions_fails(service: str) -> None:
    found = violations(resource_policy("iam-service-trust-scoped"), resource_args(ROLE, trust(service)))

    assert len(found) == 1
    assert f"lets {service} assume the role on behalf of anyone" in found[0]


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        {"ArnLike": {"aws:SourceArn": RULE_ARN}},
        {"StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": RULE_ARN}},
    ],
)
def test_a_role_trusting_a_service_on_behalf_of_the_account_or_a_resource_passes(condition: dict[str, Any]) -> None:
    args = resource_args(ROLE, trust("events.amazonaws.com", condition))

    assert violations(resource_policy("iam-service-trust-scoped"), args) == []


def test_a_condition_on_something_else_does_not_count() -> None:
    args = resource_args(ROLE, trust("lambda.amazonaws.com", {"Bool": {"aws:SecureTransport": "true"}}))

    assert len(violations(resource_policy("iam-service-trust-scoped"), args)) == 1


@pytest.mark.parametrize("service", ["cloudwatch.amazonaws.com", "events.amazonaws.com"])
@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        {"ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:*:{ACCOUNT}:alarm:eventshop-dev-*"}},
    ],
)
def test_a_topic_key_usable_by_a_publishing_service_only_under_a_source_condition_fails(
    service: str, condition: dict[str, Any]
) -> None:
    found = violations(
        resource_policy("kms-key-usable-by-publishing-services"),
        resource_args(KMS_KEY, key(key_user(service, condition))),
    )

    assert len(found) == 1
    assert f"lets {service} use the key only under" in found[0]


def test_the_documented_form_passes_and_other_services_may_keep_their_conditions() -> None:
    documented = key(
        key_user("cloudwatch.amazonaws.com"),
        key_user("events.amazonaws.com"),
        key_user("logs.eu-west-1.amazonaws.com", {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:*"}}),
    )

    assert (
        violations(resource_policy("kms-key-usable-by-publishing-services"), resource_args(KMS_KEY, documented)) == []
    )


def test_the_program_gives_cloudwatch_the_alarm_key_in_the_documented_form(program_run: ProgramRun) -> None:
    (alarm_key,) = [k for k in program_run.of_type(KMS_KEY) if k.name == "alarms-key"]
    (statement,) = [s for s in alarm_key.json_input("policy")["Statement"] if s["Sid"] == "Allow_CloudWatch_for_CMK"]

    assert statement == key_user("cloudwatch.amazonaws.com") | {"Sid": "Allow_CloudWatch_for_CMK"}
