"""Reminders: one pending "you left something in your cart" schedule per cart, moved on every item added.

Handler string ``handlers.reminders.app.handler`` (SQS batch). Environment: ``SCHEDULE_GROUP``,
``EVENT_BUS_ARN``, ``SCHEDULER_ROLE_ARN``, ``SCHEDULER_DLQ_ARN``, ``DELAY_MINUTES``, ``CARTS_TABLE``.

ItemAddedToCart creates the cart's one-time schedule ``at(now + delay)`` or moves it (UpdateSchedule) when
one is pending; the schedule puts CartReminderDue (source ``eventshop.reminders``) on the bus through
the Scheduler's EventBridge universal target, then deletes itself. OrderPlaced with a ``cartId`` deletes
the pending schedule; one already gone is fine. Every step is safe to repeat: the schedule's name is
derived from the cart id, so a redelivered event moves or deletes the same schedule again.

Both events share one standard queue, so they arrive in any order, and a retried or replayed
ItemAddedToCart may come after the order. The cart's state (``handlers.shared.carts``) decides: OrderPlaced
marks the cart ordered *before* it deletes the schedule, and ItemAddedToCart schedules only through a
write conditional on the cart not being ordered, then looks again *after* scheduling and deletes what it
created if an order came in meanwhile. Whichever interleaving, an ordered cart keeps no schedule; and Email
asks the cart once more before it mails a reminder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from handlers.shared.carts import CartBook
from handlers.shared.clients import client
from handlers.shared.events import SCHEMA_VERSION, MalformedEventError, OrderEvent, dispatch, event_id, parse_sqs_record
from handlers.shared.redaction import redacting_logger

logger = redacting_logger()
tracer = Tracer()
SCHEDULE_GROUP = os.environ["SCHEDULE_GROUP"]
EVENT_BUS_ARN = os.environ["EVENT_BUS_ARN"]
SCHEDULER_ROLE_ARN = os.environ["SCHEDULER_ROLE_ARN"]
SCHEDULER_DLQ_ARN = os.environ["SCHEDULER_DLQ_ARN"]
DELAY = dt.timedelta(minutes=int(os.environ["DELAY_MINUTES"]))
SOURCE = "eventshop.reminders"
DETAIL_TYPE = "CartReminderDue"
#: Scheduler retries a failed PutEvents this often, within this window, then dead-letters it.
TARGET_RETRY = {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 3600}
carts = CartBook()
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
#: Schedule names allow 64 characters of [0-9a-zA-Z-_.]: a readable prefix of the cart id and a hash.
_NAME_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.")


def schedule_name(cart_id: str) -> str:
    """The one schedule name of a cart: stable, valid for Scheduler, and unique per cart id."""
    readable = "".join(c if c in _NAME_CHARS else "-" for c in cart_id)[:40]
    return f"cart-{readable}-{hashlib.sha256(cart_id.encode()).hexdigest()[:16]}"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def at_expression(when: dt.datetime) -> str:
    return f"at({when.astimezone(dt.UTC).strftime('%Y-%m-%dT%H:%M:%S')})"


def reminder_detail(event: OrderEvent, due: str) -> dict[str, Any]:
    cart_id = str(event.cart_id)
    return {
        "cartId": cart_id,
        "customerId": event.detail["customerId"],
        "email": event.detail["email"],
        "metadata": {
            # One id per cart and due time: a moved reminder is a new reminder, a repeated one is not.
            "eventId": event_id(f"{cart_id}@{due}", DETAIL_TYPE),
            "correlationId": event.correlation_id,
            "schemaVersion": SCHEMA_VERSION,
            "occurredAt": due,
        },
    }


def _schedule(event: OrderEvent) -> dict[str, Any]:
    due = (now() + DELAY).replace(microsecond=0)
    detail = reminder_detail(event, due.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return {
        "Name": schedule_name(str(event.cart_id)),
        "GroupName": SCHEDULE_GROUP,
        "ScheduleExpression": at_expression(due),
        "ScheduleExpressionTimezone": "UTC",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "ActionAfterCompletion": "DELETE",
        "State": "ENABLED",
        "Description": f"Cart reminder for {event.cart_id}",
        "Target": {
            "Arn": EVENT_BUS_ARN,
            "RoleArn": SCHEDULER_ROLE_ARN,
            "Input": json.dumps(detail),
            "EventBridgeParameters": {"DetailType": DETAIL_TYPE, "Source": SOURCE},
            "RetryPolicy": TARGET_RETRY,
            "DeadLetterConfig": {"Arn": SCHEDULER_DLQ_ARN},
        },
    }


def _not_found(error: ClientError) -> bool:
    return bool(error.response.get("Error", {}).get("Code") == "ResourceNotFoundException")


def _delete_schedule(cart_id: str) -> bool:
    """Delete the cart's schedule; ``False`` when there was none."""
    try:
        client("scheduler").delete_schedule(Name=schedule_name(cart_id), GroupName=SCHEDULE_GROUP)
    except ClientError as error:
        if not _not_found(error):
            raise
        return False
    return True


@tracer.capture_method
def remind(*, event: OrderEvent) -> dict[str, str]:
    """Create the cart's reminder, or move the pending one to now + delay; never for an ordered cart."""
    if not event.cart_id:
        raise MalformedEventError(f"Malformed {event.detail_type} event {event.event_id}: missing detail.cartId")
    event.require("customerId", "email")
    cart_id = event.cart_id
    schedule = _schedule(event)
    if not carts.note_item(cart_id, now().isoformat(timespec="seconds")):
        logger.info("Cart was ordered; no reminder scheduled", extra={"action": "ordered"})
        return {"cartId": cart_id, "schedule": schedule["Name"], "action": "ordered"}
    try:
        client("scheduler").create_schedule(**schedule)
        action = "created"
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConflictException":
            raise
        client("scheduler").update_schedule(**schedule)
        action = "moved"
    # An order may have been placed between the check and the schedule: it deleted nothing, so we do.
    if carts.ordered_by(cart_id) is not None:
        _delete_schedule(cart_id)
        action = "ordered"
    logger.info("Cart reminder scheduled", extra={"action": action, "schedule": schedule["ScheduleExpression"]})
    return {"cartId": cart_id, "schedule": schedule["Name"], "action": action}


@tracer.capture_method
def cancel(*, event: OrderEvent) -> dict[str, str]:
    """An order for the cart was placed: the cart is marked ordered, then its pending reminder deleted."""
    if not event.cart_id:
        return {"orderId": event.order_id, "action": "no cart"}
    carts.mark_ordered(event.cart_id, event.order_id, now().isoformat(timespec="seconds"))
    action = "cancelled" if _delete_schedule(event.cart_id) else "none pending"
    logger.info("Cart reminder cancelled", extra={"action": action})
    return {"cartId": event.cart_id, "schedule": schedule_name(event.cart_id), "action": action}


HANDLERS: Mapping[str, Callable[..., dict[str, str]]] = {"ItemAddedToCart": remind, "OrderPlaced": cancel}


def record_handler(record: SQSRecord) -> dict[str, str]:
    event = parse_sqs_record(record)
    logger.append_keys(correlation_id=event.correlation_id, cart_id=event.cart_id, event_id=event.event_id)
    return dispatch(event, HANDLERS, "Reminders")


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
