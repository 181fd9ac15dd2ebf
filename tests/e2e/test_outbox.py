"""The orders outbox on the local cloud: an order saved while PutEvents is throttled is accepted, answered
the same on a retry, and published exactly once when the bus recovers; one that cannot be published within
the stack's record age is dead-lettered (shard and sequence numbers only) and its row stays unpublished."""

from __future__ import annotations

import json
from typing import Any

import pytest

from localcloud import moto_patches, streams
from localcloud.cloud import LocalCloud
from localcloud.shop import Shopper
from tests.e2e.conftest import events_about, settled_order

#: Isolated by their own order, customer and cart ids (tests/e2e/conftest.py).
pytestmark = pytest.mark.shared_cloud
AN_HOUR = 3600.0


class ThrottledBus:
    """PutEvents from the outbox relay answers ThrottlingException for every entry while ``throttling``."""

    def __init__(self, real_put_events: Any) -> None:
        self.real_put_events = real_put_events
        self.throttling = True
        self.throttled_calls = 0

    def put_events(self, **kwargs: Any) -> dict[str, Any]:
        if not self.throttling:
            response: dict[str, Any] = self.real_put_events(**kwargs)
            return response
        self.throttled_calls += 1
        entries = [{"ErrorCode": "ThrottlingException", "ErrorMessage": "Rate exceeded"} for _ in kwargs["Entries"]]
        return {"FailedEntryCount": len(entries), "Entries": entries}


@pytest.fixture
def throttled_bus(cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> ThrottledBus:
    client = cloud.function("orders-outbox").module.publisher._client
    bus = ThrottledBus(client.put_events)
    monkeypatch.setattr(client, "put_events", bus.put_events)
    return bus


def stored_order(cloud: LocalCloud, order_id: str) -> dict[str, Any]:
    table = next(t for t in cloud.clients("dynamodb").list_tables()["TableNames"] if t.endswith("-orders"))
    item: dict[str, Any] = cloud.clients("dynamodb").get_item(TableName=table, Key={"orderId": {"S": order_id}})["Item"]
    return item


def test_an_order_saved_while_the_bus_throttles_is_published_exactly_once_later(
    cloud: LocalCloud, shopper: Shopper, throttled_bus: ThrottledBus
) -> None:
    first = shopper.place_order_response(customer_id="outbox-throttled", idempotency_key="k-throttled")
    assert first.status == 202
    order_id = str(first.json()["orderId"])
    cloud.wait_idle()  # the relay tried, failed, and parked its retry on the clock
    retry = shopper.place_order_response(customer_id="outbox-throttled", idempotency_key="k-throttled")

    assert retry.status == 202 and retry.json() == first.json()
    assert throttled_bus.throttled_calls >= 1, "the relay tried to publish"
    assert events_about(cloud, order_id, "OrderPlaced") == []
    assert stored_order(cloud, order_id)["published"] == {"BOOL": False}
    assert [e.message for e in cloud.trace.entries(order_id=order_id, kind="retry")][:1] == [
        "stream batch retried in 1 s (clock)"
    ]

    throttled_bus.throttling = False  # the bus recovers
    cloud.settle()

    assert len(events_about(cloud, order_id, "OrderPlaced")) == 1
    assert settled_order(cloud, shopper, order_id)["status"] == "SHIPPED"
    assert stored_order(cloud, order_id)["published"] == {"BOOL": True}


def test_an_order_that_cannot_be_published_in_time_is_dead_lettered_without_its_data(
    cloud: LocalCloud, shopper: Shopper, throttled_bus: ThrottledBus
) -> None:
    dlq = "eventshop-dev-orders-outbox-dlq"
    # The failure record names no order, so this test's record is the one the queue did not hold before.
    dead_before = {m["messageId"] for m in cloud.queue_messages(dlq)}
    order_id = shopper.place_order(customer_id="outbox-never", idempotency_key="k-never")
    cloud.wait_idle()

    cloud.advance(2 * 3600)  # past dev's outbox.maximumRecordAgeSeconds (3600)

    dead = [json.loads(m["body"]) for m in cloud.queue_messages(dlq) if m["messageId"] not in dead_before]
    assert len(dead) == 1
    assert dead[0]["requestContext"]["condition"] == "RecordAgeExceeded"
    assert set(dead[0]["DDBStreamBatchInfo"]) >= {"shardId", "startSequenceNumber", "streamArn"}
    assert order_id not in json.dumps(dead), "the failure record carries no order data"
    assert events_about(cloud, order_id, "OrderPlaced") == []
    assert stored_order(cloud, order_id)["published"] == {"BOOL": False}


def test_a_cloud_whose_clock_ran_ahead_still_retries_a_fresh_record(
    cloud: LocalCloud, shopper: Shopper, throttled_bus: ThrottledBus
) -> None:
    """A record's age is counted on the local clock from when it was written, not from moto's real-time stamp:
    a cloud that has already lived past the record age (a consumer an hour late) retries a new record."""
    dlq = "eventshop-dev-orders-outbox-dlq"
    cloud.advance(2 * 3600)  # the cloud has lived past dev's outbox.maximumRecordAgeSeconds (3600)
    dead_before = {m["messageId"] for m in cloud.queue_messages(dlq)}
    order_id = shopper.place_order(customer_id="outbox-late-clock", idempotency_key="k-late-clock")
    cloud.wait_idle()

    assert [m for m in cloud.queue_messages(dlq) if m["messageId"] not in dead_before] == []
    assert [e.message for e in cloud.trace.entries(order_id=order_id, kind="retry")][:1] == [
        "stream batch retried in 1 s (clock)"
    ]

    throttled_bus.throttling = False
    cloud.settle()
    assert len(events_about(cloud, order_id, "OrderPlaced")) == 1
    assert stored_order(cloud, order_id)["published"] == {"BOOL": True}


def test_the_outbox_relay_reads_a_new_record_and_a_released_retry_at_once_not_at_its_next_idle_look(
    cloud: LocalCloud, shopper: Shopper, throttled_bus: ThrottledBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stream poller with nothing to read looks again only after an hour here: the order is still tried and then
    # published, because the outbox record moto appends to the orders stream, and later the clock's release of the
    # parked retry, wake the relay's poller (moto_patches.stream_appends).
    monkeypatch.setattr(streams, "IDLE_SLEEP_SECONDS", AN_HOUR)
    moto_patches.stream_appends.wake_all()  # pollers in their usual short wait begin the hour-long one
    order_id = shopper.place_order([("MUG-LOGO", 1)])
    assert cloud.idle_within(60.0), cloud.busy_reasons()
    assert throttled_bus.throttled_calls >= 1, "the relay read the new record and tried to publish"

    throttled_bus.throttling = False
    cloud.settle()

    assert len(events_about(cloud, order_id, "OrderPlaced")) == 1
    assert stored_order(cloud, order_id)["published"] == {"BOOL": True}
