"""Orders' outbox relay: puts OrderPlaced on the bus for every order the API saved.

Handler string ``handlers.orders.outbox.handler``, triggered by the orders table's stream (``NEW_IMAGE``)
through an event source mapping with ``ReportBatchItemFailures``, bisection and retries bounded by record
age. Environment: ``ORDERS_TABLE``, ``EVENT_BUS_NAME``, ``EVENT_SOURCE`` (``eventshop.orders``).

Why a stream and not a sweeper: the API's answer no longer depends on the bus (it answers 202 once the
order is saved), every saved order yields exactly one INSERT record, in order, that Lambda retries until
it is handled, and its lag is a metric AWS already keeps (``IteratorAge``, alarmed per stack). A sweeper
would need a schedule, an index of unpublished orders, and a claim so that it and the API never publish
the same order twice.

Only INSERT records publish: the projector's later updates (MODIFY) never re-publish. Records are handled
one by one; the first failure is reported and nothing after it is touched, so Lambda resumes from exactly
that record and an order published once is not published again. ``published``/``publishedAt`` are then set
on the row, for people and dashboards. The event id is deterministic, so a crash between the put and the
checkpoint is deduplicated by every consumer.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecordEventName,
    DynamoDBStreamEvent,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.orders import model
from handlers.shared.clients import table
from handlers.shared.events import EventPublisher, OutgoingEvent, build_detail, utc_now
from handlers.shared.redaction import redacting_logger

logger = redacting_logger()
tracer = Tracer()


ORDERS_TABLE = os.environ["ORDERS_TABLE"]
publisher = EventPublisher.with_lazy_client(os.environ["EVENT_BUS_NAME"], os.environ["EVENT_SOURCE"])


def orders_table() -> Any:
    return table(ORDERS_TABLE)


def order_placed(order: Mapping[str, Any]) -> OutgoingEvent:
    """The OrderPlaced event of a stored order (no payment token: Billing reads the payment intent)."""
    detail = build_detail(
        model.ORDER_PLACED,
        order_id=str(order["orderId"]),
        customer_id=str(order["customerId"]),
        email=str(order["email"]),
        correlation_id=str(order["correlationId"]),
        **model.order_placed_detail(order),
    )
    return OutgoingEvent(model.ORDER_PLACED, detail)


@tracer.capture_method
def publish(order: Mapping[str, Any]) -> None:
    """Put OrderPlaced for a newly saved order, then mark the row published."""
    publisher.publish(order_placed(order))
    orders_table().update_item(
        Key={"orderId": order["orderId"]},
        UpdateExpression="SET published = :true, publishedAt = :at",
        ExpressionAttributeValues={":true": True, ":at": utc_now()},
    )
    logger.info("Order published", extra={"order_id": str(order["orderId"]), "lines": len(order["items"])})


def relay(event: DynamoDBStreamEvent) -> dict[str, list[dict[str, str]]]:
    """Publish each INSERT in order; on the first failure report its sequence number and stop there."""
    for record in event.records:
        stream_record = record.dynamodb
        if record.event_name != DynamoDBRecordEventName.INSERT or stream_record is None:
            continue
        try:
            publish(stream_record.new_image)
        except Exception:
            logger.exception("OrderPlaced not published; the stream retries from this record")
            return {"batchItemFailures": [{"itemIdentifier": str(stream_record.sequence_number)}]}
    return {"batchItemFailures": []}


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], _context: LambdaContext) -> dict[str, list[dict[str, str]]]:
    return relay(DynamoDBStreamEvent(event))
