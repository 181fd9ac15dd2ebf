"""Email: renders customer-facing events and publishes each one, once, to the customer topic.

Handler string ``handlers.email.app.handler``, invoked by EventBridge directly (asynchronous invoke; the
event is the envelope). Environment: ``CUSTOMER_TOPIC_ARN``, ``IDEMPOTENCY_TABLE``.

The message carries the attributes ``detailType`` and ``email`` so subscribers can filter. The result
``{orderId, detailType, messageId}`` goes to the on-success destination; a malformed or unsupported event
raises, so the asynchronous retries and the on-failure destination keep it.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.email.templates import CART_RENDERERS, MAX_SUBJECT_LENGTH, RENDERERS, REQUIRED_FIELDS, Message
from handlers.shared.events import OrderEvent, UnsupportedEventError, parse_event, parse_sqs_record
from handlers.shared.runtime import idempotency_store, idempotent_on_event, process_sqs_batch, sqs_batch_processor

logger = Logger()
tracer = Tracer()
sns = boto3.client("sns")
CUSTOMER_TOPIC_ARN = os.environ["CUSTOMER_TOPIC_ARN"]
persistence, idempotency_config = idempotency_store()
processor = sqs_batch_processor()


def render(event: OrderEvent) -> Message:
    renderer = RENDERERS.get(event.detail_type)
    if renderer is None:
        raise UnsupportedEventError(f"Email has no template for {event.detail_type} events")
    event.require(*REQUIRED_FIELDS[event.detail_type])
    return renderer(event.detail)


@idempotent_on_event(persistence, idempotency_config)
@tracer.capture_method
def notify(*, event: OrderEvent) -> dict[str, str]:
    """Publish the customer's message for ``event``; a redelivery returns the first result unpublished."""
    message = render(event)
    response = sns.publish(
        TopicArn=CUSTOMER_TOPIC_ARN,
        Subject=message.subject[:MAX_SUBJECT_LENGTH],
        Message=message.body,
        MessageAttributes={
            "detailType": {"DataType": "String", "StringValue": event.detail_type},
            "email": {"DataType": "String", "StringValue": str(event.detail["email"])},
        },
    )
    logger.info("Customer notified", extra={"message_id": response["MessageId"]})
    return {"orderId": event.order_id, "detailType": event.detail_type, "messageId": str(response["MessageId"])}


def handle_event(raw: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    """Validate the envelope, tag the logs and notify once per event id."""
    idempotency_config.register_lambda_context(context)
    event = parse_event(raw, required=("customerId", "email"))
    logger.append_keys(correlation_id=event.correlation_id, order_id=event.order_id, event_id=event.event_id)
    return notify(event=event)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    return handle_event(event, context)


# --- Cart reminders: CartReminderDue arrives through a queue (handler string handlers.email.app.queued_handler),
# so a failed send is retried by SQS and finally dead-lettered; a redelivery is sent once (idempotent).


@idempotent_on_event(persistence, idempotency_config)
@tracer.capture_method
def notify_cart(*, event: OrderEvent) -> dict[str, str]:
    """Publish the reminder for a cart event once per event id."""
    renderer = CART_RENDERERS.get(event.detail_type)
    if renderer is None:
        raise UnsupportedEventError(f"Email has no cart template for {event.detail_type} events")
    message = renderer(event.detail)
    response = sns.publish(
        TopicArn=CUSTOMER_TOPIC_ARN,
        Subject=message.subject[:MAX_SUBJECT_LENGTH],
        Message=message.body,
        MessageAttributes={
            "detailType": {"DataType": "String", "StringValue": event.detail_type},
            "email": {"DataType": "String", "StringValue": str(event.detail["email"])},
        },
    )
    logger.info("Cart reminder sent", extra={"message_id": response["MessageId"]})
    return {"cartId": str(event.cart_id), "detailType": event.detail_type, "messageId": str(response["MessageId"])}


def cart_record_handler(record: SQSRecord) -> dict[str, str]:
    event = parse_sqs_record(record, required=("cartId", "customerId", "email"))
    logger.append_keys(correlation_id=event.correlation_id, cart_id=event.cart_id, event_id=event.event_id)
    return notify_cart(event=event)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def queued_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_sqs_batch(event, context, cart_record_handler, processor, idempotency_config)
