"""The WebSocket API's routes: `$connect` records the connection, `$disconnect` forgets it, `$default` ignores.

Handler string ``handlers.live.connections.handler``. Environment: ``CONNECTIONS_TABLE``.

The connections table is keyed by ``connectionId`` with a global secondary index on ``customerId`` (the
notifier finds a customer's connections through it). ``expiresAt`` (TTL) is set past the longest life API
Gateway gives a connection (2 hours), so a row whose `$disconnect` never ran still goes away; until DynamoDB
removes it, the notifier's push to it answers 410 and the notifier deletes it then.

`$connect` trusts only the authorizer's context (``customerId`` = the token's ``sub``); the query string
(which holds the token) is never read or logged here. Clients have nothing to send: a message reaches
`$default`, which answers 400 to that client alone and forwards nothing.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.utilities.data_classes.api_gateway_websocket_event import APIGatewayWebSocketEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.shared.clients import table
from handlers.shared.redaction import redacting_logger

logger = redacting_logger()
CONNECTIONS_TABLE = os.environ["CONNECTIONS_TABLE"]
#: API Gateway closes a WebSocket connection after 2 hours at most; the row outlives it by a margin.
CONNECTION_TTL_SECONDS = 2 * 3600 + 600

Response = dict[str, Any]


def connections_table() -> Any:
    return table(CONNECTIONS_TABLE)


def now() -> dt.datetime:
    """The time rows are stamped with (the local cloud replaces it with its clock)."""
    return dt.datetime.now(dt.UTC)


def connect(event: APIGatewayWebSocketEvent) -> Response:
    authorizer = event.request_context.get("authorizer") or {}
    customer_id = authorizer.get("customerId") if isinstance(authorizer, Mapping) else None
    if not isinstance(customer_id, str) or not customer_id:
        # Only reachable if the route were deployed without its authorizer: refuse rather than store an orphan.
        logger.error("Connection without an authorized customer refused")
        return {"statusCode": 401, "body": "Unauthorized"}
    connected = int(now().timestamp())
    connections_table().put_item(
        Item={
            "connectionId": event.request_context.connection_id,
            "customerId": customer_id,
            "connectedAt": connected,
            "expiresAt": connected + CONNECTION_TTL_SECONDS,
        }
    )
    logger.info("Connected", extra={"customer_id": customer_id})
    return {"statusCode": 200}


def disconnect(event: APIGatewayWebSocketEvent) -> Response:
    connections_table().delete_item(Key={"connectionId": event.request_context.connection_id})
    logger.info("Disconnected", extra={"status": event.request_context.disconnect_status_code})
    return {"statusCode": 200}


def ignore_message(event: APIGatewayWebSocketEvent) -> Response:
    logger.info("Message from a client ignored", extra={"bytes": len(event.body or "")})
    return {"statusCode": 400, "body": "This API only sends; messages are ignored."}


ROUTES: Mapping[str, Callable[[APIGatewayWebSocketEvent], Response]] = {
    "$connect": connect,
    "$disconnect": disconnect,
    "$default": ignore_message,
}


def route(event: APIGatewayWebSocketEvent) -> Response:
    route_key = event.request_context.route_key
    logger.append_keys(connection_id=event.request_context.connection_id, route_key=route_key)
    answer = ROUTES.get(route_key)
    if answer is None:
        logger.error("No handler for this route")
        return {"statusCode": 404, "body": f"No route {route_key}"}
    return answer(event)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], _context: LambdaContext) -> Response:
    return route(APIGatewayWebSocketEvent(event))
