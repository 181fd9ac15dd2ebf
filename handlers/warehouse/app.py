"""Warehouse: reserves every line of an OrderPlaced atomically and emits StockReserved or OutOfStock;
releases the reservation on PaymentFailed.

Handler string ``handlers.warehouse.app.handler`` (SQS batch). Environment: ``INVENTORY_TABLE``,
``RESERVATIONS_TABLE``, ``IDEMPOTENCY_TABLE``, ``EVENT_BUS_NAME``, ``EVENT_SOURCE`` (``eventshop.warehouse``).

One TransactWriteItems per order: for each sku ``available = available - :q`` if ``available >= :q``, and
the reservation put if ``attribute_not_exists(orderId)``. DynamoDB applies all or nothing, so concurrent
orders never oversell. When the transaction is cancelled, ``CancellationReasons`` tell why: the
reservation exists (a duplicate: its stored outcome is emitted again) or some skus are short (the
decision OUT_OF_STOCK is stored, so a redelivery repeats it even if stock arrived meanwhile).

Compensation (saga): on PaymentFailed, or FulfillmentFailed (the order could not ship by its deadline), one
transaction moves the reservation RESERVED -> RELEASED (conditional, so duplicates have one effect) and adds
every line's quantity back to the inventory, then StockReleased is emitted (again, with the same event id, on
a redelivery). When the compensating event arrives before the reservation, a PAYMENT_FAILED (or
FULFILLMENT_FAILED) row is put in the reservation's place (``attribute_not_exists``): the later OrderPlaced's
transaction fails on it as a whole, so no stock is ever held; if the stock was short as well, that is
recorded on the marker (once) and OutOfStock is emitted, so a declined order that is also out of stock ends
CANCELLED whichever of Billing and Warehouse heard of the order first.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from handlers.shared.clients import client
from handlers.shared.events import (
    EventPublisher,
    MalformedEventError,
    OrderEvent,
    OutgoingEvent,
    build_detail,
    dispatch,
    parse_sqs_record,
    utc_now,
)
from handlers.shared.redaction import redacting_logger
from handlers.shared.runtime import idempotency_store, idempotent_on_event, process_sqs_batch, sqs_batch_processor

logger = redacting_logger()
tracer = Tracer()
# A low-level client: thread-safe, and TransactWriteItems is a client call anyway.
INVENTORY_TABLE = os.environ["INVENTORY_TABLE"]
RESERVATIONS_TABLE = os.environ["RESERVATIONS_TABLE"]
persistence, idempotency_config = idempotency_store()
processor = sqs_batch_processor()
serializer = TypeSerializer()
deserializer = TypeDeserializer()


publisher = EventPublisher.with_lazy_client(os.environ["EVENT_BUS_NAME"], os.environ["EVENT_SOURCE"])


def dynamodb() -> Any:
    return client("dynamodb")


RESERVED = "RESERVED"
OUT_OF_STOCK = "OUT_OF_STOCK"
RELEASED = "RELEASED"
#: The marker PaymentFailed leaves when it arrives before the reservation: nothing may be reserved.
PAYMENT_FAILED = "PAYMENT_FAILED"
OUTCOME_BY_STATUS = {RESERVED: "StockReserved", OUT_OF_STOCK: "OutOfStock"}
RELEASE_REASON = "payment_failed"
#: The marker FulfillmentFailed leaves when the order was given up before Warehouse reserved it.
FULFILLMENT_FAILED = "FULFILLMENT_FAILED"
#: Per compensating event: why the reservation is released, and the marker that stops a later reservation.
RELEASES: Mapping[str, tuple[str, str]] = {
    "PaymentFailed": (RELEASE_REASON, PAYMENT_FAILED),
    "FulfillmentFailed": ("fulfillment_failed", FULFILLMENT_FAILED),
}
#: Attempts when the reservation changes between read and transaction (a release racing a reservation).
MAX_RELEASE_ATTEMPTS = 3
#: TransactWriteItems takes at most 100 actions: the lines plus the reservation.
MAX_LINES = 99
CONDITION_FAILED = "ConditionalCheckFailed"


class ReservationConflictError(RuntimeError):
    """The transaction was cancelled for a reason other than a failed condition; the record is retried."""


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: serializer.serialize(value) for name, value in values.items()}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: deserializer.deserialize(value) for name, value in item.items()}


def order_lines(event: OrderEvent) -> list[dict[str, Any]]:
    """``[{sku, quantity}]`` with one line per sku (quantities of a repeated sku are added up)."""
    merged: dict[str, int] = {}
    for index, line in enumerate(event.detail["items"]):
        if not isinstance(line, Mapping) or not line.get("sku") or not isinstance(line.get("quantity"), int):
            raise MalformedEventError(f"Malformed OrderPlaced {event.event_id}: bad detail.items[{index}]")
        if line["quantity"] < 1:
            raise MalformedEventError(f"Malformed OrderPlaced {event.event_id}: detail.items[{index}].quantity < 1")
        merged[str(line["sku"])] = merged.get(str(line["sku"]), 0) + int(line["quantity"])
    if not 0 < len(merged) <= MAX_LINES:
        raise MalformedEventError(f"Malformed OrderPlaced {event.event_id}: needs 1 to {MAX_LINES} skus")
    return [{"sku": sku, "quantity": quantity} for sku, quantity in merged.items()]


def reservation(
    event: OrderEvent, status: str, lines: list[dict[str, Any]], unavailable: Sequence[str]
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "orderId": event.order_id,
        "status": status,
        "items": lines,
        "customerId": str(event.detail["customerId"]),
        "email": str(event.detail["email"]),
        "correlationId": event.correlation_id,
        "orderEventId": event.event_id,
        "createdAt": utc_now(),
    }
    if unavailable:
        row["unavailable"] = list(unavailable)
    return row


def reserve_transaction(event: OrderEvent, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The TransactItems: one conditional decrement per sku, then the reservation put."""
    decrements: list[dict[str, Any]] = [
        {
            "Update": {
                "TableName": INVENTORY_TABLE,
                "Key": {"sku": {"S": line["sku"]}},
                "UpdateExpression": "SET available = available - :quantity",
                "ConditionExpression": "available >= :quantity",
                "ExpressionAttributeValues": {":quantity": {"N": str(line["quantity"])}},
            }
        }
        for line in lines
    ]
    put = {
        "Put": {
            "TableName": RESERVATIONS_TABLE,
            "Item": to_item(reservation(event, RESERVED, lines, ())),
            "ConditionExpression": "attribute_not_exists(orderId)",
        }
    }
    return [*decrements, put]


def stored_reservation(order_id: str) -> dict[str, Any]:
    response = dynamodb().get_item(TableName=RESERVATIONS_TABLE, Key={"orderId": {"S": order_id}}, ConsistentRead=True)
    return from_item(response["Item"])


def put_out_of_stock(event: OrderEvent, lines: list[dict[str, Any]], unavailable: list[str]) -> dict[str, Any]:
    """Store the OUT_OF_STOCK decision unless the order already has a reservation row; return the row."""
    row = reservation(event, OUT_OF_STOCK, lines, unavailable)
    try:
        dynamodb().put_item(
            TableName=RESERVATIONS_TABLE, Item=to_item(row), ConditionExpression="attribute_not_exists(orderId)"
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return stored_reservation(event.order_id)
    return row


def note_unavailable(row: Mapping[str, Any], lines: list[dict[str, Any]], unavailable: list[str]) -> dict[str, Any]:
    """The payment failed before the reservation, and the stock is short too: record that decision once.

    Without it the final status would depend on arrival order: Billing never charges an order whose
    OutOfStock came first (so no PaymentFailed), and here nothing would say the stock was short.
    """
    try:
        dynamodb().update_item(
            TableName=RESERVATIONS_TABLE,
            Key={"orderId": {"S": str(row["orderId"])}},
            UpdateExpression="SET unavailable = :unavailable, #items = :items",
            ConditionExpression="#status = :marker AND attribute_not_exists(unavailable)",
            ExpressionAttributeNames={"#status": "status", "#items": "items"},
            ExpressionAttributeValues=to_item(
                {":unavailable": unavailable, ":items": lines, ":marker": PAYMENT_FAILED}
            ),
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return stored_reservation(str(row["orderId"]))
    return {**row, "unavailable": unavailable, "items": lines}


@tracer.capture_method
def reserve(event: OrderEvent, lines: list[dict[str, Any]]) -> dict[str, Any]:
    """Reserve ``lines`` for the order; return the reservation row that decides the outcome."""
    try:
        dynamodb().transact_write_items(TransactItems=reserve_transaction(event, lines))
    except ClientError as error:
        if error.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])]
        if len(reasons) != len(lines) + 1 or any(code not in (CONDITION_FAILED, "None") for code in reasons):
            raise ReservationConflictError(f"Reservation of order {event.order_id} cancelled: {reasons}") from error
        unavailable = [line["sku"] for line, code in zip(lines, reasons, strict=False) if code == CONDITION_FAILED]
        if reasons[-1] == CONDITION_FAILED:
            row = stored_reservation(event.order_id)
            if row["status"] == PAYMENT_FAILED and unavailable:
                return note_unavailable(row, lines, unavailable)
            logger.info("Reservation exists already; emitting its outcome again")
            return row
        logger.info("Out of stock", extra={"unavailable": unavailable})
        return put_out_of_stock(event, lines, unavailable)
    return reservation(event, RESERVED, lines, ())


def outcome_event(row: Mapping[str, Any]) -> OutgoingEvent:
    """StockReserved or OutOfStock for a stored reservation row (a payment-failed marker short of stock too)."""
    detail_type = "OutOfStock" if row.get("unavailable") else OUTCOME_BY_STATUS[str(row["status"])]
    fields: dict[str, Any] = {
        "items": [{"sku": str(line["sku"]), "quantity": int(line["quantity"])} for line in row["items"]]
    }
    if detail_type == "OutOfStock":
        fields["unavailable"] = [str(sku) for sku in row.get("unavailable", [])]
    detail = build_detail(
        detail_type,
        order_id=str(row["orderId"]),
        customer_id=str(row["customerId"]),
        email=str(row["email"]),
        correlation_id=str(row["correlationId"]),
        **fields,
    )
    return OutgoingEvent(detail_type, detail)


@idempotent_on_event(persistence, idempotency_config)
@tracer.capture_method
def reserve_order(*, event: OrderEvent) -> dict[str, str]:
    """Reserve an OrderPlaced's stock once and emit the outcome (again, for an order already decided)."""
    event.require("customerId", "email", "items")
    row = reserve(event, order_lines(event))
    if row["status"] not in OUTCOME_BY_STATUS and not row.get("unavailable"):
        # RELEASED, PAYMENT_FAILED or FULFILLMENT_FAILED: the saga is past the reservation.
        logger.info("Nothing reserved: the order was compensated", extra={"reservation_status": row["status"]})
        return {"orderId": event.order_id, "outcome": "none", "reservationStatus": str(row["status"])}
    outcome = outcome_event(row)
    publisher.publish(outcome)
    logger.info("Reservation outcome emitted", extra={"outcome": outcome.detail_type})
    return {"orderId": event.order_id, "outcome": outcome.detail_type}


def find_reservation(order_id: str) -> dict[str, Any] | None:
    response = dynamodb().get_item(TableName=RESERVATIONS_TABLE, Key={"orderId": {"S": order_id}}, ConsistentRead=True)
    return from_item(response["Item"]) if "Item" in response else None


def put_release_marker(event: OrderEvent) -> bool:
    """Put a PAYMENT_FAILED (or FULFILLMENT_FAILED) row unless the order has a reservation row; return whether
    it was put."""
    marker = {
        "orderId": event.order_id,
        "status": RELEASES[event.detail_type][1],
        "items": [],
        "customerId": str(event.detail["customerId"]),
        "email": str(event.detail["email"]),
        "correlationId": event.correlation_id,
        "releaseEventId": event.event_id,
        "createdAt": utc_now(),
    }
    try:
        dynamodb().put_item(
            TableName=RESERVATIONS_TABLE, Item=to_item(marker), ConditionExpression="attribute_not_exists(orderId)"
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return False
    return True


def release_transaction(row: Mapping[str, Any], reason: str = RELEASE_REASON) -> list[dict[str, Any]]:
    """The TransactItems: the reservation RESERVED -> RELEASED, then one increment per line."""
    update = {
        "Update": {
            "TableName": RESERVATIONS_TABLE,
            "Key": {"orderId": {"S": str(row["orderId"])}},
            "UpdateExpression": "SET #status = :released, releaseReason = :reason, releasedAt = :at",
            "ConditionExpression": "#status = :reserved",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": to_item(
                {":released": RELEASED, ":reserved": RESERVED, ":reason": reason, ":at": utc_now()}
            ),
        }
    }
    increments: list[dict[str, Any]] = [
        {
            "Update": {
                "TableName": INVENTORY_TABLE,
                "Key": {"sku": {"S": str(line["sku"])}},
                "UpdateExpression": "SET available = available + :quantity",
                "ConditionExpression": "attribute_exists(sku)",
                "ExpressionAttributeValues": {":quantity": {"N": str(int(line["quantity"]))}},
            }
        }
        for line in row["items"]
    ]
    return [update, *increments]


@tracer.capture_method
def release(row: Mapping[str, Any], reason: str = RELEASE_REASON) -> bool:
    """Release a RESERVED reservation and give its stock back; ``False`` when it is no longer RESERVED."""
    try:
        dynamodb().transact_write_items(TransactItems=release_transaction(row, reason))
    except ClientError as error:
        if error.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])]
        if reasons[:1] == [CONDITION_FAILED] and all(code == "None" for code in reasons[1:]):
            return False
        raise ReservationConflictError(f"Release of order {row['orderId']} cancelled: {reasons}") from error
    return True


def released_event(row: Mapping[str, Any]) -> OutgoingEvent:
    detail = build_detail(
        "StockReleased",
        order_id=str(row["orderId"]),
        customer_id=str(row["customerId"]),
        email=str(row["email"]),
        correlation_id=str(row["correlationId"]),
        items=[{"sku": str(line["sku"]), "quantity": int(line["quantity"])} for line in row["items"]],
        reason=str(row.get("releaseReason", RELEASE_REASON)),
    )
    return OutgoingEvent("StockReleased", detail)


@idempotent_on_event(persistence, idempotency_config)
@tracer.capture_method
def release_order(*, event: OrderEvent) -> dict[str, str]:
    """Compensate a PaymentFailed or a FulfillmentFailed: release a held reservation once, or stop one that
    has not happened."""
    event.require("customerId", "email")
    reason = RELEASES[event.detail_type][0]
    for _ in range(MAX_RELEASE_ATTEMPTS):
        row = find_reservation(event.order_id)
        if row is None:
            if put_release_marker(event):
                logger.info("Compensated before the reservation: nothing will be reserved")
                return {"orderId": event.order_id, "outcome": "released_before_reservation"}
            continue
        if row["status"] == RESERVED:
            if not release(row, reason):
                continue
            row = {**row, "status": RELEASED, "releaseReason": reason}
        if row["status"] == RELEASED:
            publisher.publish(released_event(row))
            logger.info("Reservation released")
            return {"orderId": event.order_id, "outcome": "StockReleased"}
        logger.info("Nothing to release", extra={"reservation_status": row["status"]})
        return {"orderId": event.order_id, "outcome": "none", "reservationStatus": str(row["status"])}
    raise RuntimeError(f"Reservation of order {event.order_id} kept changing; {event.detail_type} will be retried")


HANDLERS: Mapping[str, Callable[..., dict[str, str]]] = {
    "OrderPlaced": reserve_order,
    "PaymentFailed": release_order,
    "FulfillmentFailed": release_order,
}


def record_handler(record: SQSRecord) -> dict[str, str]:
    event = parse_sqs_record(record)
    logger.append_keys(correlation_id=event.correlation_id, order_id=event.order_id, event_id=event.event_id)
    return dispatch(event, HANDLERS, "The warehouse")


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_sqs_batch(event, context, record_handler, processor, idempotency_config)
