"""The fulfillment state machine's real definition, executed by moto's Step Functions interpreter."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from services.fulfillment import ReservationWait, Tables, definition

REGION = "us-east-1"
BUS = "eventshop-test"
TABLES = Tables(customers="customers", shipments="shipments", reservations="reservations")
FAST = ReservationWait(interval_seconds=1, backoff_rate=1.0, max_attempts=4)


@dataclass
class Machine:
    sfn: Any
    dynamodb: Any
    sqs: Any
    arn: str
    capture_url: str

    def start(self, order_id: str, customer_id: str = "c-1") -> str:
        envelope = {
            "detail-type": "PaymentSucceeded",
            "source": "eventshop.billing",
            "detail": {
                "orderId": order_id,
                "customerId": customer_id,
                "email": "ada@example.com",
                "metadata": {"eventId": str(uuid.uuid4()), "correlationId": f"corr-{order_id}"},
            },
        }
        return str(
            self.sfn.start_execution(stateMachineArn=self.arn, name=str(uuid.uuid4()), input=json.dumps(envelope))[
                "executionArn"
            ]
        )

    def wait(self, execution: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = str(self.sfn.describe_execution(executionArn=execution)["status"])
            if status != "RUNNING":
                return status
            time.sleep(0.1)
        raise AssertionError(f"{execution} still running after {timeout} s")

    def reserve(self, order_id: str, status: str = "RESERVED") -> None:
        self.dynamodb.put_item(TableName="reservations", Item={"orderId": {"S": order_id}, "status": {"S": status}})

    def emitted(self) -> list[dict[str, Any]]:
        messages = self.sqs.receive_message(QueueUrl=self.capture_url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]

    def customer(self, customer_id: str) -> dict[str, Any]:
        return dict(self.dynamodb.get_item(TableName="customers", Key={"customerId": {"S": customer_id}})["Item"])


@pytest.fixture
def machine() -> Iterator[Machine]:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        for table, key in (("customers", "customerId"), ("shipments", "orderId"), ("reservations", "orderId")):
            dynamodb.create_table(
                TableName=table,
                KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        events = boto3.client("events", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        events.create_event_bus(Name=BUS)
        url = sqs.create_queue(QueueName="capture")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="all", EventBusName=BUS, EventPattern=json.dumps({"source": ["eventshop.fulfillment"]}))
        events.put_targets(Rule="all", EventBusName=BUS, Targets=[{"Id": "capture", "Arn": queue_arn}])
        sfn = boto3.client("stepfunctions", region_name=REGION)
        arn = sfn.create_state_machine(
            name="fulfillment",
            definition=json.dumps(definition(BUS, TABLES, vip_threshold=3, wait=FAST)),
            roleArn="arn:aws:iam::123456789012:role/fulfillment",
        )["stateMachineArn"]
        yield Machine(sfn, dynamodb, sqs, arn, url)


def test_a_first_order_ships_standard_and_emits_order_shipped(machine: Machine) -> None:
    machine.reserve("o-1")
    assert machine.wait(machine.start("o-1")) == "SUCCEEDED"
    [event] = machine.emitted()
    assert event["detail-type"] == "OrderShipped"
    assert event["source"] == "eventshop.fulfillment"
    detail = event["detail"]
    assert (detail["orderId"], detail["customerId"], detail["email"]) == ("o-1", "c-1", "ada@example.com")
    assert (detail["customerStatus"], detail["shippingSpeed"]) == ("new", "standard")
    assert detail["trackingId"].startswith("TRK-")
    assert detail["metadata"]["correlationId"] == "corr-o-1"
    assert detail["metadata"]["schemaVersion"] == "1"
    assert machine.customer("c-1")["ordersCount"] == {"N": "1"}
    shipment = machine.dynamodb.get_item(TableName="shipments", Key={"orderId": {"S": "o-1"}})["Item"]
    assert shipment["status"] == {"S": "SHIPPED"}


def test_returning_and_vip_customers_ship_faster(machine: Machine) -> None:
    machine.dynamodb.put_item(TableName="customers", Item={"customerId": {"S": "c-2"}, "ordersCount": {"N": "1"}})
    machine.dynamodb.put_item(TableName="customers", Item={"customerId": {"S": "c-3"}, "ordersCount": {"N": "7"}})
    for order, customer in (("o-2", "c-2"), ("o-3", "c-3")):
        machine.reserve(order)
        assert machine.wait(machine.start(order, customer)) == "SUCCEEDED"
    speeds = {
        e["detail"]["orderId"]: (e["detail"]["customerStatus"], e["detail"]["shippingSpeed"]) for e in machine.emitted()
    }
    assert speeds == {"o-2": ("returning", "express"), "o-3": ("vip", "priority")}
    assert machine.customer("c-3")["status"] == {"S": "vip"}


def test_the_event_id_is_the_same_for_the_same_order(machine: Machine) -> None:
    machine.reserve("o-4")
    assert machine.wait(machine.start("o-4")) == "SUCCEEDED"
    [first] = machine.emitted()
    assert len(first["detail"]["metadata"]["eventId"]) == 40


def test_a_duplicate_payment_event_ships_once_and_counts_the_order_once(machine: Machine) -> None:
    machine.reserve("o-5")
    assert machine.wait(machine.start("o-5")) == "SUCCEEDED"
    assert machine.wait(machine.start("o-5")) == "SUCCEEDED"
    assert [e["detail-type"] for e in machine.emitted()] == ["OrderShipped"]
    assert machine.customer("c-1")["ordersCount"] == {"N": "1"}


def test_a_reservation_that_arrives_late_is_waited_for(machine: Machine) -> None:
    execution = machine.start("o-6")
    time.sleep(1.5)
    assert machine.sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    threading.Thread(target=machine.reserve, args=("o-6",)).start()
    assert machine.wait(execution) == "SUCCEEDED"
    assert [e["detail-type"] for e in machine.emitted()] == ["OrderShipped"]


def test_a_reservation_that_never_arrives_emits_fulfillment_failed(machine: Machine) -> None:
    assert machine.wait(machine.start("o-7")) == "SUCCEEDED"
    [event] = machine.emitted()
    assert event["detail-type"] == "FulfillmentFailed"
    assert event["detail"]["orderId"] == "o-7"
    assert event["detail"]["reason"] == "ReservationPending"
    assert event["detail"]["metadata"]["correlationId"] == "corr-o-7"


def test_out_of_stock_fails_at_once_with_its_reason(machine: Machine) -> None:
    machine.reserve("o-8", status="OUT_OF_STOCK")
    assert machine.wait(machine.start("o-8")) == "SUCCEEDED"
    [event] = machine.emitted()
    assert (event["detail-type"], event["detail"]["reason"]) == ("FulfillmentFailed", "OutOfStock")
