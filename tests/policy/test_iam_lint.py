"""parliament (AWS's own action catalogue, offline) on every role policy the program declares.

No finding is accepted on the program's policies. X-Ray's Resource "*" needs no exception:
parliament knows xray:PutTraceSegments/PutTelemetryRecords accept nothing but "*", which
`test_xray_star_is_not_a_finding` keeps true. Trust (assume-role) policies are not linted:
they have a Principal and no Resource, which parliament's identity-policy checks call MALFORMED.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from devtools.program import ProgramRun


def lint(policy: str | dict[str, Any]) -> list[tuple[str, Any]]:
    # Imported on use: loading parliament's action catalogue is ~0.4 CPU-s, which every xdist worker would
    # otherwise pay while collecting, whether or not it runs these tests.
    import parliament  # noqa: PLC0415

    text = policy if isinstance(policy, str) else json.dumps(policy)
    analysed = parliament.analyze_policy_string(text, include_community_auditors=True)
    return [(finding.issue, finding.detail) for finding in analysed.findings]


def statement(action: str | list[str], resource: str | list[str], **extra: Any) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource, **extra}],
    }


TABLE = "arn:aws:dynamodb:eu-west-1:123456789012:table/eventshop-dev-orders"
QUEUE = "arn:aws:sqs:eu-west-1:123456789012:eventshop-dev-billing-queue"


def test_parliament_finds_nothing_in_any_role_policy(program_run: ProgramRun) -> None:
    role_policies = program_run.of_type("aws:iam/rolePolicy:RolePolicy")
    findings = {policy.name: lint(policy.inputs["policy"]) for policy in role_policies}

    # Every role of the program has its one inline policy here, so none goes unlinted.
    roles = program_run.of_type("aws:iam/role:Role")
    assert roles
    assert sorted(policy.inputs["role"] for policy in role_policies) == sorted(role.id for role in roles)
    # The accepted findings, both "permissions management": Step Functions' log delivery needs
    # logs:PutResourcePolicy on "*" (AWS's documented policy for execution logging), and the reminder
    # function passes exactly the scheduler role, only to scheduler.amazonaws.com, to the schedules it creates.
    # Parliament's database lists no resource type for states:SendTask*; the reservations consumer scopes them
    # to the fulfillment state machine anyway, as the CDK's StateMachine.grantTaskResponse does.
    send_task = [{"action": f"states:SendTask{outcome}", "required_format": "*"} for outcome in ("Success", "Failure")]
    assert {name: found for name, found in findings.items() if found} == {
        "fulfillment-policy": [("PERMISSIONS_MANAGEMENT_ACTIONS", "")],
        "reminders-policy": [("PERMISSIONS_MANAGEMENT_ACTIONS", "")],
        "fulfillment-reservations-policy": [("RESOURCE_MISMATCH", send_task)],
    }


def test_xray_star_is_not_a_finding() -> None:
    assert lint(statement(["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "*")) == []


@pytest.mark.parametrize(
    ("bad_policy", "issue"),
    [
        pytest.param(statement("dynamodb:GetItems", TABLE), "UNKNOWN_ACTION", id="misspelt-action"),
        pytest.param(statement("dynamo:GetItem", TABLE), "UNKNOWN_PREFIX", id="unknown-service"),
        pytest.param(statement("dynamodb:GetItem", QUEUE), "RESOURCE_MISMATCH", id="table-action-on-a-queue"),
        pytest.param(statement("dynamodb:GetItem", "*"), "RESOURCE_STAR", id="table-action-on-every-table"),
        pytest.param(statement("dynamodb:*", TABLE), "RESOURCE_MISMATCH", id="every-action-of-a-service"),
        pytest.param(statement("iam:PassRole", "*"), "PERMISSIONS_MANAGEMENT_ACTIONS", id="pass-any-role"),
        pytest.param(
            statement("sqs:SendMessage", QUEUE, Condition={"StringEquals": {"events:source": "x"}}),
            "UNKNOWN_CONDITION_FOR_ACTION",
            id="condition-the-action-ignores",
        ),
    ],
)
def test_parliament_flags_a_deliberately_bad_policy(bad_policy: dict[str, Any], issue: str) -> None:
    assert issue in [found for found, _ in lint(bad_policy)]
