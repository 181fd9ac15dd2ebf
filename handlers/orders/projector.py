"""Order-status projector: applies lifecycle events from its SQS queue to the order's status and history.

Handler string ``handlers.orders.projector.handler``. Environment: ``ORDERS_TABLE``.

Each event appends ``{status, at, event}`` to the history and sets the status when the order's current
status may move to it (``ALLOWED_FROM``); otherwise only the history grows. The precedence makes the end
state independent of arrival order: statuses only move forward (PLACED -> PAID -> RESERVED), ``SHIPPED``
and ``CANCELLED`` (out of stock) are final, and ``PAYMENT_FAILED`` is final except that ``CANCELLED``
overrides it: a declined order that was also out of stock ends CANCELLED. It must, because which of the two
facts is ever known depends on arrival order: when OutOfStock reaches Billing first the card is never tried
(no PaymentFailed), while Warehouse reports a shortage even when PaymentFailed reached it first.
PaymentRefunded and StockReleased join the history only. Both rules live in
DynamoDB condition expressions, and ``appliedEventIds`` makes a redelivered event a no-op, however late.

No Powertools idempotency: the projection's one effect is the conditional write, which already refuses an
event it has applied (``NOT contains(appliedEventIds, :eventId)``), so an idempotency record (a put and an
update per event) would guard nothing the write does not, at twice the write's cost.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from handlers.shared.clients import table
from handlers.shared.events import OrderEvent, UnsupportedEventError, parse_sqs_record, utc_now
from handlers.shared.redaction import redacting_logger
from handlers.shared.runtime import sqs_batch_processor

logger = redacting_logger()
tracer = Tracer()
ORDERS_TABLE = os.environ["ORDERS_TABLE"]
deserializer = TypeDeserializer()
processor = sqs_batch_processor()


def orders_table() -> Any:
    return table(ORDERS_TABLE)


FINAL_STATUSES = ("SHIPPED", "PAYMENT_FAILED", "CANCELLED")
#: The statuses an order may move from to each status; anything else keeps its status.
ALLOWED_FROM: Mapping[str, tuple[str, ...]] = {
    "PLACED": ("PLACED",),
    "PAID": ("PLACED",),
    "RESERVED": ("PLACED", "PAID"),
    "SHIPPED": ("PLACED", "PAID", "RESERVED"),
    "CANCELLED": ("PLACED", "PAID", "RESERVED", "PAYMENT_FAILED"),
    "PAYMENT_FAILED": ("PLACED", "PAID", "RESERVED"),
}
#: The status each lifecycle event sets; ``None``: the event is recorded in the history only.
STATUS_BY_DETAIL_TYPE: Mapping[str, str | None] = {
    "OrderPlaced": "PLACED",
    "PaymentSucceeded": "PAID",
    "PaymentFailed": "PAYMENT_FAILED",
    "StockReserved": "RESERVED",
    "OutOfStock": "CANCELLED",
    "OrderShipped": "SHIPPED",
    # Not shipped by its deadline: refunded, stock released, the customer told.
    "FulfillmentFailed": "CANCELLED",
    "PaymentRefunded": None,
    "StockReleased": None,
}
#: Attempts of the history-only write when the status changes between read and write.
MAX_HISTORY_ATTEMPTS = 5


class OrderNotFoundError(LookupError):
    """The event is about an order the table does not hold (yet); the record is retried."""


def _condition_failed(error: ClientError) -> bool:
    return bool(error.response["Error"]["Code"] == "ConditionalCheckFailedException")


def set_status(event: OrderEvent, status: str, at: str) -> dict[str, Any] | None:
    """Set ``status`` and append to the history if the current status may move to it and the event is new.

    Returns ``None`` on success, else the order as it was when the condition failed (``{}`` if absent).
    """
    allowed = [f":from{index}" for index in range(len(ALLOWED_FROM[status]))]
    try:
        orders_table().update_item(
            Key={"orderId": event.order_id},
            UpdateExpression="SET #status = :status, history = list_append(history, :entry) ADD appliedEventIds :ids",
            ConditionExpression=(
                "attribute_exists(orderId) AND NOT contains(appliedEventIds, :eventId) "
                f"AND #status IN ({', '.join(allowed)})"
            ),
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":status": status,
                ":entry": [{"status": status, "at": at, "event": event.detail_type}],
                ":ids": {event.event_id},
                ":eventId": event.event_id,
                **dict(zip(allowed, ALLOWED_FROM[status], strict=True)),
            },
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if not _condition_failed(error):
            raise
        # The resource API does not deserialise the item returned with a failed condition.
        return {name: deserializer.deserialize(value) for name, value in error.response.get("Item", {}).items()}
    return None


def append_history(event: OrderEvent, at: str, seen: dict[str, Any] | None) -> str:
    """Append the event to the history, keeping the status; returns ``"applied"`` or ``"duplicate"``.

    The entry records the status the order has; the write is conditional on that status being unchanged,
    so a concurrent transition makes it re-read and try again.
    """
    for _ in range(MAX_HISTORY_ATTEMPTS):
        order = seen if seen is not None else orders_table().get_item(Key={"orderId": event.order_id}).get("Item")
        seen = None
        if not order:
            raise OrderNotFoundError(f"Order {event.order_id} not found for {event.detail_type} {event.event_id}")
        if event.event_id in order.get("appliedEventIds", set()):
            return "duplicate"
        try:
            orders_table().update_item(
                Key={"orderId": event.order_id},
                UpdateExpression="SET history = list_append(history, :entry) ADD appliedEventIds :ids",
                ConditionExpression="#status = :seen AND NOT contains(appliedEventIds, :eventId)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":entry": [{"status": order["status"], "at": at, "event": event.detail_type}],
                    ":ids": {event.event_id},
                    ":eventId": event.event_id,
                    ":seen": order["status"],
                },
            )
        except ClientError as error:
            if not _condition_failed(error):
                raise
            continue
        return "applied"
    raise RuntimeError(f"Order {event.order_id} kept changing; {event.detail_type} will be retried")


@tracer.capture_method
def project(*, event: OrderEvent) -> dict[str, str]:
    """Apply one lifecycle event to its order; a redelivery finds its id applied and is a ``duplicate``."""
    if event.detail_type not in STATUS_BY_DETAIL_TYPE:
        raise UnsupportedEventError(f"The projector does not handle {event.detail_type} events")
    status = STATUS_BY_DETAIL_TYPE[event.detail_type]
    at = str(event.detail["metadata"].get("occurredAt") or utc_now())
    seen = set_status(event, status, at) if status is not None else None
    applied = status is not None and seen is None
    outcome = "applied" if applied else append_history(event, at, seen)
    logger.info("Event projected", extra={"detail_type": event.detail_type, "outcome": outcome})
    return {"orderId": event.order_id, "eventId": event.event_id, "outcome": outcome}


def record_handler(record: SQSRecord) -> dict[str, str]:
    event = parse_sqs_record(record)
    logger.append_keys(correlation_id=event.correlation_id, order_id=event.order_id, event_id=event.event_id)
    return project(event=event)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
