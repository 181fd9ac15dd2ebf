"""Fulfillment against a late warehouse, on the local clock: an hour late still ships; past the reservation
deadline the order is refunded, its stock released, the customer told, the order cancelled, the execution
FAILED (so ExecutionsFailed pages); a throttled OrderShipped put is retried with backoff."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from moto.core.exceptions import JsonRESTError
from moto.events.models import EventsBackend

from localcloud.cloud import LocalCloud
from localcloud.shop import Shopper
from tests.e2e.conftest import events_about, messages_about


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    # Its own cloud: these tests move the clock by days.
    with LocalCloud.boot("dev") as booted:
        yield booted


def executions(cloud: LocalCloud, order_id: str) -> list[dict[str, Any]]:
    client = cloud.clients("stepfunctions")
    [machine] = client.list_state_machines()["stateMachines"]
    found = []
    for summary in client.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]:
        described = client.describe_execution(executionArn=summary["executionArn"])
        if json.loads(described["input"])["detail"]["orderId"] == order_id:
            found.append(described)
    return found


def reservation_deadline(cloud: LocalCloud) -> int:
    client = cloud.clients("stepfunctions")
    [machine] = client.list_state_machines()["stateMachines"]
    definition = json.loads(client.describe_state_machine(stateMachineArn=machine["stateMachineArn"])["definition"])
    return int(definition["States"]["WaitForReservation"]["TimeoutSeconds"])


def available(cloud: LocalCloud, sku: str) -> int:
    item = cloud.clients("dynamodb").get_item(TableName="eventshop-dev-inventory", Key={"sku": {"S": sku}})["Item"]
    return int(item["available"]["N"])


def status_of(shopper: Shopper, order_id: str) -> str:
    order = shopper.order(order_id)
    assert order is not None
    return str(order["status"])


def test_a_warehouse_an_hour_late_still_ships_the_order(cloud: LocalCloud) -> None:
    shopper = Shopper(cloud.api, email="late@example.com")
    with cloud.pollers_paused("warehouse"):
        order_id = shopper.place_order()
        cloud.wait_idle()
        assert status_of(shopper, order_id) == "PAID"
        [waiting] = executions(cloud, order_id)
        assert waiting["status"] == "RUNNING"  # parked on its task token: the cloud is idle all the same
        cloud.advance(3600)
        assert status_of(shopper, order_id) == "PAID"
    cloud.wait_idle()
    assert status_of(shopper, order_id) == "SHIPPED"
    [done] = executions(cloud, order_id)
    assert done["status"] == "SUCCEEDED"
    assert len(events_about(cloud, order_id, "OrderShipped")) == 1
    assert cloud.missing_grants() == []


def test_no_reservation_by_the_deadline_refunds_releases_tells_cancels_and_fails(cloud: LocalCloud) -> None:
    shopper = Shopper(cloud.api, email="never@example.com")
    stock_before = available(cloud, "MUG-LOGO")
    with cloud.pollers_paused("warehouse"):
        order_id = shopper.place_order([("MUG-LOGO", 1)])
        cloud.wait_idle()
        deadline = reservation_deadline(cloud)
        cloud.advance(deadline - 60)
        assert status_of(shopper, order_id) == "PAID"
        cloud.advance(61)
        assert status_of(shopper, order_id) == "CANCELLED"
        [failed] = executions(cloud, order_id)
        assert (failed["status"], failed["error"]) == ("FAILED", "FulfillmentFailed")
        [event] = events_about(cloud, order_id, "FulfillmentFailed")
        assert event["detail"]["reason"] == "States.Timeout"
        [refund] = events_about(cloud, order_id, "PaymentRefunded")
        assert refund["detail"]["reason"] == "fulfillment_failed"
        mails = sorted(m["attributes"]["detailType"] for m in messages_about(cloud.outbox(), order_id))
        assert "FulfillmentFailed" in mails
    # The warehouse comes back and finds OrderPlaced and FulfillmentFailed, in either order: no stock is held.
    cloud.wait_idle()
    assert available(cloud, "MUG-LOGO") == stock_before
    assert status_of(shopper, order_id) == "CANCELLED"
    assert events_about(cloud, order_id, "OrderShipped") == []
    assert cloud.missing_grants() == []
    # On-call is paged by the workflow's ExecutionsFailed alarm (the local cloud does not evaluate alarms).
    [machine] = cloud.clients("stepfunctions").list_state_machines()["stateMachines"]
    alarms = cloud.clients("cloudwatch").describe_alarms(AlarmNamePrefix="eventshop-dev-fulfillment-failed")
    [alarm] = alarms["MetricAlarms"]
    assert (alarm["MetricName"], alarm["Dimensions"]) == (
        "ExecutionsFailed",
        [{"Name": "StateMachineArn", "Value": machine["stateMachineArn"]}],
    )
    assert [action.rsplit(":", 1)[-1] for action in alarm["AlarmActions"]] == ["eventshop-dev-alarms"]


def test_a_throttled_order_shipped_put_is_retried_with_backoff_on_the_clock(cloud: LocalCloud) -> None:
    shopper = Shopper(cloud.api, email="throttled@example.com")
    original = EventsBackend.put_events
    throttled: list[str] = []

    def put_events(self: Any, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if any(entry.get("DetailType") == "OrderShipped" for entry in entries) and len(throttled) < 2:
            throttled.append(str(entries[0].get("Detail")))
            raise JsonRESTError("ThrottlingException", "Rate exceeded")
        return list(original(self, entries))

    with mock.patch.object(EventsBackend, "put_events", put_events):
        order_id = shopper.place_order()
        cloud.wait_idle()
        # The back-off (at most 1 s, then 2 s, full jitter) runs on the clock; wall time may have run it too.
        cloud.advance(1)
        cloud.advance(2)
    assert len(throttled) == 2
    assert status_of(shopper, order_id) == "SHIPPED"
    [done] = executions(cloud, order_id)
    assert done["status"] == "SUCCEEDED"
    assert len(events_about(cloud, order_id, "OrderShipped")) == 1
    history = cloud.clients("stepfunctions").get_execution_history(executionArn=done["executionArn"])["events"]
    failures = [e["taskFailedEventDetails"]["error"] for e in history if e["type"] == "TaskFailed"]
    assert failures == ["EventBridge.ThrottlingException", "EventBridge.ThrottlingException"]
