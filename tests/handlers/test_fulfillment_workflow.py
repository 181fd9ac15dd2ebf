"""The fulfillment state machine's real definition, run by moto's interpreter on the local clock, resumed by the
real reservations consumer (handlers/fulfillment/app.py) as its queue delivers."""

from __future__ import annotations

import importlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any
from unittest import mock

import pytest
from moto import mock_aws
from moto.core.exceptions import JsonRESTError
from moto.events.models import EventsBackend

from localcloud import stepfunctions, stepfunctions_patches
from localcloud.clock import Clock
from services.fulfillment_workflow import Backoff, Resources, definition
from tests.handlers import moto_start
from tests.handlers.builders import envelope, sqs_event
from tests.handlers.conftest import FakeLambdaContext, set_up_clients

REGION = "us-east-1"
ACCOUNT = "123456789012"
BUS = "eventshop-test"
DEADLINE = 4 * 24 * 3600
#: No jitter and long intervals: the back-off is exactly 60, 120, 240, 300... s, so wall time never runs it.
EXACT = Backoff(interval_seconds=60, max_delay_seconds=300, jitter="NONE")


@dataclass
class Machine:
    sfn: Any
    dynamodb: Any
    sqs: Any
    arn: str
    capture_url: str
    waits_url: str
    clock: Clock
    consumer: ModuleType
    results: list[dict[str, Any]] = field(default_factory=list)

    def start(self, order_id: str, customer_id: str = "c-1") -> str:
        detail = {
            "orderId": order_id,
            "customerId": customer_id,
            "email": "ada@example.com",
            "metadata": {"eventId": str(uuid.uuid4()), "correlationId": f"corr-{order_id}"},
        }
        execution = str(
            self.sfn.start_execution(
                stateMachineArn=self.arn, name=str(uuid.uuid4()), input=json.dumps(envelope("PaymentSucceeded", detail))
            )["executionArn"]
        )
        self.settle()
        return execution

    def settle(self, timeout: float = 30) -> None:
        """Until every execution has ended or is parked (waiting on the clock or for its token)."""
        deadline = time.monotonic() + timeout
        while stepfunctions.busy_executions(ACCOUNT, REGION):
            if time.monotonic() > deadline:
                raise AssertionError(f"executions still busy after {timeout} s")
            time.sleep(0.01)

    def status(self, execution: str) -> str:
        return str(self.sfn.describe_execution(executionArn=execution)["status"])

    def consume(self, *bodies: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.consumer.handler(sqs_event(*bodies), FakeLambdaContext())
        self.results.append(result)
        self.settle()
        return result

    def waits(self) -> list[dict[str, Any]]:
        messages = self.sqs.receive_message(QueueUrl=self.waits_url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]

    def deliver_waits(self) -> list[dict[str, Any]]:
        bodies = self.waits()
        if bodies:
            self.consume(*bodies)
        return bodies

    def warehouse(self, order_id: str, detail_type: str = "StockReserved") -> dict[str, Any]:
        detail = {
            "orderId": order_id,
            "customerId": "c-1",
            "email": "ada@example.com",
            "items": [{"sku": "MUG", "quantity": 1}],
            "metadata": {"eventId": str(uuid.uuid4()), "correlationId": f"corr-{order_id}"},
        }
        if detail_type == "OutOfStock":
            detail["unavailable"] = ["MUG"]
        return self.consume(envelope(detail_type, detail))

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.settle()

    def emitted(self) -> list[dict[str, Any]]:
        messages = self.sqs.receive_message(QueueUrl=self.capture_url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]

    def shipment(self, order_id: str) -> dict[str, Any]:
        return dict(self.dynamodb.get_item(TableName="shipments", Key={"orderId": {"S": order_id}})["Item"])

    def customer(self, customer_id: str) -> dict[str, Any]:
        return dict(self.dynamodb.get_item(TableName="customers", Key={"customerId": {"S": customer_id}})["Item"])


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch) -> Iterator[Machine]:
    stepfunctions_patches.install()
    clock = Clock()
    clock.start()
    stepfunctions.use_clock(clock)
    monkeypatch.setenv("SHIPMENTS_TABLE", "shipments")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    # moto's requests registrations made on first use, as in the aws fixture (conftest.py)
    with moto_start.installed(), mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        clients = set_up_clients()
        dynamodb = clients.dynamodb
        for table, key in (("customers", "customerId"), ("shipments", "orderId")):
            dynamodb.create_table(
                TableName=table,
                KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        events = clients.events
        sqs = clients.sqs
        events.create_event_bus(Name=BUS)
        url = sqs.create_queue(QueueName="capture")["QueueUrl"]
        waits_url = sqs.create_queue(QueueName="waits")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="all", EventBusName=BUS, EventPattern=json.dumps({"source": ["eventshop.fulfillment"]}))
        events.put_targets(Rule="all", EventBusName=BUS, Targets=[{"Id": "capture", "Arn": queue_arn}])
        sfn = clients.stepfunctions
        resources = Resources(
            bus_name=BUS, customers_table="customers", shipments_table="shipments", waits_queue_url=waits_url
        )
        arn = sfn.create_state_machine(
            name="fulfillment",
            definition=json.dumps(
                definition(resources, vip_threshold=3, reservation_deadline_seconds=DEADLINE, backoff=EXACT)
            ),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/fulfillment",
        )["stateMachineArn"]
        consumer = importlib.import_module("handlers.fulfillment.app")
        consumer.clients.cache_clear()
        yield Machine(sfn, dynamodb, sqs, arn, url, waits_url, clock, consumer)
        consumer.clients.cache_clear()
    stepfunctions.use_clock(None)
    clock.stop()


def no_failures(result: dict[str, Any]) -> bool:
    return result == {"batchItemFailures": []}


def test_a_first_order_waits_for_its_reservation_then_ships_standard(machine: Machine) -> None:
    execution = machine.start("o-1")
    [awaited] = machine.deliver_waits()
    assert (awaited["kind"], awaited["orderId"]) == ("ReservationAwaited", "o-1")
    assert machine.status(execution) == "RUNNING"
    assert machine.warehouse("o-1") == {"batchItemFailures": []}
    assert machine.status(execution) == "SUCCEEDED"
    [event] = machine.emitted()
    assert (event["detail-type"], event["source"]) == ("OrderShipped", "eventshop.fulfillment")
    detail = event["detail"]
    assert (detail["orderId"], detail["customerId"], detail["email"]) == ("o-1", "c-1", "ada@example.com")
    assert (detail["customerStatus"], detail["shippingSpeed"]) == ("new", "standard")
    assert detail["trackingId"].startswith("TRK-")
    assert detail["metadata"]["correlationId"] == "corr-o-1"
    assert len(detail["metadata"]["eventId"]) == 40
    assert machine.customer("c-1")["ordersCount"] == {"N": "1"}
    shipment = machine.shipment("o-1")
    assert (shipment["status"], shipment["reservation"]) == ({"S": "SHIPPED"}, {"S": "RESERVED"})


def test_returning_and_vip_customers_ship_faster(machine: Machine) -> None:
    machine.dynamodb.put_item(TableName="customers", Item={"customerId": {"S": "c-2"}, "ordersCount": {"N": "1"}})
    machine.dynamodb.put_item(TableName="customers", Item={"customerId": {"S": "c-3"}, "ordersCount": {"N": "7"}})
    for order, customer in (("o-2", "c-2"), ("o-3", "c-3")):
        machine.warehouse(order)
        assert machine.status(machine.start(order, customer)) == "RUNNING"
    machine.deliver_waits()
    speeds = {
        e["detail"]["orderId"]: (e["detail"]["customerStatus"], e["detail"]["shippingSpeed"]) for e in machine.emitted()
    }
    assert speeds == {"o-2": ("returning", "express"), "o-3": ("vip", "priority")}
    assert machine.customer("c-3")["status"] == {"S": "vip"}


def test_stock_reserved_before_the_workflow_waits_resumes_it_as_soon_as_it_waits(machine: Machine) -> None:
    # Warehouse was quicker than Billing: StockReserved is recorded on the row before the claim.
    assert no_failures(machine.warehouse("o-4"))
    execution = machine.start("o-4")
    assert machine.status(execution) == "RUNNING"
    machine.deliver_waits()
    assert machine.status(execution) == "SUCCEEDED"
    assert [e["detail-type"] for e in machine.emitted()] == ["OrderShipped"]


def test_duplicate_tokens_and_outcomes_resume_the_execution_once(machine: Machine) -> None:
    execution = machine.start("o-5")
    [awaited] = machine.waits()
    assert no_failures(machine.consume(awaited, awaited))
    assert no_failures(machine.warehouse("o-5"))
    assert no_failures(machine.warehouse("o-5"))
    assert no_failures(machine.consume(awaited))
    assert machine.status(execution) == "SUCCEEDED"
    assert [e["detail-type"] for e in machine.emitted()] == ["OrderShipped"]


def test_a_duplicate_payment_event_ships_once_and_counts_the_order_once(machine: Machine) -> None:
    machine.warehouse("o-6")
    first = machine.start("o-6")
    second = machine.start("o-6")
    machine.deliver_waits()
    assert (machine.status(first), machine.status(second)) == ("SUCCEEDED", "SUCCEEDED")
    assert [e["detail-type"] for e in machine.emitted()] == ["OrderShipped"]
    assert machine.customer("c-1")["ordersCount"] == {"N": "1"}


def test_a_reservation_an_hour_late_still_ships(machine: Machine) -> None:
    execution = machine.start("o-7")
    machine.deliver_waits()
    machine.advance(3600)
    assert machine.status(execution) == "RUNNING"
    machine.warehouse("o-7")
    assert machine.status(execution) == "SUCCEEDED"
    assert [e["detail-type"] for e in machine.emitted()] == ["OrderShipped"]


def test_no_reservation_by_the_deadline_cancels_emits_fulfillment_failed_and_fails(machine: Machine) -> None:
    execution = machine.start("o-8")
    machine.deliver_waits()
    machine.advance(DEADLINE - 60)
    assert machine.status(execution) == "RUNNING"
    machine.advance(61)
    assert machine.status(execution) == "FAILED"
    assert machine.sfn.describe_execution(executionArn=execution)["error"] == "FulfillmentFailed"
    [event] = machine.emitted()
    assert event["detail-type"] == "FulfillmentFailed"
    assert (event["detail"]["orderId"], event["detail"]["reason"]) == ("o-8", "States.Timeout")
    assert event["detail"]["metadata"]["correlationId"] == "corr-o-8"
    assert machine.shipment("o-8")["status"] == {"S": "CANCELLED"}
    # Warehouse reserving after the deadline finds the task closed: nothing fails, nothing ships.
    assert no_failures(machine.warehouse("o-8"))
    assert machine.emitted() == []


def test_out_of_stock_ends_the_workflow_without_shipping_or_paging(machine: Machine) -> None:
    execution = machine.start("o-9")
    machine.deliver_waits()
    machine.warehouse("o-9", "OutOfStock")
    assert machine.status(execution) == "SUCCEEDED"
    assert machine.emitted() == []
    assert machine.shipment("o-9")["status"] == {"S": "NOT_SHIPPED"}


def failing_first(calls: int, error: Callable[[], Exception] | None, entries: list[dict[str, Any]] | None) -> Any:
    """A PutEvents that fails its first ``calls`` calls (an error raised, or failed entries), then puts."""
    original = EventsBackend.put_events
    seen = {"calls": 0}

    def put_events(self: Any, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen["calls"] += 1
        if seen["calls"] <= calls:
            if error is not None:
                raise error()
            return list(entries or [])
        return original(self, events)

    return put_events, seen


@pytest.mark.parametrize(
    ("error", "entries"),
    [
        (lambda: JsonRESTError("ThrottlingException", "Rate exceeded"), None),
        (lambda: JsonRESTError("InternalException", "Internal error"), None),
        (None, [{"ErrorCode": "ThrottlingException", "ErrorMessage": "Rate exceeded"}]),
    ],
    ids=["throttled", "server-error", "throttled-entry"],
)
def test_a_throttled_or_failed_emit_shipped_is_retried_with_backoff(
    machine: Machine, error: Callable[[], Exception] | None, entries: list[dict[str, Any]] | None
) -> None:
    machine.warehouse("o-10")
    put_events, seen = failing_first(2, error, entries)
    with mock.patch.object(EventsBackend, "put_events", put_events):
        execution = machine.start("o-10")
        machine.deliver_waits()
        # SHIPPED in the table, OrderShipped not on the bus: parked in its back-off on the clock.
        assert machine.status(execution) == "RUNNING"
        assert machine.shipment("o-10")["status"] == {"S": "SHIPPED"}
        assert machine.emitted() == []
        machine.advance(59)
        assert seen["calls"] == 1
        machine.advance(1)
        assert seen["calls"] == 2
        machine.advance(120)
        assert machine.status(execution) == "SUCCEEDED"
    assert seen["calls"] == 3
    assert [e["detail-type"] for e in machine.emitted()] == ["OrderShipped"]
    assert machine.shipment("o-10")["status"] == {"S": "SHIPPED"}


def test_a_backoff_is_parked_on_the_clock_not_slept(machine: Machine) -> None:
    machine.warehouse("o-11")
    put_events, seen = failing_first(6, lambda: JsonRESTError("ThrottlingException", "Rate exceeded"), None)
    with mock.patch.object(EventsBackend, "put_events", put_events):
        execution = machine.start("o-11")
        machine.deliver_waits()
        assert machine.clock.pending >= 1
        for _ in range(6):
            machine.advance(EXACT.max_delay_seconds)
        assert machine.status(execution) == "SUCCEEDED"
    assert seen["calls"] == 7
