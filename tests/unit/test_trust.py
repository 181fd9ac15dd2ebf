"""The confused deputy: every role an AWS service assumes, and every invoke permission, names whose behalf."""

from __future__ import annotations

from typing import Any

from devtools.program import ACCOUNT_ID, ProgramRun
from tests.unit.graph import PERMISSION, TARGET

ROLE = "aws:iam/role:Role"
SCHEDULE_GROUP = "aws:scheduler/scheduleGroup:ScheduleGroup"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
REGION = "eu-west-1"


def trust_of(run: ProgramRun, role_arn: str) -> dict[str, Any]:
    (statement,) = run.by_arn(role_arn).json_input("assumeRolePolicy")["Statement"]
    assert isinstance(statement, dict)
    return statement


def test_every_service_role_trusts_its_service_only_for_this_account(run: ProgramRun) -> None:
    roles = run.of_type(ROLE)

    assert roles
    for role in roles:
        for statement in role.json_input("assumeRolePolicy")["Statement"]:
            assert statement["Principal"]["Service"].endswith(".amazonaws.com"), role.name
            assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT_ID}, role.name


def test_each_function_role_is_lambdas_on_behalf_of_this_account(run: ProgramRun) -> None:
    functions = run.of_type("aws:lambda/function:Function")

    assert functions
    for function in functions:
        assert trust_of(run, function.inputs["role"]) == {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}},
        }, function.name


def test_each_target_role_is_eventbridges_on_behalf_of_its_own_rule(run: ProgramRun) -> None:
    targets = [target for target in run.of_type(TARGET) if target.inputs.get("roleArn")]

    assert {target.name for target in targets} >= {"invoices-forward-target-forward", "fulfillment-target-billing"}
    for target in targets:
        rule_path = (
            target.inputs["rule"]
            if target.inputs["eventBusName"] == "default"
            else (f"{target.inputs['eventBusName']}/{target.inputs['rule']}")
        )
        statement = trust_of(run, target.inputs["roleArn"])
        assert statement["Principal"] == {"Service": "events.amazonaws.com"}, target.name
        assert statement["Condition"] == {
            "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
            "ArnLike": {"aws:SourceArn": f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{rule_path}"},
        }, target.name


def test_the_state_machine_role_is_step_functions_on_behalf_of_that_state_machine(run: ProgramRun) -> None:
    machines = run.of_type(STATE_MACHINE)

    assert machines
    for machine in machines:
        statement = trust_of(run, machine.inputs["roleArn"])
        assert statement["Principal"] == {"Service": "states.amazonaws.com"}
        assert statement["Condition"]["ArnLike"] == {"aws:SourceArn": machine.arn}


def test_the_schedules_role_is_the_schedulers_on_behalf_of_the_reminders_group(run: ProgramRun) -> None:
    (group,) = run.of_type(SCHEDULE_GROUP)
    role = run.named("reminders-scheduler-role")
    (statement,) = role.json_input("assumeRolePolicy")["Statement"]

    assert statement["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert statement["Condition"]["ArnLike"] == {"aws:SourceArn": group.arn}


def test_the_cart_routes_role_is_api_gateways_on_behalf_of_this_account(run: ProgramRun) -> None:
    (statement,) = run.named("orders-api-cart-events-role").json_input("assumeRolePolicy")["Statement"]

    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}


def test_every_invoke_permission_names_its_source(run: ProgramRun) -> None:
    permissions = run.of_type(PERMISSION)

    assert permissions
    for permission in permissions:
        assert permission.inputs["sourceArn"], permission.name
        if permission.inputs["principal"] == "events.amazonaws.com":
            assert permission.inputs["sourceAccount"] == ACCOUNT_ID, permission.name
