"""Email on moto: one SNS message per event id, with filterable attributes; malformed events raise."""

from __future__ import annotations

import json
from decimal import Decimal
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from handlers.email.sent import MailInFlightError
from handlers.shared import wire
from handlers.shared.events import MalformedEventError, UnsupportedEventError
from tests.handlers.builders import envelope, lifecycle_event, order_placed, sqs_event
from tests.handlers.call_count import counting_calls
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


# --- The durable sent-record: once per (order, kind of mail), however late the event comes back ---------


def expire_idempotency_records(shop: Shop) -> None:
    """A day later: every Powertools record has expired (DynamoDB's TTL may not have deleted it yet)."""
    table = shop.table("idempotency")
    for item in table.scan()["Items"]:
        table.update_item(
            Key={"id": item["id"]}, UpdateExpression="SET expiration = :past", ExpressionAttributeValues={":past": 1}
        )


def forget_idempotency_records(shop: Shop) -> None:
    """Two days later: DynamoDB's TTL deleted the expired records."""
    table = shop.table("idempotency")
    for item in table.scan()["Items"]:
        table.delete_item(Key={"id": item["id"]})


def order_mails(order_id: str) -> list[dict[str, Any]]:
    return [
        as_invoked(order_placed(order_id)),
        as_invoked(
            lifecycle_event("PaymentSucceeded", order_id, paymentId="pay_1", amount=Decimal(24), currency="EUR")
        ),
        as_invoked(lifecycle_event("OrderShipped", order_id, shippingSpeed="standard", trackingId="TRK-1")),
    ]


@pytest.mark.parametrize("after_a_day", [expire_idempotency_records, forget_idempotency_records])
def test_an_archive_replay_after_the_idempotency_window_mails_nothing(
    email: ModuleType, shop: Shop, context: FakeLambdaContext, after_a_day: Any
) -> None:
    events = order_mails("order-20")
    first = [email.handler(event, context) for event in events]
    assert len(shop.outbox()) == 3

    after_a_day(shop)
    replayed = [email.handler(event, context) for event in events]

    assert shop.outbox() == []
    assert replayed == first, "a replay answers with the message ids of the mails sent the first time"
    sent = shop.table("email-sent").scan()["Items"]
    assert sorted((row["id"], row["status"]) for row in sent) == [
        ("order-20#OrderPlaced", "SENT"),
        ("order-20#OrderShipped", "SENT"),
        ("order-20#PaymentSucceeded", "SENT"),
    ]
    assert all(
        set(row) == {"id", "subject", "kind", "status", "claim", "claimedAt", "messageId", "sentAt"} for row in sent
    )


def test_an_invoice_mail_is_not_sent_again_by_a_replay(
    email: ModuleType, shop: Shop, context: FakeLambdaContext
) -> None:
    created = put_invoice("order-21")
    email.handler(created, context)
    forget_idempotency_records(shop)

    email.handler(created, context)

    assert len(shop.outbox()) == 1
    assert shop.table("email-sent").get_item(Key={"id": "order-21#InvoiceReady"})["Item"]["status"] == "SENT"


def test_a_failed_publish_loses_no_mail_the_retry_sends_it_once(
    email: ModuleType, shop: Shop, context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = as_invoked(order_placed("order-22"))
    real_publish = email.client("sns").publish
    calls = {"n": 0}

    def throttled_once(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "Publish")
        return real_publish(**kwargs)

    monkeypatch.setattr(email.client("sns"), "publish", throttled_once)
    with pytest.raises(ClientError, match="Throttling"):
        email.handler(event, context)
    assert shop.outbox() == []

    email.handler(event, context)  # the asynchronous retry, at once: the failed sender released its lease
    email.handler(event, context)

    assert len(shop.outbox()) == 1
    assert calls["n"] == 2


def test_a_sender_that_died_after_claiming_is_taken_over_once_its_lease_ran_out(
    email: ModuleType, shop: Shop, context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = as_invoked(order_placed("order-23"))
    claimed_at = 1_000_000_000.0
    # The first sender claims the mail, then its invocation dies before publishing.
    monkeypatch.setattr(email.sent_log, "_clock", lambda: claimed_at)
    email.sent_log.register_lambda_context(context)  # 30 s left

    def sandbox_killed(*_: object) -> str:
        raise SystemExit("the invocation died before publishing")

    with monkeypatch.context() as dying:  # undoes only this, not the test's AWS environment
        dying.setattr(email, "publish", sandbox_killed)
        with pytest.raises(SystemExit):
            email.handler(event, context)
    row = shop.table("email-sent").get_item(Key={"id": "order-23#OrderPlaced"})["Item"]
    assert row["status"] == "SENDING"
    forget_idempotency_records(shop)  # Powertools lets the retry in; the sent-record decides

    # While the dead sender's lease could still be alive, a retry neither mails nor gives up the mail.
    monkeypatch.setattr(email.sent_log, "_clock", lambda: claimed_at + 10)
    with pytest.raises(MailInFlightError, match="OrderPlaced mail for order-23 is being sent"):
        email.handler(event, context)
    assert shop.outbox() == []
    forget_idempotency_records(shop)

    # Once the lease has run out, the retry sends it, once.
    monkeypatch.setattr(email.sent_log, "_clock", lambda: claimed_at + 60)
    email.handler(event, context)
    email.handler(event, context)
    assert len(shop.outbox()) == 1
    assert shop.table("email-sent").get_item(Key={"id": "order-23#OrderPlaced"})["Item"]["status"] == "SENT"


def test_no_reminder_is_mailed_for_a_cart_that_was_ordered(
    email: ModuleType, shop: Shop, context: FakeLambdaContext
) -> None:
    shop.table("carts").put_item(Item={"cartId": "cart-9", "orderedAt": "2024-05-01T12:00:00+00:00", "orderId": "o-9"})

    result = email.queued_handler(sqs_event(cart_reminder_due("cart-9")), context)

    assert result == {"batchItemFailures": []}
    assert shop.outbox() == []


def test_a_cart_is_reminded_once_even_by_a_replay_or_a_moved_schedule(
    email: ModuleType, shop: Shop, context: FakeLambdaContext
) -> None:
    email.queued_handler(sqs_event(cart_reminder_due("cart-10")), context)
    forget_idempotency_records(shop)
    moved = cart_reminder_due("cart-10")
    moved["detail"]["metadata"]["eventId"] = "reminder-cart-10-moved"

    email.queued_handler(sqs_event(cart_reminder_due("cart-10"), moved), context)

    assert len(shop.outbox()) == 1


def test_a_mail_costs_its_claim_publish_and_mark_and_a_redelivery_one_refused_claim_and_a_read(
    email: ModuleType, shop: Shop, context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sent-record is Email's only dedupe: no idempotency record is put and completed around it.
    event = as_invoked(order_placed("order-30"))
    with counting_calls(monkeypatch) as first:
        sent = email.handler(event, context)
    with counting_calls(monkeypatch) as again:
        assert email.handler(event, context) == sent

    assert first == {"dynamodb:PutItem": 1, "sns:Publish": 1, "dynamodb:UpdateItem": 1}
    assert again == {"dynamodb:PutItem": 1, "dynamodb:GetItem": 1}
    assert len(shop.outbox()) == 1
