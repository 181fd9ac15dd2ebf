"""Least privilege: every function's role allows exactly the actions on exactly the ARNs it needs."""

from __future__ import annotations

import json

import pytest

from devtools.program import ProgramRun
from tests.unit.graph import FUNCTION, ROLE_POLICY, Graph

REGION, ACCOUNT = "eu-west-1", "123456789012"
IDEMPOTENCY = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
SENT = ("dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem")
CONSUME = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes")
XRAY = {("xray:PutTraceSegments", "*"), ("xray:PutTelemetryRecords", "*")}
WORKFLOW_XRAY = XRAY | {("xray:GetSamplingRules", "*"), ("xray:GetSamplingTargets", "*")}
LOG_DELIVERY = {
    (f"logs:{action}", "*")
    for action in (
        "CreateLogDelivery",
        "GetLogDelivery",
        "UpdateLogDelivery",
        "DeleteLogDelivery",
        "ListLogDeliveries",
        "PutResourcePolicy",
        "DescribeResourcePolicies",
        "DescribeLogGroups",
    )
}
STAR_ONLY = {action for action, _ in WORKFLOW_XRAY | LOG_DELIVERY}


def arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


def expected_grants(stack: str, run: ProgramRun) -> dict[str, set[tuple[str, str]]]:
    """What each function needs, written out by hand from what its handler calls."""
    p = f"eventshop-{stack}"

    def table(name: str, *actions: str) -> set[tuple[str, str]]:
        return {(action, arn("dynamodb", f"table/{p}-{name}")) for action in actions}

    def queue(name: str, *actions: str) -> set[tuple[str, str]]:
        return {(action, arn("sqs", f"{p}-{name}")) for action in actions}

    def logs(function: str) -> set[tuple[str, str]]:
        group = arn("logs", f"log-group:/aws/lambda/{p}-{function}:*")
        return {("logs:CreateLogStream", group), ("logs:PutLogEvents", group)}

    bus = {("events:PutEvents", arn("events", f"event-bus/{p}"))}
    customer_key = Graph(run).run.named("customer-notifications-key").arn
    assert customer_key
    return {
        "orders-api": logs("orders-api")
        | XRAY
        | table("catalog", "dynamodb:Scan", "dynamodb:BatchGetItem")
        | table("inventory", "dynamodb:BatchGetItem")
        | table("orders", "dynamodb:PutItem", "dynamodb:GetItem")
        | {("dynamodb:Query", arn("dynamodb", f"table/{p}-orders/index/byCustomer"))}
        | table("orders-api-idempotency", *IDEMPOTENCY)
        | table("payment-intents", "dynamodb:PutItem"),
        "orders-outbox": logs("orders-outbox")
        | XRAY
        | bus
        | {
            (f"dynamodb:{action}", arn("dynamodb", f"table/{p}-orders/stream/*"))
            for action in ("DescribeStream", "GetRecords", "GetShardIterator")
        }
        | queue("orders-outbox-dlq", "sqs:SendMessage")
        | table("orders", "dynamodb:UpdateItem"),
        "order-status": logs("order-status")
        | XRAY
        | queue("order-status-queue", *CONSUME)
        | table("orders", "dynamodb:UpdateItem", "dynamodb:GetItem"),
        "billing": logs("billing")
        | XRAY
        | bus
        | queue("billing-queue", *CONSUME)
        | table("payments", "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem")
        | table("payment-intents", "dynamodb:GetItem", "dynamodb:DeleteItem")
        | table("billing-idempotency", *IDEMPOTENCY)
        | {("s3:PutObject", f"arn:aws:s3:::{p}-invoices/invoices/*")},
        "warehouse": logs("warehouse")
        | XRAY
        | bus
        | queue("warehouse-queue", *CONSUME)
        | table("inventory", "dynamodb:UpdateItem")
        | table("reservations", "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem")
        | table("warehouse-idempotency", *IDEMPOTENCY),
        "email": logs("email")
        | XRAY
        | queue("email-dlq", "sqs:SendMessage")
        | {("sns:Publish", arn("sns", f"{p}-customer-notifications"))}
        | {("kms:GenerateDataKey", customer_key), ("kms:Decrypt", customer_key)}
        | table("email-sent", *SENT)
        | {("s3:GetObject", f"arn:aws:s3:::{p}-invoices/invoices/*")}
        | {("kms:Decrypt", run.named("invoices-key-key").arn or "")},
        "email-reminders": logs("email-reminders")
        | XRAY
        | queue("email-reminders-queue", *CONSUME)
        | {("sns:Publish", arn("sns", f"{p}-customer-notifications"))}
        | {("kms:GenerateDataKey", customer_key), ("kms:Decrypt", customer_key)}
        | table("email-sent", *SENT)
        | table("carts", "dynamodb:GetItem"),
        "reminders": logs("reminders")
        | XRAY
        | queue("reminders-queue", *CONSUME)
        | table("carts", "dynamodb:UpdateItem", "dynamodb:GetItem")
        | {
            (f"scheduler:{action}", arn("scheduler", f"schedule/{p}-reminders/*"))
            for action in ("CreateSchedule", "UpdateSchedule", "GetSchedule", "DeleteSchedule")
        }
        | {("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/{p}-reminders-scheduler-role")},
        "live-authorizer": logs("live-authorizer") | XRAY,
        "live-connections": logs("live-connections")
        | XRAY
        | table("connections", "dynamodb:PutItem", "dynamodb:DeleteItem"),
        # Posts to this WebSocket API's connections only (tests/unit/test_live.py checks the ARN in detail).
        "live-notifier": logs("live-notifier")
        | XRAY
        | {
            (f"dynamodb:{action}", arn("dynamodb", f"table/{p}-orders/stream/*"))
            for action in ("DescribeStream", "GetRecords", "GetShardIterator")
        }
        | queue("live-notifier-dlq", "sqs:SendMessage")
        | {("dynamodb:Query", arn("dynamodb", f"table/{p}-connections/index/byCustomer"))}
        | table("connections", "dynamodb:DeleteItem")
        | table("live-notifier-idempotency", *IDEMPOTENCY)
        | {
            (
                "execute-api:ManageConnections",
                arn("execute-api", f"{run.named('live-api').id}/live/POST/@connections/*"),
            )
        },
        # Resumes the fulfillment workflow waiting for the reservation, and may resume nothing else.
        "fulfillment-reservations": logs("fulfillment-reservations")
        | XRAY
        | queue("fulfillment-reservations-queue", *CONSUME)
        | table("shipments", "dynamodb:UpdateItem")
        | {
            (action, f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{p}-fulfillment")
            for action in ("states:SendTaskSuccess", "states:SendTaskFailure")
        },
    }


def test_each_function_is_granted_exactly_what_it_needs(run: ProgramRun) -> None:
    graph = Graph(run)
    expected = expected_grants(run.stack, run)
    functions = {f.outputs["name"].removeprefix(f"eventshop-{run.stack}-"): f for f in run.of_type(FUNCTION)}
    assert set(functions) == set(expected)
    for name, function in functions.items():
        granted = graph.grants_of(function)
        assert granted - expected[name] == set(), f"{name} is granted more than it needs"
        assert expected[name] - granted == set(), f"{name} lacks grants it needs"


@pytest.mark.parametrize(
    ("function", "sources"),
    [
        ("orders-outbox", ["eventshop.orders"]),
        ("billing", ["eventshop.billing"]),
        ("warehouse", ["eventshop.warehouse"]),
    ],
)
def test_put_events_is_scoped_to_the_bus_and_the_producers_source(
    run: ProgramRun, function: str, sources: list[str]
) -> None:
    graph = Graph(run)
    fn = graph.by_physical_name(FUNCTION, f"eventshop-{run.stack}-{function}")
    statements = [s for s in graph.role_policy_of(fn)["Statement"] if "events:PutEvents" in s["Action"]]
    assert len(statements) == 1
    assert statements[0]["Action"] == ["events:PutEvents"]
    assert statements[0]["Resource"] == [arn("events", f"event-bus/eventshop-{run.stack}")]
    assert statements[0]["Condition"] == {"StringEquals": {"events:source": sources}}


def test_no_role_policy_allows_a_wildcard_action_or_an_unjustified_wildcard_resource(run: ProgramRun) -> None:
    for policy in run.of_type(ROLE_POLICY):
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            assert all("*" not in action for action in statement["Action"]), policy.name
            if "*" in statement["Resource"]:
                # X-Ray and Step Functions' log deliveries support no resource-level permissions.
                assert set(statement["Action"]) <= STAR_ONLY, policy.name


def test_every_put_events_grant_names_a_source(run: ProgramRun) -> None:
    """Except the invoice forwarder's, scoped by its role's trust instead (components/event_forwarder.py)."""
    for policy in run.of_type(ROLE_POLICY):
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            if "events:PutEvents" in statement["Action"]:
                assert statement["Resource"] == [arn("events", f"event-bus/eventshop-{run.stack}")], policy.name
                if policy.name == "invoices-forward-role-policy":
                    assert "Condition" not in statement
                    continue
                assert statement["Condition"]["StringEquals"]["events:source"], policy.name


def test_the_cart_route_may_put_only_cart_events(run: ProgramRun) -> None:
    policy = json.loads(run.named("orders-api-cart-events-policy").inputs["policy"])
    assert policy["Statement"] == [
        {
            "Sid": "Grant0",
            "Effect": "Allow",
            "Action": ["events:PutEvents"],
            "Resource": [arn("events", f"event-bus/eventshop-{run.stack}")],
            "Condition": {"StringEquals": {"events:source": ["eventshop.carts"]}},
        }
    ]
    role = run.named("orders-api-cart-events-role").json_input("assumeRolePolicy")
    assert role["Statement"][0]["Principal"] == {"Service": "apigateway.amazonaws.com"}


def test_the_reminder_function_may_pass_only_the_scheduler_role_and_only_to_the_scheduler(run: ProgramRun) -> None:
    graph = Graph(run)
    fn = graph.by_physical_name(FUNCTION, f"eventshop-{run.stack}-reminders")
    [statement] = [s for s in graph.role_policy_of(fn)["Statement"] if s["Action"] == ["iam:PassRole"]]
    assert statement["Resource"] == [f"arn:aws:iam::{ACCOUNT}:role/eventshop-{run.stack}-reminders-scheduler-role"]
    assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}


def test_the_scheduler_role_may_only_put_reminders_on_the_bus(run: ProgramRun) -> None:
    role = run.named("reminders-scheduler-role")
    assert role.json_input("assumeRolePolicy")["Statement"][0]["Principal"] == {"Service": "scheduler.amazonaws.com"}
    policy = json.loads(run.named("reminders-scheduler-policy").inputs["policy"])
    assert policy["Statement"] == [
        {
            "Sid": "Grant0",
            "Effect": "Allow",
            "Action": ["events:PutEvents"],
            "Resource": [arn("events", f"event-bus/eventshop-{run.stack}")],
            "Condition": {"StringEquals": {"events:source": ["eventshop.reminders"]}},
        }
    ]
