"""When handlers fail or messages arrive twice: retries on the clock, dead-letter queues, one effect."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from localcloud.cloud import LocalCloud
from localcloud.shop import Shopper, history_events
from tests.e2e.conftest import events_about, messages_about, settled_order

#: Isolated by their own order, customer and cart ids (tests/e2e/conftest.py).
pytestmark = pytest.mark.shared_cloud


def fail_for(order_id: str, original: Callable[..., Any]) -> Callable[..., Any]:
    def handle(*, event: Any) -> Any:
        if event.order_id == order_id:
            raise RuntimeError(f"injected failure for {order_id}")
        return original(event=event)

    return handle


def test_a_message_that_keeps_failing_is_retried_then_dead_lettered_and_its_batch_still_processed(
    cloud: LocalCloud, shopper: Shopper, monkeypatch: pytest.MonkeyPatch
) -> None:
    billing = cloud.function("billing").module
    with cloud.pollers_paused():
        order_ids = [shopper.place_order([("MUG-LOGO", 1)], customer_id=f"batch-{i}") for i in range(3)]
        # The orders outbox (a stream, not an SQS poller) publishes them while the queue pollers are held.
        cloud.wait_until(lambda: not any(p.pending() for p in cloud.stream_pollers), what="orders published")
        doomed = order_ids[1]
        monkeypatch.setattr(billing, "HANDLERS", {"OrderPlaced": fail_for(doomed, billing.HANDLERS["OrderPlaced"])})
        # One batch by hand, so the failing message provably shares it with the others.
        assert cloud.poller("billing").poll_once(wait=0, through_gate=False) == 3

    cloud.settle()

    batches = [
        e
        for e in cloud.trace.entries(kind="invoke")
        if e.where.endswith("-billing") and doomed in e.data.get("orders", [])
    ]
    assert len(batches) == 3, "received maxReceiveCount (3) times"
    assert set(order_ids) <= set(batches[0].data["orders"])
    for order_id in order_ids:
        if order_id != doomed:
            assert "PaymentSucceeded" in history_events(settled_order(cloud, shopper, order_id))
            assert len(events_about(cloud, order_id, "PaymentSucceeded")) == 1
    dead = [m for m in cloud.dead_letters()["eventshop-dev-billing-dlq"] if doomed in m["body"]]
    assert len(dead) == 1
    assert json.loads(dead[0]["body"])["detail"]["orderId"] == doomed
    assert events_about(cloud, doomed, "PaymentSucceeded") == []
    assert [e.message for e in cloud.trace.entries(order_id=doomed, kind="dead-letter")] == [
        "OrderPlaced -> DLQ after 3 receives"
    ]


def test_failed_async_invocations_are_retried_then_sent_to_the_on_failure_destination(
    cloud: LocalCloud, shopper: Shopper, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = cloud.function("email").module
    render = email.render
    failing_customer = shopper.customer("email-fails").customer_id

    # Keyed on the customer, not the order id: Email is invoked asynchronously (the paused pollers do not
    # hold it), so its OrderPlaced invocation may run before place_order has returned the id.
    def failing_render(event: Any) -> Any:
        if event.detail.get("customerId") == failing_customer:
            raise RuntimeError("template service down")
        return render(event)

    monkeypatch.setattr(email, "render", failing_render)
    with cloud.pollers_paused():
        order_id = shopper.place_order([("MUG-LOGO", 1)], customer_id="email-fails")

    cloud.settle()

    settled_order(cloud, shopper, order_id)
    # Only the invoice-ready mail, which is rendered from the invoice, not through the failing templates.
    assert [m["attributes"]["detailType"] for m in messages_about(cloud.outbox(), order_id)] == ["InvoiceReady"]
    records = [json.loads(m["body"]) for m in cloud.dead_letters()["eventshop-dev-email-dlq"] if order_id in m["body"]]
    assert sorted(r["requestPayload"]["detail-type"] for r in records) == [
        "OrderPlaced",
        "OrderShipped",
        "PaymentSucceeded",
    ]
    for record in records:
        assert record["requestContext"]["condition"] == "RetriesExhausted"
        assert record["requestContext"]["approximateInvokeCount"] == 3
        assert record["responsePayload"]["errorMessage"] == "template service down"
    retries = [e for e in cloud.trace.entries(order_id=order_id, kind="retry") if e.where.endswith("-email")]
    assert len(retries) == 6  # two retries for each of the three events


def test_a_duplicate_delivery_has_one_effect(cloud: LocalCloud, shopper: Shopper) -> None:
    order_id = shopper.place_order([("STICKER-PACK", 2)], customer_id="twice")
    before = settled_order(cloud, shopper, order_id)
    outbox_before = messages_about(cloud.outbox(), order_id)
    (placed,) = events_about(cloud, order_id, "OrderPlaced")
    sqs = cloud.clients("sqs")

    for consumer in ("billing", "warehouse", "order-status"):
        sqs.send_message(
            QueueUrl=cloud.deployment.queue_by_name(f"eventshop-dev-{consumer}-queue").url,
            MessageBody=json.dumps(placed),
        )
    cloud.invoke_async(cloud.function("email").spec.name, placed, "duplicate")
    cloud.wait_idle()

    after = shopper.order(order_id)
    assert after == before
    for detail_type in ("PaymentSucceeded", "StockReserved"):
        assert len(events_about(cloud, order_id, detail_type)) == 1
    assert messages_about(cloud.outbox(), order_id) == outbox_before
    payments = cloud.clients("dynamodb").scan(TableName="eventshop-dev-payments")["Items"]
    assert [p["orderId"]["S"] for p in payments].count(order_id) == 1
