"""Status notifier: pushes each status change of an order to its owner's open WebSocket connections.

Handler string ``handlers.live.notifier.handler``, triggered by the orders table's stream (``NEW_IMAGE``; the
second consumer of that stream, beside the outbox relay) through an event source mapping with
``ReportBatchItemFailures``. Environment: ``CONNECTIONS_TABLE``, ``CONNECTIONS_INDEX``,
``MANAGEMENT_ENDPOINT`` (the API's ``https://<api>.execute-api.<region>.amazonaws.com/<stage>``),
``IDEMPOTENCY_TABLE``.

Why the stream and not the bus: the status a customer sees is what the projector wrote, and the stream
carries exactly that, in write order per order; the bus carries facts (PaymentSucceeded, OutOfStock) whose
resulting status depends on the projector's precedence rules, which a second reader would have to repeat.

Every write to an order is a record (the relay marking it published, history-only entries), and with
``NEW_IMAGE`` a record cannot say whether the status changed. So each push is idempotent on
(``orderId``, ``status``): an order reaches each status at most once (statuses only move forward), the first
record showing a status while its owner has a connection pushes it and later ones are no-ops, and a retried
batch does not push twice. The connections are looked up first: with none (the owner is not watching, the
common case) there is nothing to push and nothing to remember, so no idempotency record is written; a later
record of the same status, once the owner is connected, pushes it then (a connection never gets a status
twice).
Most records repeat a status already pushed (the relay's mark, history-only entries), so the container keeps
the completed keys in memory too (Powertools' local cache): a repeat it has seen costs no DynamoDB call, and
one it has not (another container pushed it) still finds the record in the table.
``updatedAt`` is when the order reached that status (its first history entry with it).

A message is ``{"type": "orderStatus", "orderId", "status", "updatedAt"}``: no address, no items, no token.
A connection API Gateway no longer has (``GoneException``, 410) or whose row outlived its TTL is deleted.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.shared.clients import client_at, table
from handlers.shared.redaction import redacting_logger
from handlers.shared.runtime import IDEMPOTENCY_TTL_SECONDS, LazyDynamoDBPersistenceLayer

logger = redacting_logger()
CONNECTIONS_TABLE = os.environ["CONNECTIONS_TABLE"]
CONNECTIONS_INDEX = os.environ["CONNECTIONS_INDEX"]
MANAGEMENT_ENDPOINT = os.environ["MANAGEMENT_ENDPOINT"]
MESSAGE_TYPE = "orderStatus"
#: What a push says about the order (its owner's id is only used to find the connections).
MESSAGE_FIELDS = ("orderId", "status", "updatedAt")

persistence = LazyDynamoDBPersistenceLayer(os.environ["IDEMPOTENCY_TABLE"])
idempotency_config = IdempotencyConfig(
    event_key_jmespath="[orderId, status]",
    raise_on_no_idempotency_key=True,
    expires_after_seconds=IDEMPOTENCY_TTL_SECONDS,
    # Safe to cache: a completed (order, status) never becomes pushable again (statuses only move forward),
    # Powertools caches completed records only, and drops one once it expires.
    use_local_cache=True,
)
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


def connections_table() -> Any:
    return table(CONNECTIONS_TABLE)


def management_api() -> Any:
    return client_at("apigatewaymanagementapi", MANAGEMENT_ENDPOINT)


def now() -> dt.datetime:
    """The time expired rows are judged by (the local cloud replaces it with its clock)."""
    return dt.datetime.now(dt.UTC)


def status_change(order: Mapping[str, Any]) -> dict[str, str] | None:
    """The message an order's image calls for, or ``None`` if it has no owner or status (not an order row)."""
    order_id, customer_id, status = order.get("orderId"), order.get("customerId"), order.get("status")
    if not (isinstance(order_id, str) and isinstance(customer_id, str) and isinstance(status, str)):
        return None
    reached = [entry.get("at") for entry in order.get("history") or [] if entry.get("status") == status]
    updated_at = next((str(at) for at in reached if at), None) or str(order.get("createdAt") or "")
    return {"orderId": order_id, "customerId": customer_id, "status": status, "updatedAt": updated_at}


def open_connections(customer_id: str) -> Iterator[Mapping[str, Any]]:
    query: dict[str, Any] = {
        "IndexName": CONNECTIONS_INDEX,
        "KeyConditionExpression": "customerId = :customer",
        "ExpressionAttributeValues": {":customer": customer_id},
    }
    while True:
        page = connections_table().query(**query)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def forget(connection_id: str) -> None:
    connections_table().delete_item(Key={"connectionId": connection_id})


def _push(*, change: dict[str, str], connections: list[Mapping[str, Any]]) -> dict[str, int]:
    """Send the change to each of its owner's ``connections``; forget the ones that are gone."""
    message = json.dumps({"type": MESSAGE_TYPE, **{key: change[key] for key in MESSAGE_FIELDS}}).encode()
    api = management_api()
    delivered = gone = 0
    for connection in connections:
        connection_id = str(connection["connectionId"])
        if float(connection.get("expiresAt") or 0) < now().timestamp():
            forget(connection_id)
            gone += 1
            continue
        try:
            api.post_to_connection(ConnectionId=connection_id, Data=message)
            delivered += 1
        except api.exceptions.GoneException:
            forget(connection_id)
            gone += 1
    logger.info("Status pushed", extra={"status": change["status"], "delivered": delivered, "gone": gone})
    return {"delivered": delivered, "gone": gone}


#: Once per (orderId, status), keyed on ``change`` only: the result is stored, and a later record showing the
#: same status returns it.
push: Callable[..., dict[str, int]] = idempotent_function(
    _push, data_keyword_argument="change", persistence_store=persistence, config=idempotency_config
)


def record_handler(record: DynamoDBRecord) -> None:
    image = record.dynamodb.new_image if record.dynamodb else None
    change = status_change(image or {})
    if change is None:
        return
    logger.append_keys(order_id=change["orderId"])
    connections = list(open_connections(change["customerId"]))
    if not connections:
        logger.info("No open connection: nothing to push", extra={"status": change["status"]})
        return
    push(change=change, connections=connections)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    idempotency_config.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
