"""Orders: takes orders through the public API and keeps each order's status and history.

Produces OrderPlaced (source eventshop.orders) through a transactional outbox: the API function only saves
the order; the orders table's stream drives the outbox relay, which publishes it. ItemAddedToCart
(source eventshop.carts) straight from API Gateway. The order-status projector consumes every
lifecycle event (queued) and writes it onto the order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from components import Grant, LambdaFunction, QueuedConsumer, StreamConsumer, StreamConsumerArgs, Table, TableIndex
from components.rest_api import RestApi
from services.context import ServiceContext, idempotency_grant, table_grant
from services.public_api import public_api_args

SOURCE = "eventshop.orders"
#: GET /orders: a customer's orders by creation time (handlers/orders/history.py).
BY_CUSTOMER = TableIndex("byCustomer", "customerId", "createdAt")
PROJECTED = (
    "OrderPlaced",
    "PaymentSucceeded",
    "PaymentFailed",
    "PaymentRefunded",
    "StockReserved",
    "OutOfStock",
    "StockReleased",
    "OrderShipped",
    "FulfillmentFailed",
)


class Orders(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        ctx: ServiceContext,
        inventory: Table,
        catalog: Sequence[Mapping[str, Any]],
        user_pool_arn: pulumi.Input[str],
        cors_origin: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:services:Orders", name, None, opts)
        self.catalog = ctx.table(
            "catalog",
            "sku",
            seed_items=[{key: item[key] for key in ("sku", "name", "price", "currency")} for item in catalog],
            parent=self,
        )
        # The stream is the outbox: every saved order is one INSERT record the relay publishes.
        self.orders = ctx.table("orders", "orderId", stream=True, indexes=(BY_CUSTOMER,), parent=self)
        # The payment token of each order, written with the order, read (and deleted) by Billing alone, so
        # the token never rides an event; rows expire after the DLQ retention if Billing never charges.
        self.payment_intents = ctx.table("payment-intents", "orderId", ttl_attribute="expiresAt", parent=self)
        # Holds each (customer, Idempotency-Key) while its request runs and its answer for 24 hours.
        self.api_idempotency = ctx.idempotency_table("orders-api", parent=self)
        self.api_function = LambdaFunction(
            "orders-api",
            ctx.function(
                "handlers.orders.api.handler",
                "orders",
                environment={
                    "ORDERS_TABLE": self.orders.table.name,
                    "CATALOG_TABLE": self.catalog.table.name,
                    "INVENTORY_TABLE": inventory.table.name,
                    "IDEMPOTENCY_TABLE": self.api_idempotency.table.name,
                    "PAYMENT_INTENTS_TABLE": self.payment_intents.table.name,
                    "ORDERS_BY_CUSTOMER_INDEX": BY_CUSTOMER.name,
                    # The storefront's origin: the only page whose browser may read the answers (CORS).
                    "ALLOWED_ORIGIN": cors_origin,
                },
                grants=(
                    table_grant(self.catalog, "dynamodb:Scan", "dynamodb:BatchGetItem"),
                    table_grant(inventory, "dynamodb:BatchGetItem"),
                    table_grant(self.orders, "dynamodb:PutItem", "dynamodb:GetItem"),
                    # GET /orders reads the caller's page from the index, never the table.
                    Grant(
                        ("dynamodb:Query",),
                        (pulumi.Output.concat(self.orders.table.arn, f"/index/{BY_CUSTOMER.name}"),),
                    ),
                    idempotency_grant(self.api_idempotency),
                    # Only inside the order's TransactWriteItems; Orders never reads a token back.
                    table_grant(self.payment_intents, "dynamodb:PutItem"),
                ),
                # Guaranteed: no burst elsewhere in the account can starve the API (README: "Concurrency").
                reserved_concurrency=ctx.settings.concurrency.api,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # A stream, not a sweeper: see handlers/orders/outbox.py. Retried until published or too old for the
        # stack's settings; IteratorAge pages on-call when an order waits longer than the stack allows.
        self.outbox = StreamConsumer(
            "orders-outbox",
            StreamConsumerArgs(
                stream_arn=self.orders.table.stream_arn,
                maximum_record_age_seconds=ctx.settings.outbox.maximum_record_age_seconds,
                max_iterator_age_seconds=ctx.settings.outbox.alarm_after_seconds,
                # Only a new order is published; the projector's updates never invoke the relay.
                filter_patterns=({"eventName": ["INSERT"]},),
                function=ctx.function(
                    "handlers.orders.outbox.handler",
                    "orders",
                    environment={"ORDERS_TABLE": self.orders.table.name},
                    grants=(table_grant(self.orders, "dynamodb:UpdateItem"),),
                    emits=SOURCE,
                    # One batch per shard at a time; bounded like a queued consumer, so a replay of the
                    # stream cannot take the API's share (README: "Concurrency").
                    reserved_concurrency=ctx.settings.consumers.maximum_concurrency,
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Every route but GET /products trusts the customers' pool's ID tokens, and nothing else.
        self.api = RestApi(
            "orders-api",
            public_api_args(
                self.api_function.function, ctx.bus, user_pool_arn, ctx.settings.api, cors_origin=cors_origin
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Retired: the projector's conditional write refuses an applied event by itself (appliedEventIds), and
        # no function reads or writes this table. Kept until every deployed stack runs that code (its records
        # expire within 24 h); then dropped with `make stateful-urns` --forget.
        self.projector_idempotency = ctx.idempotency_table("order-status", parent=self)
        self.projector = QueuedConsumer(
            "order-status",
            ctx.queued(
                PROJECTED,
                ctx.function(
                    "handlers.orders.projector.handler",
                    "orders",
                    environment={"ORDERS_TABLE": self.orders.table.name},
                    grants=(table_grant(self.orders, "dynamodb:UpdateItem", "dynamodb:GetItem"),),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"api_url": self.api.url, "orders_table": self.orders.table.name})
