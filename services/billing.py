"""Billing: charges each placed order once and records the payment.

Consumes OrderPlaced and OutOfStock (queued). Emits PaymentSucceeded / PaymentFailed, and PaymentRefunded
when OutOfStock compensates a captured payment (source eventshop.billing). Writes an invoice document
``invoices/<orderId>.json`` for every captured payment to the invoices bucket, whose Object Created events
go to EventBridge.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components import Bucket, BucketArgs, Grant, QueuedConsumer, Table
from components.base import physical_name
from components.event_forwarder import EventForwarder, EventForwarderArgs
from services.context import ServiceContext, idempotency_grant, table_grant

SOURCE = "eventshop.billing"
CONSUMES = ("OrderPlaced", "OutOfStock")
#: Billing writes invoices under this prefix only, and may write nowhere else in the bucket.
INVOICE_PREFIX = "invoices/"


def invoice_created_pattern(bucket_name: str) -> dict[str, Any]:
    """S3's Object Created events for new invoices in ``bucket_name`` (on the default or the shop bus)."""
    return {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [bucket_name]}, "object": {"key": [{"prefix": INVOICE_PREFIX}]}},
    }


class Billing(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        ctx: ServiceContext,
        payment_intents: Table,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``payment_intents``: Orders' table of payment tokens by order id, which only Billing may read."""
        super().__init__("eventshop:services:Billing", name, None, opts)
        self.payments = ctx.table("payments", "orderId", parent=self)
        self.idempotency = ctx.idempotency_table("billing", parent=self)
        # A plain string, known before deployment: rule patterns filter on it.
        self.invoices_bucket_name = physical_name("invoices")
        self.invoices = Bucket(
            "invoices",
            BucketArgs(
                expiration_days=ctx.settings.invoices.retention_days,
                eventbridge=True,
                protect=ctx.settings.data.protect,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # S3 sends its events to the default bus only; this rule brings the invoices' ones to the shop bus.
        self.invoice_events = EventForwarder(
            "invoices-forward",
            EventForwarderArgs(
                to_bus=ctx.bus,
                pattern=invoice_created_pattern(self.invoices_bucket_name),
                sources=("aws.s3",),
                alarm_topic_arn=ctx.alarm_topic_arn,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.consumer = QueuedConsumer(
            "billing",
            ctx.queued(
                CONSUMES,
                ctx.function(
                    "handlers.billing.app.handler",
                    "billing",
                    environment={
                        "PAYMENTS_TABLE": self.payments.table.name,
                        "PAYMENT_INTENTS_TABLE": payment_intents.table.name,
                        "IDEMPOTENCY_TABLE": self.idempotency.table.name,
                        "INVOICES_BUCKET": self.invoices.bucket.bucket,
                    },
                    grants=(
                        # UpdateItem: the refund's conditional CAPTURED -> REFUNDED.
                        table_grant(self.payments, "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"),
                        # The token of one order, read right before the charge and deleted once it is recorded.
                        table_grant(payment_intents, "dynamodb:GetItem", "dynamodb:DeleteItem"),
                        idempotency_grant(self.idempotency),
                        Grant(
                            actions=("s3:PutObject",),
                            resources=(self.invoices.bucket.arn.apply(lambda arn: f"{arn}/{INVOICE_PREFIX}*"),),
                        ),
                    ),
                    emits=SOURCE,
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs(
            {"payments_table": self.payments.table.name, "invoices_bucket": self.invoices.bucket.bucket}
        )
