"""Email: renders customer-facing events and publishes each one, once, to the customer topic.

Handler string ``handlers.email.app.handler``, invoked by EventBridge directly (asynchronous invoke; the
event is the envelope). Environment: ``CUSTOMER_TOPIC_ARN``, ``SENT_TABLE``, ``CARTS_TABLE``.

Once per (order, kind of mail), for good: the durable sent-record (``handlers.email.sent``) answers every
redelivery, a duplicate within seconds as well as a replay of the bus archive months later. No Powertools
idempotency on top: its record (a put and an update per mail) guarded the same publish, keyed on the event
id, so it never stopped a mail the sent-record would have let through, and doubled the calls per mail.

Invoices: S3's Object Created event for ``invoices/<orderId>.json`` (forwarded from the default bus)
becomes one "your invoice is ready" message per order. S3 event ids are not unique enough (moto gives
every S3 event the same id, and S3 may deliver an event twice, directly and forwarded); the sent-record's
key (order id + InvoiceReady) makes them one mail. The customer's address is read from the invoice document
(``s3:GetObject`` on ``invoices/*`` only), so it appears neither in the key nor in the object metadata.

The message carries the attributes ``detailType`` and ``email`` so subscribers can filter. The result
``{orderId, detailType, messageId}`` goes to the on-success destination; a malformed or unsupported event
raises, so the asynchronous retries and the on-failure destination keep it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.email.sent import SentLog
from handlers.email.templates import (
    CART_RENDERERS,
    MAX_SUBJECT_LENGTH,
    RENDERERS,
    REQUIRED_FIELDS,
    Message,
    invoice_ready,
)
from handlers.shared.carts import CartBook
from handlers.shared.clients import client
from handlers.shared.events import MalformedEventError, OrderEvent, UnsupportedEventError, parse_event, parse_sqs_record
from handlers.shared.redaction import redacting_logger
from handlers.shared.runtime import sqs_batch_processor

logger = redacting_logger()
tracer = Tracer()
CUSTOMER_TOPIC_ARN = os.environ["CUSTOMER_TOPIC_ARN"]
INVOICE_SOURCE = "aws.s3"
INVOICE_READY = "InvoiceReady"
processor = sqs_batch_processor()
sent_log = SentLog()
carts = CartBook()


def render(event: OrderEvent) -> Message:
    renderer = RENDERERS.get(event.detail_type)
    if renderer is None:
        raise UnsupportedEventError(f"Email has no template for {event.detail_type} events")
    event.require(*REQUIRED_FIELDS[event.detail_type])
    return renderer(event.detail)


def publish(message: Message, detail_type: str, email: str) -> str:
    response = client("sns").publish(
        TopicArn=CUSTOMER_TOPIC_ARN,
        Subject=message.subject[:MAX_SUBJECT_LENGTH],
        Message=message.body,
        MessageAttributes={
            "detailType": {"DataType": "String", "StringValue": detail_type},
            "email": {"DataType": "String", "StringValue": email},
        },
    )
    logger.info("Customer notified", extra={"message_id": response["MessageId"]})
    return str(response["MessageId"])


@tracer.capture_method
def notify(*, event: OrderEvent) -> dict[str, str]:
    """Publish the customer's message for ``event``; a redelivery returns the first message id unpublished."""
    message = render(event)
    sent = sent_log.send_once(
        event.order_id, event.detail_type, lambda: publish(message, event.detail_type, str(event.detail["email"]))
    )
    if not sent.published:
        logger.info("Mail sent before; not sent again", extra={"message_id": sent.message_id})
    return {"orderId": event.order_id, "detailType": event.detail_type, "messageId": sent.message_id}


def invoice_reference(raw: Mapping[str, Any]) -> dict[str, str]:
    """``{invoiceId, bucket, key}`` of an S3 Object Created event (``invoiceId`` names it in the logs)."""
    detail: Mapping[str, Any] = raw["detail"] if isinstance(raw.get("detail"), Mapping) else {}
    bucket = (detail.get("bucket") or {}).get("name")
    obj: Mapping[str, Any] = detail.get("object") or {}
    # EventBridge spells it "etag"; moto "eTag". A version id of None means an unversioned bucket.
    revision = obj.get("etag") or obj.get("eTag") or obj.get("version-id") or obj.get("sequencer")
    if not bucket or not obj.get("key") or not revision:
        raise MalformedEventError(f"Malformed S3 event (id {raw.get('id')}): needs bucket.name, object.key, etag")
    return {"invoiceId": f"{bucket}/{obj['key']}/{revision}", "bucket": str(bucket), "key": str(obj["key"])}


@tracer.capture_method
def notify_invoice(*, invoice: dict[str, str]) -> dict[str, str]:
    """Tell the customer their invoice is ready, once per order (a rewrite of the invoice mails nothing)."""
    document = json.loads(client("s3").get_object(Bucket=invoice["bucket"], Key=invoice["key"])["Body"].read())
    missing = [name for name in ("orderId", "email", "amount", "currency") if not document.get(name)]
    if missing:
        raise MalformedEventError(f"Invoice {invoice['key']} lacks {', '.join(missing)}")
    sent = sent_log.send_once(
        str(document["orderId"]),
        INVOICE_READY,
        lambda: publish(invoice_ready(document), INVOICE_READY, str(document["email"])),
    )
    return {"orderId": str(document["orderId"]), "detailType": INVOICE_READY, "messageId": sent.message_id}


def handle_event(raw: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    """Validate the envelope, tag the logs and notify once per (order, kind of mail)."""
    sent_log.register_lambda_context(context)
    if raw.get("source") == INVOICE_SOURCE and raw.get("detail-type") == "Object Created":
        invoice = invoice_reference(raw)
        logger.append_keys(invoice_id=invoice["invoiceId"])
        return notify_invoice(invoice=invoice)
    event = parse_event(raw, required=("customerId", "email"))
    logger.append_keys(correlation_id=event.correlation_id, order_id=event.order_id, event_id=event.event_id)
    return notify(event=event)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    return handle_event(event, context)


# --- Cart reminders: CartReminderDue arrives through a queue (handler string handlers.email.app.queued_handler),
# so a failed send is retried by SQS and finally dead-lettered; a redelivery is sent once (the sent-record).


@tracer.capture_method
def notify_cart(*, event: OrderEvent) -> dict[str, str]:
    """Publish the reminder for a cart once, and never for a cart that was ordered."""
    renderer = CART_RENDERERS.get(event.detail_type)
    if renderer is None:
        raise UnsupportedEventError(f"Email has no cart template for {event.detail_type} events")
    cart_id = str(event.cart_id)
    # The schedule may have fired (or been recreated by a late ItemAddedToCart) after the order: ask the cart.
    ordered_by = carts.ordered_by(cart_id)
    if ordered_by is not None:
        logger.info("Cart was ordered; no reminder", extra={"order_id": ordered_by})
        return {"cartId": cart_id, "detailType": event.detail_type, "outcome": "ordered"}
    message = renderer(event.detail)
    # One reminder per cart: a moved or replayed schedule does not mail twice.
    sent = sent_log.send_once(
        cart_id, event.detail_type, lambda: publish(message, event.detail_type, str(event.detail["email"]))
    )
    return {"cartId": cart_id, "detailType": event.detail_type, "messageId": sent.message_id}


def cart_record_handler(record: SQSRecord) -> dict[str, str]:
    event = parse_sqs_record(record, required=("cartId", "customerId", "email"))
    logger.append_keys(correlation_id=event.correlation_id, cart_id=event.cart_id, event_id=event.event_id)
    return notify_cart(event=event)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def queued_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    sent_log.register_lambda_context(context)
    return process_partial_response(
        event=event, record_handler=cart_record_handler, processor=processor, context=context
    )
