"""Billing: charges each OrderPlaced once and emits PaymentSucceeded or PaymentFailed; refunds on OutOfStock.

Handler string ``handlers.billing.app.handler`` (SQS batch). Environment: ``PAYMENTS_TABLE``,
``PAYMENT_INTENTS_TABLE``, ``IDEMPOTENCY_TABLE``, ``INVOICES_BUCKET``, ``EVENT_BUS_NAME``, ``EVENT_SOURCE``
(``eventshop.billing``).

The payment token is not on OrderPlaced: Billing alone reads it from Orders' payment-intents table by
order id, right before the charge, and deletes the intent once the payment row is stored (a redelivery
finds the payment row and never needs the token again). An order whose intent is gone (expired) is
declined with ``payment_intent_missing``, so it still reaches a final status.

A captured payment gets an invoice document ``invoices/<orderId>.json`` in the invoices bucket before
PaymentSucceeded is emitted. The document is built from the stored payment row only (no clock), so a
redelivery writes the same bytes again: same ETag, so consumers keyed on bucket + key + ETag see it once.

Idempotent per order twice over: Powertools idempotency on the incoming event id, and a conditional put
of the payment row (``attribute_not_exists(orderId)``). When the row exists already, the outcome stored
in it is emitted again, with the same deterministic event id.

Compensation (saga): on OutOfStock, or FulfillmentFailed (the order could not ship by its deadline), a
CAPTURED payment is refunded through the provider (idempotent per order) and the row moves CAPTURED ->
REFUNDED with a conditional update, so it happens once; then PaymentRefunded is emitted (again, with the same
event id, on a redelivery). A DECLINED payment has nothing to refund. When OutOfStock arrives before the order
was charged, a CANCELLED row is put in the payment's place (``attribute_not_exists``): the later OrderPlaced
finds it and never charges. If the marker lands between that check and the charge, the charge's conditional
put fails, the captured money is refunded at once and nothing is announced, so no money stays captured in
either arrival order.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from handlers.billing import provider
from handlers.shared.clients import client, table
from handlers.shared.events import (
    EventPublisher,
    OrderEvent,
    OutgoingEvent,
    build_detail,
    dispatch,
    parse_sqs_record,
    utc_now,
)
from handlers.shared.redaction import redacting_logger
from handlers.shared.runtime import idempotency_store, idempotent_on_event, process_sqs_batch, sqs_batch_processor
from handlers.shared.wire import money

logger = redacting_logger()
tracer = Tracer()
PAYMENTS_TABLE = os.environ["PAYMENTS_TABLE"]
PAYMENT_INTENTS_TABLE = os.environ["PAYMENT_INTENTS_TABLE"]
INVOICES_BUCKET = os.environ["INVOICES_BUCKET"]
INVOICE_PREFIX = "invoices/"
persistence, idempotency_config = idempotency_store()
processor = sqs_batch_processor()


def payments_table() -> Any:
    return table(PAYMENTS_TABLE)


def payment_intents_table() -> Any:
    return table(PAYMENT_INTENTS_TABLE)


publisher = EventPublisher.with_lazy_client(os.environ["EVENT_BUS_NAME"], os.environ["EVENT_SOURCE"])


CAPTURED = "CAPTURED"
DECLINED = "DECLINED"
REFUNDED = "REFUNDED"
#: The marker OutOfStock leaves when it arrives before the charge: the order must not be charged.
CANCELLED = "CANCELLED"
OUTCOME_BY_STATUS = {CAPTURED: "PaymentSucceeded", DECLINED: "PaymentFailed"}
REFUND_REASON = "out_of_stock"
#: Why each compensating event refunds: the reservation failed, or the order could not ship by its deadline.
REFUND_REASONS: Mapping[str, str] = {"OutOfStock": REFUND_REASON, "FulfillmentFailed": "fulfillment_failed"}
#: The decline reason of an order whose payment intent (and so its token) no longer exists.
INTENT_MISSING_REASON = "payment_intent_missing"
#: Attempts when the payment row changes between read and conditional write (a charge racing a refund).
MAX_REFUND_ATTEMPTS = 3


def payment_token(order_id: str) -> str | None:
    """The order's payment token from Orders' payment-intents table, or ``None`` once the intent is gone."""
    item = payment_intents_table().get_item(Key={"orderId": order_id}, ConsistentRead=True).get("Item")
    return None if item is None else str(item["paymentToken"])


def forget_payment_token(order_id: str) -> None:
    """Delete the order's payment intent: the stored payment row answers every later delivery."""
    payment_intents_table().delete_item(Key={"orderId": order_id})


def new_payment(event: OrderEvent) -> dict[str, Any]:
    """Charge the order through the provider and return the payment row to store."""
    amount = money(event.detail["total"])
    currency = str(event.detail["currency"])
    token = payment_token(event.order_id)
    if token is None:
        result = provider.Charge(approved=False, payment_id=f"none_{event.order_id}", reason=INTENT_MISSING_REASON)
    else:
        result = provider.charge(token=token, amount=amount, currency=currency, idempotency_key=event.order_id)
    payment: dict[str, Any] = {
        "orderId": event.order_id,
        "paymentId": result.payment_id,
        "status": CAPTURED if result.approved else DECLINED,
        "amount": amount,
        "currency": currency,
        "customerId": str(event.detail["customerId"]),
        "email": str(event.detail["email"]),
        "correlationId": event.correlation_id,
        "orderEventId": event.event_id,
        "createdAt": utc_now(),
    }
    if result.reason is not None:
        payment["reason"] = result.reason
    return payment


@tracer.capture_method
def store_payment(payment: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Store ``payment`` unless the order has one; return the stored row and whether it is new."""
    try:
        payments_table().put_item(Item=payment, ConditionExpression="attribute_not_exists(orderId)")
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        response = payments_table().get_item(Key={"orderId": payment["orderId"]}, ConsistentRead=True)
        existing: dict[str, Any] = response["Item"]
        return existing, False
    return payment, True


def stored_payment(order_id: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = payments_table().get_item(Key={"orderId": order_id}, ConsistentRead=True).get("Item")
    return item


def refund_captured(payment: Mapping[str, Any]) -> str:
    """Refund a captured payment in full at the provider (idempotent per order); return the refund id."""
    result = provider.refund(
        payment_id=str(payment["paymentId"]),
        amount=money(payment["amount"]),
        currency=str(payment["currency"]),
        idempotency_key=str(payment["orderId"]),
    )
    return result.refund_id


@tracer.capture_method
def charge_once(event: OrderEvent) -> tuple[dict[str, Any], bool]:
    """The order's payment row, charging only when the order has none (not even a CANCELLED marker)."""
    existing = stored_payment(event.order_id)
    if existing is not None:
        return existing, False
    charged = new_payment(event)
    payment, is_new = store_payment(charged)
    forget_payment_token(event.order_id)
    if not is_new and payment["status"] == CANCELLED and charged["status"] == CAPTURED:
        # OutOfStock's marker won the race after our check: give the money back at once, announce nothing.
        refund_captured(charged)
        logger.warning("Order cancelled while charging; the charge was refunded at once")
    return payment, is_new


def invoice_key(order_id: str) -> str:
    return f"{INVOICE_PREFIX}{order_id}.json"


def invoice_document(payment: Mapping[str, Any]) -> dict[str, Any]:
    """The invoice for a captured payment, from the stored row only (deterministic bytes)."""
    return {
        "invoiceNumber": f"INV-{payment['orderId']}",
        "orderId": str(payment["orderId"]),
        "customerId": str(payment["customerId"]),
        "email": str(payment["email"]),
        "paymentId": str(payment["paymentId"]),
        "amount": str(money(payment["amount"])),
        "currency": str(payment["currency"]),
        "issuedAt": str(payment["createdAt"]),
    }


@tracer.capture_method
def write_invoice(payment: Mapping[str, Any]) -> str:
    """Create the invoice document for a captured payment, once; return its key.

    The write is a conditional create (If-None-Match: *), which the bucket's policy requires: an invoice
    already issued is never replaced. A redelivered order finds it there (412) and goes on, since the
    document is built from the stored payment row only and would be the same bytes.
    """
    key = invoice_key(str(payment["orderId"]))
    try:
        client("s3").put_object(
            Bucket=INVOICES_BUCKET,
            Key=key,
            Body=json.dumps(invoice_document(payment), sort_keys=True).encode(),
            ContentType="application/json",
            IfNoneMatch="*",
            # Lets a reader of the object (the invoice-ready mail) find the order without parsing the body;
            # the customer's address stays out of the key, which appears in S3 events and access logs.
            Metadata={"order-id": str(payment["orderId"]), "correlation-id": str(payment["correlationId"])},
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "PreconditionFailed":
            raise
        logger.info("Invoice already issued; left as it was", extra={"invoice_key": key})
    return key


def outcome_event(payment: Mapping[str, Any]) -> OutgoingEvent:
    """PaymentSucceeded or PaymentFailed for a stored payment row."""
    detail_type = OUTCOME_BY_STATUS[str(payment["status"])]
    fields: dict[str, Any] = {"amount": money(payment["amount"]), "currency": str(payment["currency"])}
    if payment["status"] == CAPTURED:
        fields["paymentId"] = str(payment["paymentId"])
    else:
        fields["reason"] = str(payment.get("reason", provider.UNKNOWN_CARD_REASON))
    detail = build_detail(
        detail_type,
        order_id=str(payment["orderId"]),
        customer_id=str(payment["customerId"]),
        email=str(payment["email"]),
        correlation_id=str(payment["correlationId"]),
        **fields,
    )
    return OutgoingEvent(detail_type, detail)


@idempotent_on_event(persistence, idempotency_config)
@tracer.capture_method
def bill_order(*, event: OrderEvent) -> dict[str, str]:
    """Charge an OrderPlaced once and emit the outcome (again, for an order already charged)."""
    event.require("customerId", "email", "total", "currency")
    payment, is_new = charge_once(event)
    if payment["status"] not in OUTCOME_BY_STATUS:
        # CANCELLED (out of stock before the charge) or REFUNDED: the saga is past the charge.
        logger.info("Order not charged: already compensated", extra={"payment_status": payment["status"]})
        return {"orderId": event.order_id, "outcome": "none", "paymentStatus": str(payment["status"])}
    if payment["status"] == CAPTURED:
        write_invoice(payment)
    outcome = outcome_event(payment)
    publisher.publish(outcome)
    logger.info(
        "Payment outcome emitted",
        extra={"outcome": outcome.detail_type, "payment_status": payment["status"], "new_payment": is_new},
    )
    return {"orderId": event.order_id, "outcome": outcome.detail_type, "paymentId": str(payment["paymentId"])}


def refund_reason(event: OrderEvent) -> str:
    return REFUND_REASONS.get(event.detail_type, REFUND_REASON)


def put_cancelled_marker(event: OrderEvent) -> bool:
    """Put a CANCELLED row unless the order has a payment row; return whether it was put."""
    marker = {
        "orderId": event.order_id,
        "status": CANCELLED,
        "reason": refund_reason(event),
        "customerId": str(event.detail["customerId"]),
        "email": str(event.detail["email"]),
        "correlationId": event.correlation_id,
        "cancelEventId": event.event_id,
        "createdAt": utc_now(),
    }
    try:
        payments_table().put_item(Item=marker, ConditionExpression="attribute_not_exists(orderId)")
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return False
    return True


def mark_refunded(payment: Mapping[str, Any], refund_id: str, reason: str = REFUND_REASON) -> bool:
    """Move the row CAPTURED -> REFUNDED; ``False`` when it is no longer CAPTURED."""
    try:
        payments_table().update_item(
            Key={"orderId": payment["orderId"]},
            UpdateExpression="SET #status = :refunded, refundId = :refundId, refundReason = :reason, refundedAt = :at",
            ConditionExpression="#status = :captured",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":refunded": REFUNDED,
                ":captured": CAPTURED,
                ":refundId": refund_id,
                ":reason": reason,
                ":at": utc_now(),
            },
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return False
    return True


def refunded_event(payment: Mapping[str, Any]) -> OutgoingEvent:
    detail = build_detail(
        "PaymentRefunded",
        order_id=str(payment["orderId"]),
        customer_id=str(payment["customerId"]),
        email=str(payment["email"]),
        correlation_id=str(payment["correlationId"]),
        paymentId=str(payment["paymentId"]),
        refundId=str(payment["refundId"]),
        amount=money(payment["amount"]),
        currency=str(payment["currency"]),
        reason=str(payment.get("refundReason", REFUND_REASON)),
    )
    return OutgoingEvent("PaymentRefunded", detail)


@idempotent_on_event(persistence, idempotency_config)
@tracer.capture_method
def refund_order(*, event: OrderEvent) -> dict[str, str]:
    """Compensate an OutOfStock or a FulfillmentFailed: refund a captured payment once, or stop a charge that
    has not happened."""
    event.require("customerId", "email")
    for _ in range(MAX_REFUND_ATTEMPTS):
        payment = stored_payment(event.order_id)
        if payment is None:
            if put_cancelled_marker(event):
                logger.info("Out of stock before the charge: the order will not be charged")
                return {"orderId": event.order_id, "outcome": "cancelled_before_charge"}
            continue
        if payment["status"] == CAPTURED:
            # The provider refunds once per order; the conditional update records it once.
            refund_id = refund_captured(payment)
            if not mark_refunded(payment, refund_id, refund_reason(event)):
                continue
            payment = {**payment, "status": REFUNDED, "refundId": refund_id, "refundReason": refund_reason(event)}
        if payment["status"] == REFUNDED:
            publisher.publish(refunded_event(payment))
            logger.info("Payment refunded", extra={"payment_id": payment["paymentId"]})
            return {"orderId": event.order_id, "outcome": "PaymentRefunded", "paymentId": str(payment["paymentId"])}
        logger.info("Nothing to refund", extra={"payment_status": payment["status"]})
        return {"orderId": event.order_id, "outcome": "none", "paymentStatus": str(payment["status"])}
    raise RuntimeError(f"Payment of order {event.order_id} kept changing; OutOfStock will be retried")


HANDLERS: Mapping[str, Callable[..., dict[str, str]]] = {
    "OrderPlaced": bill_order,
    "OutOfStock": refund_order,
    "FulfillmentFailed": refund_order,
}


def record_handler(record: SQSRecord) -> dict[str, str]:
    event = parse_sqs_record(record)
    logger.append_keys(correlation_id=event.correlation_id, order_id=event.order_id, event_id=event.event_id)
    return dispatch(event, HANDLERS, "Billing")


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_sqs_batch(event, context, record_handler, processor, idempotency_config)
