"""The cost model counts what a run really did: one approved order and one abandoned cart, counted exactly."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from devtools import cost
from devtools.cost_model import RunRecord, Usage, per_run
from devtools.cost_units import global_indexes, index_write_units
from devtools.program import ProgramRun
from localcloud.demo import run_mix
from localcloud.metering import LOCAL_CLOUD, STATES, Meter

#: What the Email function is invoked for, once each, for an approved order (it has no on-success destination).
EMAIL_EVENTS = ("OrderPlaced", "PaymentSucceeded", "OrderShipped", "Object Created")
#: The states of the Standard workflow's happy path, each entered once (the reservation wait is one task-token
#: state, however long it waits).
HAPPY_PATH_TRANSITIONS = 11


@pytest.fixture(scope="module")
def dev_program(runs: dict[str, ProgramRun]) -> ProgramRun:
    """What the dev stack's program declares: the session's run (tests/conftest.py), read by the cost model and
    by the index count, which change nothing in it."""
    return runs["dev"]


@pytest.fixture(scope="module")
def recorded(dev_program: ProgramRun) -> Iterator[tuple[RunRecord, list[Usage]]]:
    meter = Meter()
    with meter.recording(), cost.boot("dev") as cloud:
        meter.reset()
        meter.watch(cloud.functions.values())
        http_before = len(cloud.trace.entries(kind="http"))
        result = run_mix(cloud, 1)  # the mix's first order: approved, plus an abandoned cart and its reminder
        assert result.ok, result
        assert result.outcomes == Counter({"SHIPPED": 1})
        # An idle poller's long poll ends empty (every pollers.LONG_POLL_SECONDS): one such receive, so the model
        # is seen leaving empty receives out of the per-order requests.
        assert cloud.poller("billing").poll_once(wait=0, through_gate=False) == 0
        record = cost.record_of(cloud, meter, 1, len(cloud.trace.entries(kind="http")) - http_before)
        yield record, per_run(record, dev_program)


def quantity(lines: list[Usage], what: str) -> float:
    [line] = [line for line in lines if line.what.startswith(what)]
    return line.quantity


def test_api_requests_and_put_events_entries_are_counted_per_producer(
    recorded: tuple[RunRecord, list[Usage]],
) -> None:
    record, lines = recorded
    puts = Counter(call.principal for call in record.meter.of("events", "PutEvents") for _ in call.params["Entries"])

    assert quantity(lines, "REST requests") == 2  # POST /orders, POST /carts/{cartId}/items
    assert puts == {
        "eventshop-dev-orders-outbox": 1,  # OrderPlaced, from the orders table's stream
        "eventshop-dev-orders-api-cart-events": 1,  # ItemAddedToCart, the API's own integration role
        "eventshop-dev-billing": 1,  # PaymentSucceeded
        "eventshop-dev-warehouse": 1,  # StockReserved
        STATES: 1,  # OrderShipped, by the workflow
        LOCAL_CLOUD: 1,  # CartReminderDue, put by the Scheduler
    }
    assert quantity(lines, "PutEvents entries") == 6
    assert quantity(lines, "schedules fired") == 1


def test_events_delivered_are_one_per_matching_rule_target(recorded: tuple[RunRecord, list[Usage]]) -> None:
    record, lines = recorded
    delivered = Counter((service, event["detail-type"]) for service, event in record.rule_deliveries)

    assert delivered == {
        ("sqs", "OrderPlaced"): 4,  # billing, warehouse, order-status, reminders
        ("lambda", "OrderPlaced"): 1,  # email
        ("sqs", "ItemAddedToCart"): 1,
        ("sqs", "PaymentSucceeded"): 1,
        ("states", "PaymentSucceeded"): 1,
        ("lambda", "PaymentSucceeded"): 1,
        ("sqs", "StockReserved"): 2,  # order-status, fulfillment-reservations (resumes the workflow)
        ("sqs", "OrderShipped"): 1,
        ("lambda", "OrderShipped"): 1,
        ("sqs", "CartReminderDue"): 1,
        ("lambda", "Object Created"): 1,
        ("events", "Object Created"): 1,  # the forwarder, default bus -> shop bus
    }
    assert quantity(lines, "events delivered") == 16


def test_lambda_invocations_are_counted_per_function(recorded: tuple[RunRecord, list[Usage]]) -> None:
    record, lines = recorded
    runs = Counter(run.function.removeprefix("eventshop-dev-") for run in record.meter.lambda_runs)

    # One invocation per event for the API and the directly invoked Email function, one per batch for queues.
    assert runs["orders-api"] == 1
    assert runs["email"] == len(EMAIL_EVENTS)
    assert runs["billing"] == runs["warehouse"] == runs["email-reminders"] == 1
    assert 1 <= runs["order-status"] <= 4  # OrderPlaced, PaymentSucceeded, StockReserved, OrderShipped
    assert 1 <= runs["reminders"] <= 2  # ItemAddedToCart, OrderPlaced
    assert quantity(lines, "invocations") == sum(runs.values())
    assert all(run.memory_mb >= 128 and run.duration_ms > 0 for run in record.meter.lambda_runs)
    assert quantity(lines, "GB-seconds") > 0


def test_step_functions_transitions_are_the_states_the_execution_entered(
    recorded: tuple[RunRecord, list[Usage]],
) -> None:
    record, lines = recorded
    [(kind, _)] = record.executions

    assert kind == "STANDARD"
    assert quantity(lines, "state transitions (Standard)") == HAPPY_PATH_TRANSITIONS
    assert quantity(lines, "state transitions re-entered") == 0  # the task token waits in one state


def test_sns_s3_and_sqs_requests_are_counted(recorded: tuple[RunRecord, list[Usage]]) -> None:
    record, lines = recorded
    sqs = record.meter.billed_calls("sqs")
    empty = [call for call in sqs if call.operation == "ReceiveMessage" and not call.response.get("Messages")]
    others = len(sqs) - len(empty)

    assert quantity(lines, "publishes") == len(EMAIL_EVENTS) + 1  # Email's notifications and the cart reminder
    assert quantity(lines, "SQS and Lambda deliveries") == 5  # dev's outbox queue subscribes to the topic
    assert quantity(lines, "PUT, COPY") == 1  # the invoice
    assert quantity(lines, "GET and other") == 1  # Email reads it for the "invoice ready" message
    # Sends by EventBridge (10 queue deliveries) and SNS (5), plus what the pollers did, without empty receives.
    assert empty, "the local pollers' empty receives are recorded (and left to the fixed cost)"
    assert quantity(lines, "requests (sends") == 10 + 5 + others


def test_dynamodb_units_of_small_items_are_one_per_write(
    recorded: tuple[RunRecord, list[Usage]], dev_program: ProgramRun
) -> None:
    record, lines = recorded
    calls = record.meter.billed_calls("dynamodb")
    writes = sum(1 for call in calls if call.operation in ("PutItem", "UpdateItem", "DeleteItem"))
    transactions = [call for call in calls if call.operation == "TransactWriteItems"]
    transactional = sum(2 * len(call.params["TransactItems"]) for call in transactions)
    indexes_of = global_indexes(dev_program)
    index_writes = sum(index_write_units(call, indexes_of) for call in calls)  # the orders table's byCustomer

    assert index_writes >= 1
    assert quantity(lines, "write request units") == writes + transactional + index_writes
    assert quantity(lines, "read request units") > 0
    assert quantity(lines, "log GB ingested") > 0
