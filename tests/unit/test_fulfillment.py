"""Fulfillment's wiring: the workflow, what starts it, what it may do, and where its failures go."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import BusRef, Grant, Observability, Subscription, Workflow, WorkflowArgs
from devtools.program import ProgramRun, run_callable
from settings import Settings
from tests.unit.graph import ALARM, FUNCTION, LOG_GROUP, QUEUE, ROLE, ROLE_POLICY, RULE, TARGET, Graph
from tests.unit.test_iam import LOG_DELIVERY, WORKFLOW_XRAY, arn

STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"


def role_grants(run: ProgramRun, role_name: str) -> set[tuple[str, str]]:
    role = next(r for r in run.of_type(ROLE) if r.outputs["name"] == role_name)
    [policy] = [p for p in run.of_type(ROLE_POLICY) if p.inputs["role"] == role.id]
    return {
        (action, resource)
        for statement in json.loads(policy.inputs["policy"])["Statement"]
        for action in statement["Action"]
        for resource in statement["Resource"]
    }


def test_the_state_machine_is_standard_traced_and_logs_at_the_stacks_level(run: ProgramRun) -> None:
    [machine] = run.of_type(STATE_MACHINE)
    p = f"eventshop-{run.stack}"
    assert machine.outputs["name"] == f"{p}-fulfillment"
    assert machine.inputs["type"] == "STANDARD"
    assert machine.inputs["tracingConfiguration"] == {"enabled": True}
    logging = machine.inputs["loggingConfiguration"]
    assert logging["level"] == {"dev": "ALL", "prod": "ERROR"}[run.stack]
    group = next(g for g in run.of_type(LOG_GROUP) if g.outputs["name"] == f"/aws/vendedlogs/states/{p}-fulfillment")
    assert logging["logDestination"] == f"{group.arn}:*"
    assert group.inputs["retentionInDays"] == {"dev": 7, "prod": 90}[run.stack]


def definition_of(run: ProgramRun) -> dict[str, Any]:
    [machine] = run.of_type(STATE_MACHINE)
    asl: dict[str, Any] = json.loads(machine.inputs["definition"])
    return asl


def test_the_definition_names_the_stacks_bus_and_tables(run: ProgramRun) -> None:
    p = f"eventshop-{run.stack}"
    states = definition_of(run)["States"]
    branch = {"States": states}
    emitted = states["EmitShipped"]["Parameters"]["Entries"][0]
    assert (emitted["EventBusName"], emitted["Source"], emitted["DetailType"]) == (
        p,
        "eventshop.fulfillment",
        "OrderShipped",
    )
    assert states["EmitFailed"]["Parameters"]["Entries"][0]["EventBusName"] == p
    assert states["Claim"]["Parameters"]["TableName"] == f"{p}-shipments"
    assert branch["States"]["GetCustomer"]["Parameters"]["TableName"] == f"{p}-customers"
    assert branch["States"]["Classify"]["Choices"][1]["NumericGreaterThanEquals"] == 5


def test_the_reservation_wait_hands_its_token_to_the_reservations_queue_under_the_deadline(
    run: ProgramRun, settings: Settings
) -> None:
    p = f"eventshop-{run.stack}"
    wait = definition_of(run)["States"]["WaitForReservation"]
    assert wait["Resource"] == "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
    queue = next(q for q in run.of_type(QUEUE) if q.outputs["name"] == f"{p}-fulfillment-reservations-queue")
    assert wait["Parameters"]["QueueUrl"] == queue.id
    assert wait["Parameters"]["MessageBody"]["taskToken.$"] == "$$.Task.Token"
    warehouse_queue = next(q for q in run.of_type(QUEUE) if q.outputs["name"] == f"{p}-warehouse-queue")
    retention = int(warehouse_queue.inputs["messageRetentionSeconds"])
    grace = settings.fulfillment.reservation_grace_minutes * 60
    # A message may wait in Warehouse's queue for its whole retention and still be reserved: wait longer.
    assert wait["TimeoutSeconds"] == retention + grace
    assert grace == {"dev": 15 * 60, "prod": 60 * 60}[run.stack]
    assert "HeartbeatSeconds" not in wait
    # Warehouse's backlog alarm fires long before the deadline, so on-call hears of a stuck warehouse first.
    age_alarm = next(a for a in run.of_type(ALARM) if a.outputs["name"] == f"{p}-warehouse-age-alarm")
    assert age_alarm.inputs["threshold"] < wait["TimeoutSeconds"]


def test_every_put_events_task_retries_throttling_and_server_errors_with_backoff(run: ProgramRun) -> None:
    states = definition_of(run)["States"]
    puts = {name: state for name, state in states.items() if state.get("Resource", "").endswith("events:putEvents")}
    assert set(puts) == {"EmitShipped", "EmitFailed"}
    for name, state in puts.items():
        [retrier] = state["Retry"]
        assert {"EventBridge.ThrottlingException", "EventBridge.InternalException", "States.TaskFailed"} <= set(
            retrier["ErrorEquals"]
        ), name
        assert retrier["BackoffRate"] > 1 and retrier["MaxAttempts"] >= 3 and retrier["IntervalSeconds"] >= 1, name


def test_a_failure_before_the_shipment_is_compensated_and_fails_the_execution(run: ProgramRun) -> None:
    states = definition_of(run)["States"]
    before_shipment = ("GetCustomer", "UpdateCustomer", "WaitForReservation")
    for name in before_shipment:
        catches = {tuple(c["ErrorEquals"]): c["Next"] for c in states[name]["Catch"]}
        assert catches == {("OutOfStock",): "NotShipped", ("States.ALL",): "CancelShipment"}, name
    assert states["CancelShipment"]["Next"] == "EmitFailed"
    assert states["EmitFailed"]["Parameters"]["Entries"][0]["DetailType"] == "FulfillmentFailed"
    assert states[states["EmitFailed"]["Next"]]["Type"] == "Fail"
    # Out of stock is compensated by Billing on OutOfStock, and is no incident.
    assert states[states["NotShipped"]["Next"]]["Type"] == "Succeed"
    # Nothing after the shipment is compensated: a shipped order is never refunded.
    assert "Catch" not in states["Ship"] and "Catch" not in states["EmitShipped"]


def test_fulfillment_failed_is_consumed_by_every_compensating_service(run: ProgramRun) -> None:
    p = f"eventshop-{run.stack}"
    consumers = {
        r.outputs["name"].removeprefix(f"{p}-")
        for r in run.of_type(RULE)
        if "FulfillmentFailed" in (r.json_input("eventPattern") or {}).get("detail-type", [])
    }
    assert consumers == {
        "billing-fulfillment",
        "warehouse-fulfillment",
        "email-fulfillment",
        "order-status-fulfillment",
    }


def test_the_state_machine_role_is_granted_exactly_what_its_tasks_call(run: ProgramRun) -> None:
    p = f"eventshop-{run.stack}"

    def table(name: str, *actions: str) -> set[tuple[str, str]]:
        return {(action, arn("dynamodb", f"table/{p}-{name}")) for action in actions}

    assert role_grants(run, f"{p}-fulfillment-role") == (
        table("customers", "dynamodb:GetItem", "dynamodb:UpdateItem")
        | table("shipments", "dynamodb:UpdateItem")
        | {("sqs:SendMessage", arn("sqs", f"{p}-fulfillment-reservations-queue"))}
        | {("events:PutEvents", arn("events", f"event-bus/{p}"))}
        | LOG_DELIVERY
        | WORKFLOW_XRAY
    )
    role = next(r for r in run.of_type(ROLE) if r.outputs["name"] == f"{p}-fulfillment-role")
    assert role.json_input("assumeRolePolicy")["Statement"][0]["Principal"] == {"Service": "states.amazonaws.com"}


def test_payment_succeeded_starts_the_workflow_through_a_role_that_may_start_only_it(run: ProgramRun) -> None:
    graph = Graph(run)
    p = f"eventshop-{run.stack}"
    rule = graph.rule_by_name(f"{p}-fulfillment-billing")
    assert json.loads(rule.inputs["eventPattern"]) == {
        "detail-type": ["PaymentSucceeded"],
        "source": ["eventshop.billing"],
    }
    [target] = graph.targets_of(rule)
    [machine] = run.of_type(STATE_MACHINE)
    assert target.inputs["arn"] == machine.arn
    assert target.inputs["retryPolicy"]["maximumRetryAttempts"] > 0
    start_role = next(r for r in run.of_type(ROLE) if r.arn == target.inputs["roleArn"])
    assert start_role.json_input("assumeRolePolicy")["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}
    assert role_grants(run, start_role.outputs["name"]) == {("states:StartExecution", machine.arn)}
    dlq = graph.queue_by_arn(target.inputs["deadLetterConfig"]["arn"])
    [allow, _deny] = graph.queue_policy_of(dlq)["Statement"]
    assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": [rule.arn]}}
    assert dlq in run.of_type(QUEUE)


def test_dead_letters_delivery_failures_and_failed_executions_alarm_the_ops_topic(run: ProgramRun) -> None:
    p = f"eventshop-{run.stack}"
    names = {a.outputs["name"]: a for a in run.of_type(ALARM)}
    failed = names[f"{p}-fulfillment-failed-executions-alarm"]
    [machine] = run.of_type(STATE_MACHINE)
    assert (failed.inputs["namespace"], failed.inputs["metricName"]) == ("AWS/States", "ExecutionsFailed")
    assert failed.inputs["dimensions"] == {"StateMachineArn": machine.arn}
    assert f"{p}-fulfillment-dlq-alarm" in names
    assert f"{p}-fulfillment-billing-failed-alarm" in names
    assert all(t.inputs.get("deadLetterConfig") for t in run.of_type(TARGET))


def test_the_workflow_component_reports_every_problem_at_once() -> None:
    bus = BusRef(name="shop-bus", arn="arn:aws:events:eu-west-1:123456789012:event-bus/shop-bus")
    obs = Observability(log_retention_days=14, log_level="INFO", alarm_topic_arn="arn:aws:sns:eu-west-1:1:ops")
    args = WorkflowArgs(
        definition="{}",
        bus=bus,
        starts_on=Subscription(key="all", pattern={"account": ["1"]}),
        grants=(Grant(actions=("dynamodb:*",), resources=("*",)),),
        observability=obs,
        log_level="LOUD",
        workflow_type="SLOW",
    )
    with pytest.raises(ValueError, match="Workflow 'flow' has invalid arguments") as error:
        run_callable(lambda: Workflow("flow", args, transforms={"machine": lambda _args, _opts: None}), stack="test")
    message = str(error.value)
    for expected in (
        "the pattern must constrain source or detail-type",
        "log_level must be one of ALL, ERROR, FATAL, got 'LOUD'",
        "workflow_type must be one of STANDARD, EXPRESS, got 'SLOW'",
        "grant action 'dynamodb:*' is a wildcard",
        "transforms: unknown child 'machine'",
        "definition: the definition has no States",
    ):
        assert expected in message


def test_the_schedule_group_dlq_admits_only_its_own_schedules_and_is_alarmed(run: ProgramRun) -> None:
    p = f"eventshop-{run.stack}"
    group = run.named("reminders-schedules")
    assert group.outputs["name"] == f"{p}-reminders"
    graph = Graph(run)
    dlq = next(q for q in run.of_type(QUEUE) if q.outputs["name"] == f"{p}-reminders-schedules-dlq")
    [allow, deny] = graph.queue_policy_of(dlq)["Statement"]
    assert allow["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert allow["Condition"] == {
        "ArnLike": {"aws:SourceArn": arn("scheduler", f"schedule/{p}-reminders/*")},
        "StringEquals": {"aws:SourceAccount": "123456789012"},
    }
    assert deny["Effect"] == "Deny"
    alarm = next(a for a in run.of_type(ALARM) if a.outputs["name"] == f"{p}-reminders-schedules-dlq-alarm")
    assert alarm.inputs["dimensions"] == {"QueueName": dlq.outputs["name"]}


def test_the_reminder_function_learns_the_stacks_delay_and_where_schedules_go(run: ProgramRun) -> None:
    p = f"eventshop-{run.stack}"
    fn = Graph(run).by_physical_name(FUNCTION, f"{p}-reminders")
    env = fn.inputs["environment"]["variables"]
    assert env["DELAY_MINUTES"] == {"dev": "5", "prod": "1440"}[run.stack]
    assert env["SCHEDULE_GROUP"] == f"{p}-reminders"
    assert env["EVENT_BUS_ARN"] == arn("events", f"event-bus/{p}")
    assert env["SCHEDULER_ROLE_ARN"] == f"arn:aws:iam::123456789012:role/{p}-reminders-scheduler-role"
    assert env["SCHEDULER_DLQ_ARN"] == arn("sqs", f"{p}-reminders-schedules-dlq")
    rules = {r.outputs["name"]: json.loads(r.inputs["eventPattern"]) for r in run.of_type(RULE)}
    assert rules[f"{p}-reminders-carts"] == {"detail-type": ["ItemAddedToCart"], "source": ["eventshop.carts"]}
    assert rules[f"{p}-reminders-orders"] == {"detail-type": ["OrderPlaced"], "source": ["eventshop.orders"]}
    assert rules[f"{p}-email-reminders-reminders"] == {
        "detail-type": ["CartReminderDue"],
        "source": ["eventshop.reminders"],
    }
