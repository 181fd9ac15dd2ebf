"""Live: pushes each status change of a customer's orders to the customer's open WebSocket connections.

A WebSocket API whose `$connect` a Lambda authorizer guards with the same Cognito ID tokens as the REST
API (``?token=``, since browsers cannot set headers on a WebSocket); a connections table (TTL, an index by
customer); and a notifier on the orders table's stream (its second consumer, beside the outbox relay)
that may post only to this API's connections. Consumes no events and emits none.
"""

from __future__ import annotations

import dataclasses

import pulumi

from components import LambdaFunction, StreamConsumer, StreamConsumerArgs, Table, TableIndex
from components.python_layer import PythonLayer, PythonLayerArgs
from components.websocket_api import CONNECT, DEFAULT, DISCONNECT, Throttling, WebSocketApi, WebSocketApiArgs
from services.context import ServiceContext, idempotency_grant, table_grant
from services.identity import Identity

#: Built by `make layers` from layers/jose/requirements.txt (joserfc + cryptography for arm64, python3.13).
JOSE_LAYER_DIRECTORY = "build/layers/jose"
CONNECTIONS_BY_CUSTOMER = "byCustomer"


class Live(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        ctx: ServiceContext,
        identity: Identity,
        orders: Table,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:services:Live", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.jose = PythonLayer(
            "jose",
            PythonLayerArgs(
                directory=JOSE_LAYER_DIRECTORY,
                build_command="make layers",
                description="joserfc and cryptography for the WebSocket authorizer",
            ),
            opts=child,
        )
        self.connections = ctx.table(
            "connections",
            "connectionId",
            indexes=(TableIndex(CONNECTIONS_BY_CUSTOMER, "customerId"),),
            ttl_attribute="expiresAt",
            parent=self,
        )
        authorizer_args = ctx.function(
            "handlers.live.authorizer.handler",
            "live",
            environment={"USER_POOL_ISSUER": identity.issuer, "USER_POOL_CLIENT_ID": identity.client_id},
            # Capped like a consumer: a storm of reconnecting browsers waits (API Gateway answers 500, clients
            # retry) rather than taking the orders API's share (README: "Concurrency").
            reserved_concurrency=ctx.settings.consumers.maximum_concurrency,
        )
        self.authorizer = LambdaFunction(
            "live-authorizer",
            dataclasses.replace(authorizer_args, layers=(*authorizer_args.layers, self.jose.layer.arn)),
            opts=child,
        )
        self.routes = LambdaFunction(
            "live-connections",
            ctx.function(
                "handlers.live.connections.handler",
                "live",
                environment={"CONNECTIONS_TABLE": self.connections.table.name},
                grants=(table_grant(self.connections, "dynamodb:PutItem", "dynamodb:DeleteItem"),),
                reserved_concurrency=ctx.settings.consumers.maximum_concurrency,
            ),
            opts=child,
        )
        api_settings = ctx.settings.api
        self.api = WebSocketApi(
            "live",
            WebSocketApiArgs(
                routes={
                    CONNECT: self.routes.function,
                    DISCONNECT: self.routes.function,
                    DEFAULT: self.routes.function,
                },
                authorizer=self.authorizer.function,
                throttling=Throttling(
                    rate_limit=api_settings.throttle_rate_limit, burst_limit=api_settings.throttle_burst_limit
                ),
                log_retention_days=ctx.settings.log_retention_days,
            ),
            opts=child,
        )
        self.notifier_idempotency = ctx.idempotency_table("live-notifier", parent=self)
        # The orders table's second stream consumer: every write is a record, the notifier pushes each status
        # once (handlers/live/notifier.py). Removals (none today) never invoke it.
        self.notifier = StreamConsumer(
            "live-notifier",
            StreamConsumerArgs(
                stream_arn=orders.table.stream_arn,
                filter_patterns=({"eventName": ["INSERT", "MODIFY"]},),
                function=ctx.function(
                    "handlers.live.notifier.handler",
                    "live",
                    environment={
                        "CONNECTIONS_TABLE": self.connections.table.name,
                        "CONNECTIONS_INDEX": CONNECTIONS_BY_CUSTOMER,
                        "MANAGEMENT_ENDPOINT": self.api.management_endpoint,
                        "IDEMPOTENCY_TABLE": self.notifier_idempotency.table.name,
                    },
                    grants=(
                        dataclasses.replace(
                            table_grant(self.connections, "dynamodb:Query"),
                            resources=(
                                pulumi.Output.concat(self.connections.table.arn, f"/index/{CONNECTIONS_BY_CUSTOMER}"),
                            ),
                        ),
                        table_grant(self.connections, "dynamodb:DeleteItem"),
                        idempotency_grant(self.notifier_idempotency),
                        self.api.manage_connections,
                    ),
                    reserved_concurrency=ctx.settings.consumers.maximum_concurrency,
                ),
            ),
            opts=child,
        )
        self.url = self.api.url
        self.register_outputs({"websocket_url": self.url})
