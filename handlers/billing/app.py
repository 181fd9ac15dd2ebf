"""Billing: charges each OrderPlaced once and emits PaymentSucceeded or PaymentFailed.

Handler string ``handlers.billing.app.handler`` (SQS batch). Environment: ``PAYMENTS_TABLE``,
``IDEMPOTENCY_TABLE``, ``EVENT_BUS_NAME``, ``EVENT_SOURCE`` (``eventshop.billing``).

Idempotent per order twice over: Powertools idempotency on the incoming event id, and a conditional put
of the payment row (``attribute_not_exists(orderId)``). When the row exists already, the outcome stored
in it is emitted again, with the same deterministic event id.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from handlers.billing import provider
from handlers.shared.events import (
    EventPublisher,
    OrderEvent,
    OutgoingEvent,
    build_detail,
    dispatch,
    parse_sqs_record,
    utc_now,
)
from handlers.shared.runtime import idempotency_store, idempotent_on_event, process_sqs_batch, sqs_batch_processor
from handlers.shared.wire import money

logger = Logger()
tracer = Tracer()
payments_table = boto3.resource("dynamodb").Table(os.environ["PAYMENTS_TABLE"])
publisher = EventPublisher(boto3.client("events"), os.environ["EVENT_BUS_NAME"], os.environ["EVENT_SOURCE"])
persistence, idempotency_config = idempotency_store()
processor = sqs_batch_processor()

CAPTURED = "CAPTURED"
DECLINED = "DECLINED"
OUTCOME_BY_STATUS = {CAPTURED: "PaymentSucceeded", DECLINED: "PaymentFailed"}


def new_payment(event: OrderEvent) -> dict[str, Any]:
    """Charge the order through the provider and return the payment row to store."""
    amount = money(event.detail["total"])
    currency = str(event.detail["currency"])
    result = provider.charge(
        token=str(event.detail["paymentToken"]), amount=amount, currency=currency, idempotency_key=event.order_id
    )
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
        payments_table.put_item(Item=payment, ConditionExpression="attribute_not_exists(orderId)")
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        response = payments_table.get_item(Key={"orderId": payment["orderId"]}, ConsistentRead=True)
        existing: dict[str, Any] = response["Item"]
        return existing, False
    return payment, True


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
    event.require("customerId", "email", "total", "currency", "paymentToken")
    payment, is_new = store_payment(new_payment(event))
    outcome = outcome_event(payment)
    publisher.publish(outcome)
    logger.info(
        "Payment outcome emitted",
        extra={"outcome": outcome.detail_type, "payment_status": payment["status"], "new_payment": is_new},
    )
    return {"orderId": event.order_id, "outcome": outcome.detail_type, "paymentId": str(payment["paymentId"])}


HANDLERS: Mapping[str, Callable[..., dict[str, str]]] = {"OrderPlaced": bill_order}


def record_handler(record: SQSRecord) -> dict[str, str]:
    event = parse_sqs_record(record)
    logger.append_keys(correlation_id=event.correlation_id, order_id=event.order_id, event_id=event.event_id)
    return dispatch(event, HANDLERS, "Billing")


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_sqs_batch(event, context, record_handler, processor, idempotency_config)
