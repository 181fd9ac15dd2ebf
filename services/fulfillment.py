"""Fulfillment: a Step Functions workflow started by PaymentSucceeded that ships the order.

Consumes PaymentSucceeded (rule -> state machine). Emits OrderShipped, or FulfillmentFailed from the Catch
around the whole flow (source eventshop.fulfillment, through the `events:putEvents` integration).
Owns the customers table (customerId -> ordersCount, status) and the shipments table (orderId -> shipment).
Reads Warehouse's reservations table (GetItem only) to wait for the order's stock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components import Workflow, WorkflowArgs
from components.base import put_events_grant
from services import events
from services.context import ServiceContext, table_grant
from services.warehouse import Warehouse

SOURCE = "eventshop.fulfillment"
CONSUMES = ("PaymentSucceeded",)
# Standard, not Express: see the README's design notes (a wait of minutes, exactly-once, and the cost).
WORKFLOW_TYPE = "STANDARD"
SHIPPING_SPEED = {"new": "standard", "returning": "express", "vip": "priority"}


@dataclass(frozen=True, kw_only=True)
class ReservationWait:
    """How long the workflow waits for Warehouse: first interval, back-off and attempts (2+4+...+64 s ~ 2 min)."""

    interval_seconds: int = 2
    backoff_rate: float = 2.0
    max_attempts: int = 6


@dataclass(frozen=True, kw_only=True)
class Tables:
    customers: str
    shipments: str
    reservations: str


def _task(resource: str, parameters: dict[str, Any], next_state: str | None, **extra: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": f"arn:aws:states:::{resource}",
        "Parameters": parameters,
        # Throttling and transient service errors are retried; everything else reaches the Catch.
        "Retry": [
            {
                "ErrorEquals": ["DynamoDB.ProvisionedThroughputExceededException", "DynamoDB.InternalServerError"],
                "IntervalSeconds": 1,
                "BackoffRate": 2.0,
                "MaxAttempts": 3,
            }
        ],
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


def definition(
    bus_name: str, tables: Tables, vip_threshold: int, wait: ReservationWait = ReservationWait()
) -> dict[str, Any]:
    """The state machine as a dict (JSON-serialisable once the names are resolved)."""
    order_key = {"orderId": {"S.$": "$.order.orderId"}}
    branch: dict[str, Any] = {
        "StartAt": "ClaimShipment",
        "States": {
            # A duplicate PaymentSucceeded starts a second execution (an EventBridge target cannot name it);
            # only the first claims the order, the duplicate ends quietly.
            "ClaimShipment": _task(
                "dynamodb:putItem",
                {
                    "TableName": tables.shipments,
                    "Item": {
                        "orderId": {"S.$": "$.order.orderId"},
                        "status": {"S": "FULFILLING"},
                        "execution": {"S.$": "$$.Execution.Name"},
                    },
                    "ConditionExpression": "attribute_not_exists(orderId)",
                },
                "GetCustomer",
                ResultPath=None,
                Catch=[{"ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"], "Next": "AlreadyClaimed"}],
            ),
            "AlreadyClaimed": {"Type": "Succeed"},
            "GetCustomer": _task(
                "dynamodb:getItem",
                {
                    "TableName": tables.customers,
                    "Key": {"customerId": {"S.$": "$.order.customerId"}},
                    "ConsistentRead": True,
                },
                "KnownCustomer",
                ResultPath="$.customer",
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
            "UpdateCustomer": _task(
                "dynamodb:updateItem",
                {
                    "TableName": tables.customers,
                    "Key": {"customerId": {"S.$": "$.order.customerId"}},
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
            ),
            # Read-only: GetItem on Warehouse's reservation, retried with back-off until it is RESERVED.
            "WaitForReservation": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "GetReservation",
                        "States": {
                            "GetReservation": _task(
                                "dynamodb:getItem",
                                {
                                    "TableName": tables.reservations,
                                    "Key": order_key,
                                    "ConsistentRead": True,
                                    "ProjectionExpression": "#status",
                                    "ExpressionAttributeNames": {"#status": "status"},
                                },
                                "Reserved",
                                ResultPath="$.reservation",
                            ),
                            "Reserved": {
                                "Type": "Choice",
                                "Choices": [
                                    {
                                        "And": [
                                            {"Variable": "$.reservation.Item.status.S", "IsPresent": True},
                                            {"Variable": "$.reservation.Item.status.S", "StringEquals": "RESERVED"},
                                        ],
                                        "Next": "ReservationFound",
                                    },
                                    {
                                        "And": [
                                            {"Variable": "$.reservation.Item.status.S", "IsPresent": True},
                                            {
                                                "Variable": "$.reservation.Item.status.S",
                                                "StringEquals": "OUT_OF_STOCK",
                                            },
                                        ],
                                        "Next": "NoStock",
                                    },
                                ],
                                "Default": "NotYet",
                            },
                            "ReservationFound": {"Type": "Succeed"},
                            "NoStock": {"Type": "Fail", "Error": "OutOfStock", "Cause": "Warehouse has no stock"},
                            "NotYet": {
                                "Type": "Fail",
                                "Error": "ReservationPending",
                                "Cause": "Warehouse has not reserved the order's stock yet",
                            },
                        },
                    }
                ],
                "Retry": [
                    {
                        "ErrorEquals": ["ReservationPending"],
                        "IntervalSeconds": wait.interval_seconds,
                        "BackoffRate": wait.backoff_rate,
                        "MaxAttempts": wait.max_attempts,
                    }
                ],
                "ResultPath": None,
                "Next": "Ship",
            },
            "Ship": _task(
                "dynamodb:updateItem",
                {
                    "TableName": tables.shipments,
                    "Key": order_key,
                    "UpdateExpression": "SET #status = :shipped, trackingId = :tracking, shippingSpeed = :speed",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {
                        ":shipped": {"S": "SHIPPED"},
                        ":tracking": {"S.$": "States.Format('TRK-{}', $$.Execution.Name)"},
                        ":speed": {"S.$": "$.customerClass.shippingSpeed"},
                    },
                },
                "EmitShipped",
                ResultPath=None,
            ),
            "EmitShipped": _task(
                "events:putEvents",
                {
                    "Entries": [
                        {
                            "EventBusName": bus_name,
                            "Source": SOURCE,
                            "DetailType": "OrderShipped",
                            "Detail": {
                                "orderId.$": "$.order.orderId",
                                "customerId.$": "$.order.customerId",
                                "email.$": "$.order.email",
                                "shippingSpeed.$": "$.customerClass.shippingSpeed",
                                "trackingId.$": "States.Format('TRK-{}', $$.Execution.Name)",
                                "customerStatus.$": "$.customerClass.status",
                                "metadata": _metadata("OrderShipped"),
                            },
                        }
                    ]
                },
                None,
                ResultPath=None,
            ),
        },
    }
    return {
        "Comment": "Ships a paid order: classify the customer, wait for the stock, ship, emit OrderShipped.",
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
                "Next": "Fulfil",
            },
            # The Catch around the whole flow: any failure becomes a FulfillmentFailed event, never silence.
            "Fulfil": {
                "Type": "Parallel",
                "Branches": [branch],
                "ResultPath": None,
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "EmitFailed"}],
                "End": True,
            },
            "EmitFailed": _task(
                "events:putEvents",
                {
                    "Entries": [
                        {
                            "EventBusName": bus_name,
                            "Source": SOURCE,
                            "DetailType": "FulfillmentFailed",
                            "Detail": {
                                "orderId.$": "$.order.orderId",
                                "customerId.$": "$.order.customerId",
                                "email.$": "$.order.email",
                                "reason.$": "$.error.Error",
                                "metadata": _metadata("FulfillmentFailed"),
                            },
                        }
                    ]
                },
                None,
                ResultPath=None,
            ),
        },
    }


class Fulfillment(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        ctx: ServiceContext,
        warehouse: Warehouse,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:services:Fulfillment", name, None, opts)
        settings = ctx.settings.fulfillment
        self.customers = ctx.table("customers", "customerId", parent=self)
        self.shipments = ctx.table("shipments", "orderId", parent=self)
        reservations = warehouse.reservations
        asl = pulumi.Output.all(
            ctx.bus.name, self.customers.table.name, self.shipments.table.name, reservations.table.name
        ).apply(
            lambda names: definition(
                str(names[0]),
                Tables(customers=str(names[1]), shipments=str(names[2]), reservations=str(names[3])),
                settings.vip_threshold,
            )
        )
        self.workflow = Workflow(
            "fulfillment",
            WorkflowArgs(
                definition=pulumi.Output.json_dumps(asl),
                bus=ctx.bus,
                starts_on=events.subscriptions(*CONSUMES)[0],
                grants=(
                    table_grant(self.customers, "dynamodb:GetItem", "dynamodb:UpdateItem"),
                    table_grant(self.shipments, "dynamodb:PutItem", "dynamodb:UpdateItem"),
                    # Cross-service, read-only: Fulfillment waits on Warehouse's reservation and never writes it.
                    table_grant(reservations, "dynamodb:GetItem"),
                    put_events_grant(ctx.bus, (SOURCE,)),
                ),
                observability=ctx.observability,
                log_level=settings.log_level,
                workflow_type=WORKFLOW_TYPE,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"state_machine_arn": self.workflow.state_machine.arn})
