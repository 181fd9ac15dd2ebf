"""Billing on moto: charging OrderPlaced once, emitting the outcome, partial batch failures."""

from __future__ import annotations

import json
from types import ModuleType

import boto3
import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from handlers.shared.events import MalformedEventError, event_id, parse_sqs_record
from tests.handlers.builders import lifecycle_event, order_placed, sqs_event
from tests.handlers.conftest import FakeLambdaContext, Shop
from tests.handlers.shop_state import INVOICES_BUCKET


def test_approved_token_captures_and_emits_payment_succeeded(
    billing: ModuleType, shop: Shop, context: FakeLambdaContext
) -> None:
    result = billing.handler(sqs_event(order_placed("order-1", lines=(("SKU-1", 2, "12.25"),))), context)

    assert result == {"batchItemFailures": []}
    payment = shop.table("payments").get_item(Key={"orderId": "order-1"})["Item"]
    assert payment["status"] == "CAPTURED"
    assert str(payment["amount"]) == "24.50"
    [event] = shop.emitted()
    assert event["source"] == "eventshop.billing"
    assert event["detail-type"] == "PaymentSucceeded"
    detail = event["detail"]
    assert detail["paymentId"] == payment["paymentId"]
    assert detail["amount"] == 24.5
    assert detail["currency"] == "EUR"
    assert detail["email"] == "ada@example.com"
    assert detail["metadata"]["eventId"] == event_id("order-1", "PaymentSucceeded")
    assert detail["metadata"]["correlationId"] == "corr-order-1"


@pytest.mark.parametrize(("token", "reason"), [("tok_decline", "card_declined"), ("tok_bogus", "invalid_token")])
def test_declined_token_emits_payment_failed_with_reason(
    billing: ModuleType, shop: Shop, context: FakeLambdaContext, token: str, reason: str
) -> None:
    billing.handler(sqs_event(order_placed("order-2", payment_token=token)), context)

    assert shop.table("payments").get_item(Key={"orderId": "order-2"})["Item"]["status"] == "DECLINED"
    [event] = shop.emitted()
    assert event["detail-type"] == "PaymentFailed"
    assert event["detail"]["reason"] == reason
    assert "paymentId" not in event["detail"]


def test_redelivered_order_is_charged_and_announced_once(
    billing: ModuleType, shop: Shop, context: FakeLambdaContext
) -> None:
    placed = order_placed("order-3")

    billing.handler(sqs_event(placed), context)
    second = billing.handler(sqs_event(placed), context)

    assert second == {"batchItemFailures": []}
    assert len(shop.table("payments").scan()["Items"]) == 1
    assert [event["detail-type"] for event in shop.emitted()] == ["PaymentSucceeded"]


def test_order_charged_before_reemits_the_stored_outcome_with_same_event_id(
    billing: ModuleType, shop: Shop, context: FakeLambdaContext
) -> None:
    # A redelivery after the idempotency record expired (or with another event id) reaches the table guard.
    billing.handler(sqs_event(order_placed("order-4", payment_token="tok_decline")), context)
    first = shop.emitted()
    for item in shop.table("idempotency").scan()["Items"]:
        shop.table("idempotency").delete_item(Key={"id": item["id"]})

    billing.handler(sqs_event(order_placed("order-4", payment_token="tok_visa")), context)

    again = shop.emitted()
    assert len(shop.table("payments").scan()["Items"]) == 1
    assert [event["detail-type"] for event in again] == ["PaymentFailed"]
    assert again[0]["detail"]["metadata"]["eventId"] == first[0]["detail"]["metadata"]["eventId"]


def test_only_the_failing_record_is_reported(billing: ModuleType, shop: Shop, context: FakeLambdaContext) -> None:
    incomplete = order_placed("order-6")
    del incomplete["detail"]["total"]

    result = billing.handler(sqs_event(order_placed("order-5"), incomplete, "not json"), context)

    assert result == {"batchItemFailures": [{"itemIdentifier": "msg-1"}, {"itemIdentifier": "msg-2"}]}
    assert [event["detail"]["orderId"] for event in shop.emitted()] == ["order-5"]
    assert shop.table("payments").get_item(Key={"orderId": "order-6"}).get("Item") is None


def test_missing_fields_are_named_in_the_error(billing: ModuleType, shop: Shop, context: FakeLambdaContext) -> None:
    billing.idempotency_config.register_lambda_context(context)
    incomplete = order_placed("order-7")
    del incomplete["detail"]["total"], incomplete["detail"]["email"]
    event = parse_sqs_record(SQSRecord(sqs_event(incomplete)["Records"][0]))

    with pytest.raises(MalformedEventError, match=r"missing detail\.email; missing detail\.total"):
        billing.bill_order(event=event)
    assert shop.emitted() == []


def invoice_keys() -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=INVOICES_BUCKET)
    return [str(item["Key"]) for item in listed.get("Contents", [])]


def test_captured_payment_gets_one_invoice_document(
    billing: ModuleType, shop: Shop, context: FakeLambdaContext
) -> None:
    placed = order_placed("order-8", lines=(("SKU-1", 2, "12.25"),))

    billing.handler(sqs_event(placed), context)
    first = boto3.client("s3").get_object(Bucket=INVOICES_BUCKET, Key="invoices/order-8.json")
    for item in shop.table("idempotency").scan()["Items"]:
        shop.table("idempotency").delete_item(Key={"id": item["id"]})
    billing.handler(sqs_event(placed), context)
    second = boto3.client("s3").get_object(Bucket=INVOICES_BUCKET, Key="invoices/order-8.json")

    assert invoice_keys() == ["invoices/order-8.json"]
    assert first["ETag"] == second["ETag"], "a redelivery rewrites the same bytes"
    document = json.loads(first["Body"].read())
    payment = shop.table("payments").get_item(Key={"orderId": "order-8"})["Item"]
    assert document == {
        "invoiceNumber": "INV-order-8",
        "orderId": "order-8",
        "customerId": "cust-1",
        "email": "ada@example.com",
        "paymentId": payment["paymentId"],
        "amount": "24.50",
        "currency": "EUR",
        "issuedAt": payment["createdAt"],
    }
    assert first["ContentType"] == "application/json"
    assert first["Metadata"] == {"order-id": "order-8", "correlation-id": "corr-order-8"}


def test_declined_or_cancelled_orders_get_no_invoice(
    billing: ModuleType, shop: Shop, context: FakeLambdaContext
) -> None:
    billing.handler(sqs_event(order_placed("order-9", payment_token="tok_decline")), context)
    billing.handler(sqs_event(lifecycle_event("OutOfStock", "order-10", items=[], unavailable=["SKU-1"])), context)
    billing.handler(sqs_event(order_placed("order-10")), context)

    assert invoice_keys() == []


def test_the_token_is_read_from_the_payment_intent_and_deleted_once_charged(
    billing: ModuleType, shop: Shop, context: FakeLambdaContext
) -> None:
    event = order_placed("order-intent", payment_token="tok_decline")
    assert "paymentToken" not in event["detail"]

    billing.handler(sqs_event(event), context)

    [emitted] = shop.emitted()
    assert (emitted["detail-type"], emitted["detail"]["reason"]) == ("PaymentFailed", "card_declined")
    assert shop.table("payment-intents").get_item(Key={"orderId": "order-intent"}).get("Item") is None
    assert "paymentToken" not in json.dumps(shop.table("payments").scan()["Items"], default=str)


def test_an_order_whose_payment_intent_is_gone_is_declined_not_stranded(
    billing: ModuleType, shop: Shop, context: FakeLambdaContext
) -> None:
    result = billing.handler(sqs_event(order_placed("order-no-intent", payment_token=None)), context)

    assert result == {"batchItemFailures": []}
    [emitted] = shop.emitted()
    assert (emitted["detail-type"], emitted["detail"]["reason"]) == ("PaymentFailed", "payment_intent_missing")
