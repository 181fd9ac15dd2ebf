"""The fulfillment state machine's definition (Amazon States Language), as a dict.

    ReadOrder -> Claim -> GetCustomer .. UpdateCustomer -> WaitForReservation -> Ship -> EmitShipped
                   |              each task's Catch:  | OutOfStock -> NotShipped (Billing refunds on OutOfStock)
                   |                                  | anything else, the deadline included -> CancelShipment
                   |                                      -> EmitFailed -> Failed
                   | already claimed -> AlreadyClaimed

WaitForReservation hands its task token to Fulfillment's reservations consumer through its queue
(`sqs:sendMessage.waitForTaskToken`) and sleeps until StockReserved (SendTaskSuccess) or OutOfStock
(SendTaskFailure) resumes it, or until its TimeoutSeconds (the deadline) passes. A compensated execution
ends in the Fail state, so the ExecutionsFailed alarm pages on-call.

Built in Python in this module of its own, not kept as an ASL file with placeholders: its DynamoDB and
PutEvents tasks share their retriers, catchers and event metadata, which a template would write out at each
task. The rendered document is checked before deployment (components/asl.py, run by Workflow on every
definition) and executed by moto's interpreter in tests/handlers/test_fulfillment_workflow.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SOURCE = "eventshop.fulfillment"
SHIPPING_SPEED = {"new": "standard", "returning": "express", "vip": "priority"}
#: The error Fulfillment's reservations consumer fails the wait with when Warehouse has no stock.
OUT_OF_STOCK_ERROR = "OutOfStock"
#: The Fail state's error: the order was compensated (refund, release, mail, CANCELLED) and on-call paged.
FAILED_ERROR = "FulfillmentFailed"
#: What EventBridge answers when it throttles or fails (5xx), as Step Functions names it, and
#: `EventBridge.FailedEntry` for a put whose entry failed (PutEvents reports throttled entries that way).
#: `States.TaskFailed` closes the list: any other name a 5xx may surface under is retried too.
PUT_EVENTS_RETRYABLE = (
    "EventBridge.ThrottlingException",
    "EventBridge.InternalException",
    "EventBridge.EventBridgeException",
    "EventBridge.FailedEntry",
    "States.TaskFailed",
)
DYNAMODB_RETRYABLE = ("DynamoDB.ProvisionedThroughputExceededException", "DynamoDB.InternalServerError")


@dataclass(frozen=True, kw_only=True)
class Backoff:
    """Retry of a throttled or failed service call: 1, 2, 4, 8, 16, 30 s (about a minute in all)."""

    interval_seconds: int = 1
    backoff_rate: float = 2.0
    max_attempts: int = 6
    max_delay_seconds: int = 30
    #: FULL spreads the retries of many throttled executions; NONE makes the intervals exact (tests).
    jitter: str = "FULL"

    def retrier(self, *errors: str) -> dict[str, Any]:
        return {
            "ErrorEquals": list(errors),
            "IntervalSeconds": self.interval_seconds,
            "BackoffRate": self.backoff_rate,
            "MaxAttempts": self.max_attempts,
            "MaxDelaySeconds": self.max_delay_seconds,
            "JitterStrategy": self.jitter,
        }


@dataclass(frozen=True, kw_only=True)
class Resources:
    """What the definition names: the bus, Fulfillment's tables and its reservations consumer's queue."""

    bus_name: str
    customers_table: str
    shipments_table: str
    waits_queue_url: str


def _task(
    resource: str, parameters: dict[str, Any], next_state: str | None, retry: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": f"arn:aws:states:::{resource}",
        "Parameters": parameters,
        "Retry": retry,
        **extra,
    }
    if next_state is None:
        state["End"] = True
    else:
        state["Next"] = next_state
    return state


def _metadata(detail_type: str) -> dict[str, Any]:
    return {
        # Deterministic per order and detail-type: a duplicate execution puts the same event id, so every
        # consumer's idempotency store drops it. (uuid5 needs the namespace's raw bytes, which ASL cannot
        # build, so the id is the SHA-1 of the same "<orderId>:<detailType>" name.)
        "eventId.$": f"States.Hash(States.Format('{{}}:{detail_type}', $.order.orderId), 'SHA-1')",
        "correlationId.$": "$.order.correlationId",
        "schemaVersion": "1",
        "occurredAt.$": "$$.State.EnteredTime",
    }


class _Builder:
    def __init__(self, resources: Resources, backoff: Backoff) -> None:
        self.r = resources
        self.backoff = backoff

    def dynamodb(self, action: str, parameters: dict[str, Any], next_state: str | None, **extra: Any) -> dict[str, Any]:
        return _task(f"dynamodb:{action}", parameters, next_state, [self.backoff.retrier(*DYNAMODB_RETRYABLE)], **extra)

    def put_event(self, detail_type: str, detail: dict[str, Any], next_state: str | None) -> dict[str, Any]:
        entry = {
            "EventBusName": self.r.bus_name,
            "Source": SOURCE,
            "DetailType": detail_type,
            "Detail": {**detail, "metadata": _metadata(detail_type)},
        }
        return _task(
            "events:putEvents",
            {"Entries": [entry]},
            next_state,
            [self.backoff.retrier(*PUT_EVENTS_RETRYABLE)],
            ResultPath=None,
        )

    def set_shipment(self, status: str, next_state: str, reason_path: str | None = None) -> dict[str, Any]:
        values: dict[str, Any] = {":status": {"S": status}, ":fulfilling": {"S": "FULFILLING"}}
        update = "SET #status = :status"
        if reason_path:
            update += ", reason = :reason"
            values[":reason"] = {"S.$": reason_path}
        return self.dynamodb(
            "updateItem",
            {
                "TableName": self.r.shipments_table,
                "Key": {"orderId": {"S.$": "$.order.orderId"}},
                "UpdateExpression": update,
                "ConditionExpression": "#status = :fulfilling",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": values,
            },
            next_state,
            ResultPath=None,
        )


#: Every task before the shipment: a failure is compensated; OutOfStock ends without shipping or paging.
BEFORE_SHIPMENT_CATCH = [
    {"ErrorEquals": [OUT_OF_STOCK_ERROR], "ResultPath": "$.error", "Next": "NotShipped"},
    {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "CancelShipment"},
]


def _classify_states(b: _Builder, vip_threshold: int) -> dict[str, Any]:
    """GetCustomer .. UpdateCustomer: the customer's status picks the shipping speed."""
    customer_key = {"customerId": {"S.$": "$.order.customerId"}}
    return {
        "GetCustomer": b.dynamodb(
            "getItem",
            {"TableName": b.r.customers_table, "Key": customer_key, "ConsistentRead": True},
            "KnownCustomer",
            ResultPath="$.customer",
            Catch=BEFORE_SHIPMENT_CATCH,
        ),
        "KnownCustomer": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.customer.Item.ordersCount.N", "IsPresent": True, "Next": "CountOrders"}],
            "Default": "FirstOrder",
        },
        "FirstOrder": {"Type": "Pass", "Result": {"count": 0}, "ResultPath": "$.previous", "Next": "Classify"},
        "CountOrders": {
            "Type": "Pass",
            "Parameters": {"count.$": "States.StringToJson($.customer.Item.ordersCount.N)"},
            "ResultPath": "$.previous",
            "Next": "Classify",
        },
        "Classify": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.previous.count", "NumericEquals": 0, "Next": "New"},
                {"Variable": "$.previous.count", "NumericGreaterThanEquals": vip_threshold, "Next": "Vip"},
            ],
            "Default": "Returning",
        },
        **{
            state: {
                "Type": "Pass",
                "Result": {"status": status, "shippingSpeed": SHIPPING_SPEED[status]},
                "ResultPath": "$.customerClass",
                "Next": "UpdateCustomer",
            }
            for state, status in (("New", "new"), ("Returning", "returning"), ("Vip", "vip"))
        },
        "UpdateCustomer": b.dynamodb(
            "updateItem",
            {
                "TableName": b.r.customers_table,
                "Key": customer_key,
                "UpdateExpression": "ADD ordersCount :one SET #status = :status, lastOrderId = :orderId",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {
                    ":one": {"N": "1"},
                    ":status": {"S.$": "$.customerClass.status"},
                    ":orderId": {"S.$": "$.order.orderId"},
                },
            },
            "WaitForReservation",
            ResultPath=None,
            Catch=BEFORE_SHIPMENT_CATCH,
        ),
    }


def definition(
    resources: Resources, vip_threshold: int, reservation_deadline_seconds: int, backoff: Backoff = Backoff()
) -> dict[str, Any]:
    """The state machine as a dict (JSON-serialisable once the names are resolved)."""
    b = _Builder(resources, backoff)
    order_key = {"orderId": {"S.$": "$.order.orderId"}}
    wait_for_reservation = _task(
        "sqs:sendMessage.waitForTaskToken",
        {
            "QueueUrl": resources.waits_queue_url,
            # The token goes to Fulfillment's own consumer only, never onto the bus or into the archive.
            "MessageBody": {
                "kind": "ReservationAwaited",
                "orderId.$": "$.order.orderId",
                "taskToken.$": "$$.Task.Token",
            },
        },
        "Ship",
        # Only the send is retried: the consumer fails the wait with OutOfStock, and the deadline is
        # States.Timeout, which States.TaskFailed does not match.
        [{**b.backoff.retrier("SQS.SdkClientException", "SQS.AmazonSQSException"), "MaxAttempts": 3}],
        TimeoutSeconds=reservation_deadline_seconds,
        ResultPath="$.reservation",
        Catch=BEFORE_SHIPMENT_CATCH,
    )
    failed_detail = {
        "orderId.$": "$.order.orderId",
        "customerId.$": "$.order.customerId",
        "email.$": "$.order.email",
        "reason.$": "$.error.Error",
    }
    shipped_detail = {
        "orderId.$": "$.order.orderId",
        "customerId.$": "$.order.customerId",
        "email.$": "$.order.email",
        "shippingSpeed.$": "$.customerClass.shippingSpeed",
        "trackingId.$": "States.Format('TRK-{}', $$.Execution.Name)",
        "customerStatus.$": "$.customerClass.status",
    }
    return {
        "Comment": "Ships a paid order: classify the customer, wait for the stock under a deadline, ship, emit "
        "OrderShipped; past the deadline, cancel the shipment, emit FulfillmentFailed (Billing refunds, Warehouse "
        "releases, Email tells the customer, the projector cancels) and fail, so on-call is paged.",
        "StartAt": "ReadOrder",
        "States": {
            "ReadOrder": {
                "Type": "Pass",
                "Parameters": {
                    "orderId.$": "$.detail.orderId",
                    "customerId.$": "$.detail.customerId",
                    "email.$": "$.detail.email",
                    "correlationId.$": "$.detail.metadata.correlationId",
                },
                "ResultPath": "$.order",
                "Next": "Claim",
            },
            # A duplicate PaymentSucceeded starts a second execution (an EventBridge target cannot name it);
            # only the first claims the order, the duplicate ends quietly. An update, not a put: the
            # reservations consumer may have recorded the reservation on the row before the claim.
            "Claim": b.dynamodb(
                "updateItem",
                {
                    "TableName": resources.shipments_table,
                    "Key": order_key,
                    "UpdateExpression": "SET #status = :fulfilling, execution = :execution",
                    "ConditionExpression": "attribute_not_exists(#status)",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {
                        ":fulfilling": {"S": "FULFILLING"},
                        ":execution": {"S.$": "$$.Execution.Name"},
                    },
                },
                "GetCustomer",
                ResultPath=None,
                Catch=[{"ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"], "Next": "AlreadyClaimed"}],
            ),
            "AlreadyClaimed": {"Type": "Succeed"},
            **_classify_states(b, vip_threshold),
            "WaitForReservation": wait_for_reservation,
            "Ship": b.dynamodb(
                "updateItem",
                {
                    "TableName": resources.shipments_table,
                    "Key": order_key,
                    "UpdateExpression": "SET #status = :shipped, trackingId = :tracking, shippingSpeed = :speed",
                    "ConditionExpression": "#status = :fulfilling",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {
                        ":shipped": {"S": "SHIPPED"},
                        ":fulfilling": {"S": "FULFILLING"},
                        ":tracking": {"S.$": "States.Format('TRK-{}', $$.Execution.Name)"},
                        ":speed": {"S.$": "$.customerClass.shippingSpeed"},
                    },
                },
                "EmitShipped",
                ResultPath=None,
            ),
            # After the shipment nothing is compensated: a put that fails past its retries fails the execution
            # (ExecutionsFailed pages on-call) with SHIPPED in the table, and is redriven from there.
            "EmitShipped": b.put_event("OrderShipped", shipped_detail, None),
            # Out of stock is a business outcome, not an incident: Billing refunds on OutOfStock itself.
            "NotShipped": b.set_shipment("NOT_SHIPPED", "OutOfStockHandled", reason_path="$.error.Error"),
            "OutOfStockHandled": {"Type": "Succeed"},
            "CancelShipment": b.set_shipment("CANCELLED", "EmitFailed", reason_path="$.error.Error"),
            "EmitFailed": b.put_event("FulfillmentFailed", failed_detail, "Failed"),
            "Failed": {
                "Type": "Fail",
                "Error": FAILED_ERROR,
                "Cause": "The order could not be shipped (by its reservation deadline); it was compensated.",
            },
        },
    }
