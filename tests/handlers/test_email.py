"""Email on moto: one SNS message per event id, with filterable attributes; malformed events raise."""

from __future__ import annotations

import json
from decimal import Decimal
from types import ModuleType
from typing import Any

import boto3
import pytest

from handlers.shared import wire
from handlers.shared.events import MalformedEventError, UnsupportedEventError
from tests.handlers.builders import envelope, lifecycle_event, order_placed, sqs_event
from tests.handlers.conftest import FakeLambdaContext, Shop


def as_invoked(envelope: dict[str, Any]) -> dict[str, Any]:
    """The event as the Lambda runtime hands it over after an EventBridge invoke (numbers are floats)."""
    invoked: dict[str, Any] = json.loads(wire.dumps(envelope))
    return invoked


def test_order_placed_is_rendered_and_published_with_attributes(
    email: ModuleType, shop: Shop, context: FakeLambdaContext
) -> None:
    result = email.handler(as_invoked(order_placed("order-1", lines=(("SKU-1", 2, "12.25"),))), context)

    [message] = shop.outbox()
    assert result == {"orderId": "order-1", "detailType": "OrderPlaced", "messageId": result["messageId"]}
    assert result["messageId"]
    attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
    assert attributes == {"detailType": "OrderPlaced", "email": "ada@example.com"}
    assert "order-1" in message["Body"]
    assert "Total: 24.50 EUR" in message["Body"]
    assert "Product SKU-1 x 2" in message["Body"]


@pytest.mark.parametrize(
    ("detail_type", "fields", "expected"),
    [
        ("PaymentSucceeded", {"paymentId": "pay_1", "amount": Decimal("9.5"), "currency": "EUR"}, "charged 9.50 EUR"),
        ("PaymentFailed", {"reason": "card_declined", "amount": Decimal(9), "currency": "EUR"}, "card declined"),
        ("OutOfStock", {"items": [], "unavailable": ["SKU-2"]}, "out of stock (SKU-2)"),
        (
            "PaymentRefunded",
            {"paymentId": "pay_1", "amount": Decimal("9.5"), "currency": "EUR", "reason": "out_of_stock"},
            "refunded 9.50 EUR",
        ),
        ("OrderShipped", {"shippingSpeed": "express", "trackingId": "TRK-1"}, "Tracking number: TRK-1"),
        ("FulfillmentFailed", {"reason": "States.Timeout"}, "could not prepare order order-2 in time"),
    ],
)
def test_each_customer_event_has_its_message(
    email: ModuleType, shop: Shop, context: FakeLambdaContext, detail_type: str, fields: dict[str, Any], expected: str
) -> None:
    email.handler(as_invoked(lifecycle_event(detail_type, "order-2", **fields)), context)

    [message] = shop.outbox()
    assert expected in message["Body"]
    assert message["MessageAttributes"]["detailType"]["StringValue"] == detail_type


def test_redelivered_event_is_published_once(email: ModuleType, shop: Shop, context: FakeLambdaContext) -> None:
    event = as_invoked(order_placed("order-3"))

    first = email.handler(event, context)
    second = email.handler(event, context)

    assert second == first
    assert len(shop.outbox()) == 1


def test_malformed_event_raises_naming_what_is_missing(
    email: ModuleType, shop: Shop, context: FakeLambdaContext
) -> None:
    event = as_invoked(order_placed("order-4"))
    del event["detail"]["email"], event["detail"]["metadata"]["eventId"]

    with pytest.raises(MalformedEventError, match=r"missing detail\.metadata\.eventId; missing detail\.email"):
        email.handler(event, context)
    assert shop.outbox() == []


def test_missing_template_field_raises(email: ModuleType, shop: Shop, context: FakeLambdaContext) -> None:
    event = as_invoked(lifecycle_event("PaymentSucceeded", "order-5", amount=Decimal(1), currency="EUR"))

    with pytest.raises(MalformedEventError, match=r"missing detail\.paymentId"):
        email.handler(event, context)
    assert shop.outbox() == []


def test_event_without_template_raises(email: ModuleType, shop: Shop, context: FakeLambdaContext) -> None:
    with pytest.raises(UnsupportedEventError, match="no template for StockReleased"):
        email.handler(as_invoked(lifecycle_event("StockReleased", "order-6", items=[])), context)
    assert shop.outbox() == []


def put_invoice(order_id: str, amount: str = "24.50") -> dict[str, Any]:
    """Put an invoice as Billing does and return S3's Object Created event for it (moto's shape: same id)."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="invoices-test")
    document = {"invoiceNumber": f"INV-{order_id}", "orderId": order_id, "customerId": "cust-1"}
    document |= {"email": "ada@example.com", "amount": amount, "currency": "EUR"}
    key = f"invoices/{order_id}.json"
    etag = s3.put_object(Bucket="invoices-test", Key=key, Body=json.dumps(document).encode())["ETag"].strip('"')
    return {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2024-05-01T12:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:s3:::invoices-test"],
        "detail": {
            "version": "0",
            "bucket": {"name": "invoices-test"},
            "object": {"key": key, "size": 10, "eTag": etag, "version-id": None, "sequencer": "617f08299329d189"},
            "reason": "PutObject",
        },
    }


def test_invoice_ready_is_sent_once_per_invoice_whatever_the_s3_event_id(
    email: ModuleType, shop: Shop, context: FakeLambdaContext
) -> None:
    created = put_invoice("order-7")
    email.handler(as_invoked(order_placed("order-6")), context)  # the order events' store is in use too
    shop.outbox()

    first = email.handler(created, context)
    email.handler(created, context)  # the same event again: directly, and forwarded from the default bus
    [message] = shop.outbox()

    assert first["detailType"] == "InvoiceReady" and first["orderId"] == "order-7"
    assert "invoice INV-order-7 for order order-7 (24.50 EUR) is ready" in message["Body"]
    attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
    assert attributes == {"detailType": "InvoiceReady", "email": "ada@example.com"}

    other = put_invoice("order-8")  # another invoice, reported under the same S3 event id
    assert other["id"] == created["id"]
    email.handler(other, context)
    assert len(shop.outbox()) == 1


def test_an_s3_event_without_an_etag_is_malformed(email: ModuleType, shop: Shop, context: FakeLambdaContext) -> None:
    created = put_invoice("order-9")
    del created["detail"]["object"]["eTag"], created["detail"]["object"]["sequencer"]

    with pytest.raises(MalformedEventError, match=r"needs bucket\.name, object\.key, etag"):
        email.handler(created, context)
    assert shop.outbox() == []


def cart_reminder_due(cart_id: str) -> dict[str, Any]:
    return envelope(
        "CartReminderDue",
        {
            "cartId": cart_id,
            "customerId": "cust-1",
            "email": "ada@example.com",
            "metadata": {"eventId": f"reminder-{cart_id}", "correlationId": f"corr-{cart_id}", "schemaVersion": "1"},
        },
    )


def test_a_due_cart_reminder_from_the_queue_is_sent_once(
    email: ModuleType, shop: Shop, context: FakeLambdaContext
) -> None:
    due = cart_reminder_due("cart-1")
    assert email.queued_handler(sqs_event(due, due), context) == {"batchItemFailures": []}
    [message] = shop.outbox()
    assert "cart-1" in message["Body"]
    assert message["MessageAttributes"]["detailType"]["StringValue"] == "CartReminderDue"


def test_a_reminder_without_an_email_fails_only_its_record_so_the_queue_retries_it(
    email: ModuleType, shop: Shop, context: FakeLambdaContext
) -> None:
    bad = cart_reminder_due("cart-2")
    del bad["detail"]["email"]
    result = email.queued_handler(sqs_event(bad, cart_reminder_due("cart-3")), context)
    assert len(result["batchItemFailures"]) == 1
    assert len(shop.outbox()) == 1
