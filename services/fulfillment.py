"""Fulfillment: a Step Functions workflow started by PaymentSucceeded that ships the order.

Consumes PaymentSucceeded (rule -> state machine), and StockReserved / OutOfStock (queued: the reservations
consumer resumes the workflow waiting for them). Emits OrderShipped, or FulfillmentFailed when the order
cannot ship by its deadline (source eventshop.fulfillment, through the `events:putEvents` integration).
Owns the customers table (customerId -> ordersCount, status) and the shipments table (orderId -> shipment,
plus the wait's task token and the reservation's outcome, whichever arrives first).

The reservation deadline is derived from the Warehouse queue's retention: an OrderPlaced can wait in that
queue (Warehouse down, throttled, redriven) for up to its retention and still be reserved, so the workflow
waits that long plus the stack's grace; past it, the order is compensated and the execution fails.
"""

from __future__ import annotations

from collections.abc import Callable

import pulumi

from components import Grant, QueuedConsumer, Workflow, WorkflowArgs
from components.base import put_events_grant
from services import events
from services.context import ServiceContext, table_grant
from services.fulfillment_workflow import SOURCE, Resources, definition
from services.warehouse import Warehouse

CONSUMES = ("PaymentSucceeded",)
#: What resumes the workflow waiting for the reservation.
RESERVATION_OUTCOMES = ("StockReserved", "OutOfStock")
# Standard, not Express: see the README's design notes (a wait of days, exactly-once, and the cost).
WORKFLOW_TYPE = "STANDARD"
#: Step Functions' limit on a task's TimeoutSeconds is the execution's: a Standard execution lasts a year.
MAX_DEADLINE_SECONDS = 365 * 24 * 3600


def reservation_deadline_seconds(queue_retention_seconds: int, grace_minutes: int) -> int:
    """How long the workflow waits for StockReserved: the Warehouse queue's retention plus the grace."""
    deadline = int(queue_retention_seconds) + grace_minutes * 60
    if not 0 < deadline <= MAX_DEADLINE_SECONDS:
        raise ValueError(f"reservation deadline {deadline} s must be within 1..{MAX_DEADLINE_SECONDS} s")
    return deadline


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
        # The consumer resumes executions of the state machine, which needs the consumer's queue: a cycle
        # broken with a deferred output, not with a wildcard.
        state_machine_arn: pulumi.Output[str]
        resolve_state_machine_arn: Callable[[pulumi.Output[str]], None]
        state_machine_arn, resolve_state_machine_arn = pulumi.deferred_output()
        self.reservations = QueuedConsumer(
            "fulfillment-reservations",
            ctx.queued(
                RESERVATION_OUTCOMES,
                ctx.function(
                    "handlers.fulfillment.app.handler",
                    "fulfillment",
                    environment={"SHIPMENTS_TABLE": self.shipments.table.name},
                    grants=(
                        # One conditional update records the token or the outcome, whichever comes first.
                        table_grant(self.shipments, "dynamodb:UpdateItem"),
                        # The Service Authorization Reference lists no resource type for SendTask*, yet IAM
                        # evaluates them against the state machine that issued the token: AWS's own denial
                        # reads "not authorized to perform: states:SendTaskFailure on resource:
                        # arn:aws:states:...:stateMachine:...", and a grant on the state machine's ARN was
                        # verified to work in aws-cdk pull request 8486 (StateMachine.grantTaskResponse).
                        Grant(
                            actions=("states:SendTaskSuccess", "states:SendTaskFailure"),
                            resources=(state_machine_arn,),
                        ),
                    ),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        deadline = warehouse.consumer.queue.message_retention_seconds.apply(
            lambda retention: reservation_deadline_seconds(int(retention or 0), settings.reservation_grace_minutes)
        )
        asl = pulumi.Output.all(
            ctx.bus.name,
            self.customers.table.name,
            self.shipments.table.name,
            self.reservations.queue.url,
            deadline,
        ).apply(
            lambda values: definition(
                Resources(
                    bus_name=str(values[0]),
                    customers_table=str(values[1]),
                    shipments_table=str(values[2]),
                    waits_queue_url=str(values[3]),
                ),
                settings.vip_threshold,
                int(values[4]),
            )
        )
        self.workflow = Workflow(
            "fulfillment",
            WorkflowArgs(
                definition=pulumi.Output.json_dumps(asl),
                bus=ctx.bus,
                starts_on=events.subscriptions(*CONSUMES, subscriber="the fulfillment workflow")[0],
                grants=(
                    table_grant(self.customers, "dynamodb:GetItem", "dynamodb:UpdateItem"),
                    table_grant(self.shipments, "dynamodb:UpdateItem"),
                    # The wait hands its task token to the reservations consumer, and to no one else.
                    Grant(actions=("sqs:SendMessage",), resources=(self.reservations.queue.arn,)),
                    put_events_grant(ctx.bus, (SOURCE,)),
                ),
                observability=ctx.observability,
                log_level=settings.log_level,
                workflow_type=WORKFLOW_TYPE,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        resolve_state_machine_arn(self.workflow.state_machine.arn)
        self.reservation_deadline_seconds = deadline
        self.register_outputs({"state_machine_arn": self.workflow.state_machine.arn})
