"""Fulfillment's reservations consumer: resumes the workflow waiting for the order's stock.

Handler string ``handlers.fulfillment.app.handler`` (SQS batch). Environment: ``SHIPMENTS_TABLE``.

Its queue receives two kinds of message:

- ``{"kind": "ReservationAwaited", "orderId", "taskToken"}``, sent by the workflow's WaitForReservation
  state (``sqs:sendMessage.waitForTaskToken``): the execution is waiting, here is how to resume it;
- StockReserved and OutOfStock from the bus (Warehouse's outcome for the order).

They arrive in any order, and each may arrive twice. Both go to the order's row in the shipments table
with one UpdateItem that returns the whole row (``ALL_NEW``): the token message sets ``taskToken``, the
outcome sets ``reservation`` (the first outcome stays). DynamoDB applies updates of one item one at a time,
so whichever of the two comes second sees both, and resumes the execution: SendTaskSuccess for
StockReserved, SendTaskFailure (error ``OutOfStock``) for OutOfStock. When both see both (a duplicate,
or a redelivery after a crash), the second send finds the task closed (``TaskTimedOut``,
``TaskDoesNotExist`` or ``InvalidToken``), which is success: the execution was resumed once.
A StockReserved that comes after the deadline finds the task closed the same way; the workflow has
compensated by then, and the release of that late reservation is Warehouse's (on FulfillmentFailed).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from handlers.shared.events import MalformedEventError, OrderEvent, parse_event, utc_now

logger = Logger()
tracer = Tracer()

AWAITED = "ReservationAwaited"
RESERVED = "RESERVED"
OUT_OF_STOCK = "OUT_OF_STOCK"
OUTCOME_BY_DETAIL_TYPE = {"StockReserved": RESERVED, "OutOfStock": OUT_OF_STOCK}
#: The error the workflow's Prepare state catches to end without shipping (Billing refunds on OutOfStock).
OUT_OF_STOCK_ERROR = "OutOfStock"
#: What Step Functions answers for a task that is no longer waiting: it was resumed, or timed out.
CLOSED_TASK_ERRORS = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})


@dataclass(frozen=True)
class Clients:
    dynamodb: Any
    stepfunctions: Any
    shipments_table: str


@functools.cache
def clients() -> Clients:
    """Created once per container, on first use."""
    return Clients(boto3.client("dynamodb"), boto3.client("stepfunctions"), os.environ["SHIPMENTS_TABLE"])


@functools.cache
def processor() -> BatchProcessor:
    return BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@dataclass(frozen=True)
class Wait:
    """The order's row as the update left it: the waiting task's token and Warehouse's outcome, if known."""

    order_id: str
    task_token: str | None
    reservation: str | None


def _update(order_id: str, expression: str, values: Mapping[str, Any]) -> Wait:
    response = clients().dynamodb.update_item(
        TableName=clients().shipments_table,
        Key={"orderId": {"S": order_id}},
        UpdateExpression=expression,
        ExpressionAttributeValues=dict(values),
        ReturnValues="ALL_NEW",
    )
    item = response["Attributes"]
    return Wait(
        order_id=order_id,
        task_token=item.get("taskToken", {}).get("S"),
        reservation=item.get("reservation", {}).get("S"),
    )


@tracer.capture_method
def record_wait(order_id: str, task_token: str) -> Wait:
    """The execution waits with ``task_token`` (a retried send carries a new token: the latest wins)."""
    return _update(
        order_id,
        "SET taskToken = :token, awaitedAt = :at",
        {":token": {"S": task_token}, ":at": {"S": utc_now()}},
    )


@tracer.capture_method
def record_outcome(order_id: str, reservation: str) -> Wait:
    """Warehouse decided; the first decision stays (a redelivered event cannot change it)."""
    return _update(
        order_id,
        "SET reservation = if_not_exists(reservation, :outcome), reservedAt = if_not_exists(reservedAt, :at)",
        {":outcome": {"S": reservation}, ":at": {"S": utc_now()}},
    )


@tracer.capture_method
def resume(wait: Wait) -> str:
    """Resume the waiting execution once both the token and the outcome are known; say what happened."""
    if wait.task_token is None or wait.reservation is None:
        return "recorded"
    sfn = clients().stepfunctions
    try:
        if wait.reservation == RESERVED:
            sfn.send_task_success(taskToken=wait.task_token, output=json.dumps({"reservation": RESERVED}))
        else:
            sfn.send_task_failure(
                taskToken=wait.task_token, error=OUT_OF_STOCK_ERROR, cause="Warehouse has no stock for the order"
            )
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code not in CLOSED_TASK_ERRORS:
            raise
        logger.info("The wait was already over", extra={"error_code": code})
        return "already_resumed"
    logger.info("Workflow resumed", extra={"reservation": wait.reservation})
    return "resumed"


def handle_awaited(body: Mapping[str, Any], message_id: str) -> dict[str, str]:
    order_id, token = body.get("orderId"), body.get("taskToken")
    if not isinstance(order_id, str) or not order_id or not isinstance(token, str) or not token:
        raise MalformedEventError(f"Malformed {AWAITED} message {message_id}: needs orderId and taskToken")
    logger.append_keys(order_id=order_id)
    return {"orderId": order_id, "outcome": resume(record_wait(order_id, token))}


def handle_outcome(event: OrderEvent) -> dict[str, str]:
    reservation = OUTCOME_BY_DETAIL_TYPE.get(event.detail_type)
    if reservation is None:
        raise MalformedEventError(f"Fulfillment does not handle {event.detail_type} events")
    logger.append_keys(correlation_id=event.correlation_id, order_id=event.order_id, event_id=event.event_id)
    return {"orderId": event.order_id, "outcome": resume(record_outcome(event.order_id, reservation))}


def record_handler(record: SQSRecord) -> dict[str, str]:
    try:
        body = json.loads(record.body)
    except ValueError as error:
        raise MalformedEventError(f"Malformed message {record.message_id}: not JSON") from error
    if isinstance(body, Mapping) and body.get("kind") == AWAITED:
        return handle_awaited(body, record.message_id)
    return handle_outcome(parse_event(body))


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor(), context=context)
