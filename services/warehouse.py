"""Warehouse: reserves stock for each placed order with conditional writes, never overselling.

Consumes OrderPlaced, PaymentFailed and FulfillmentFailed (queued). Emits StockReserved / OutOfStock, and
StockReleased when PaymentFailed or FulfillmentFailed compensates a reservation (source eventshop.warehouse).
Owns the inventory table, which the Orders API reads to show what is in stock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from components import QueuedConsumer
from services.context import ServiceContext, idempotency_grant, table_grant

SOURCE = "eventshop.warehouse"
CONSUMES = ("OrderPlaced", "PaymentFailed", "FulfillmentFailed")


class Warehouse(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        ctx: ServiceContext,
        catalog: Sequence[Mapping[str, Any]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:services:Warehouse", name, None, opts)
        self.inventory = ctx.table(
            "inventory",
            "sku",
            seed_items=[{"sku": item["sku"], "available": item["stock"]} for item in catalog],
            parent=self,
        )
        self.reservations = ctx.table("reservations", "orderId", parent=self)
        self.idempotency = ctx.idempotency_table("warehouse", parent=self)
        self.consumer = QueuedConsumer(
            "warehouse",
            ctx.queued(
                CONSUMES,
                ctx.function(
                    "handlers.warehouse.app.handler",
                    "warehouse",
                    environment={
                        "INVENTORY_TABLE": self.inventory.table.name,
                        "RESERVATIONS_TABLE": self.reservations.table.name,
                        "IDEMPOTENCY_TABLE": self.idempotency.table.name,
                    },
                    grants=(
                        # One transaction: decrement each line's stock and put the reservation; the release
                        # adds the stock back and updates the reservation RESERVED -> RELEASED.
                        table_grant(self.inventory, "dynamodb:UpdateItem"),
                        table_grant(self.reservations, "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"),
                        idempotency_grant(self.idempotency),
                    ),
                    emits=SOURCE,
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"inventory_table": self.inventory.table.name})
