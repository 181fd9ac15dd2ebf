"""Billing: charges each placed order once and records the payment.

Consumes OrderPlaced and OutOfStock (queued). Emits PaymentSucceeded / PaymentFailed, and PaymentRefunded
when OutOfStock compensates a captured payment (source eventshop.billing).
"""

from __future__ import annotations

import pulumi

from components import QueuedConsumer
from services.context import ServiceContext, idempotency_grant, table_grant

SOURCE = "eventshop.billing"
CONSUMES = ("OrderPlaced", "OutOfStock")


class Billing(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: ServiceContext, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eventshop:services:Billing", name, None, opts)
        self.payments = ctx.table("payments", "orderId", parent=self)
        self.idempotency = ctx.idempotency_table("billing", parent=self)
        self.consumer = QueuedConsumer(
            "billing",
            ctx.queued(
                CONSUMES,
                ctx.function(
                    "handlers.billing.app.handler",
                    "billing",
                    environment={
                        "PAYMENTS_TABLE": self.payments.table.name,
                        "IDEMPOTENCY_TABLE": self.idempotency.table.name,
                    },
                    grants=(
                        # UpdateItem: the refund's conditional CAPTURED -> REFUNDED.
                        table_grant(self.payments, "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"),
                        idempotency_grant(self.idempotency),
                    ),
                    emits=SOURCE,
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"payments_table": self.payments.table.name})
