"""Orders REST API: ``GET /products``, ``POST /orders``, ``GET /orders``, ``GET /orders/{orderId}``.

Handler string ``handlers.orders.api.handler``. Environment: ``ORDERS_TABLE``, ``CATALOG_TABLE``,
``INVENTORY_TABLE``, ``IDEMPOTENCY_TABLE``, ``PAYMENT_INTENTS_TABLE``, ``ORDERS_BY_CUSTOMER_INDEX``.

Who calls: API Gateway's Cognito authorizer has verified the ID token of every route but ``GET /products``
and hands its claims over in ``requestContext.authorizer.claims``. The customer is the ``sub`` claim and
their address the ``email`` claim (only when ``email_verified``), never the body, so nobody orders as
someone else or has the shop mail an address they do not own. Another customer's order answers 404,
exactly like a missing one.

A transactional outbox: the API only saves the order (and its payment intent) and answers 202; the orders
table's stream drives ``handlers.orders.outbox``, which puts OrderPlaced on the bus. A bus that is down or
throttling never fails an order the API accepted, and a retry never publishes it twice.

The payment token never leaves Orders on an event: the order and its payment intent (``{orderId,
paymentToken, expiresAt}``) are written in one transaction, and only Billing may read the intent.

``Idempotency-Key`` follows the IETF httpapi Idempotency-Key draft: a retry with the same key and body
answers what the first request answered; the same key with another body is a 422; the same key while
the first request is still being processed is a 409. Powertools idempotency holds the key (scoped to the
customer) for 24 hours; after that the order row's request fingerprint still tells a retry from a misuse.
"""

from __future__ import annotations

import os
import time
from typing import Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.utilities.data_classes.api_gateway_proxy_event import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.idempotency import (
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from handlers.orders import catalog, history, model
from handlers.shared import correlation, wire
from handlers.shared.clients import dynamodb_resource, table
from handlers.shared.events import utc_now
from handlers.shared.redaction import redacting_logger
from handlers.shared.runtime import LazyDynamoDBPersistenceLayer
from handlers.shared.validation import BodyValidator, load_contract

logger = redacting_logger()
tracer = Tracer()
ORDERS_TABLE = os.environ["ORDERS_TABLE"]
CATALOG_TABLE = os.environ["CATALOG_TABLE"]
INVENTORY_TABLE = os.environ["INVENTORY_TABLE"]
PAYMENT_INTENTS_TABLE = os.environ["PAYMENT_INTENTS_TABLE"]
ORDERS_BY_CUSTOMER_INDEX = os.environ["ORDERS_BY_CUSTOMER_INDEX"]
#: What the ID token says, never the body: naming these in a body is an error, not silently ignored.
TOKEN_FIELDS = ("customerId", "email")
place_order_validator = BodyValidator(load_contract("api/place_order.json"))
#: The storefront's origin (https://<host>), the one page allowed to read these answers from a browser. API
#: Gateway answers the preflights itself (components/rest_api_cors.py); these answers say the same.
ALLOWED_ORIGIN = os.environ["ALLOWED_ORIGIN"]
CORS_ALLOWED_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "X-Correlation-Id", "x-api-key"]
CORS_MAX_AGE_SECONDS = 600
cors = CORSConfig(allow_origin=ALLOWED_ORIGIN, allow_headers=CORS_ALLOWED_HEADERS, max_age=CORS_MAX_AGE_SECONDS)
app = APIGatewayRestResolver(serializer=wire.dumps, cors=cors)

CORRELATION_HEADER = correlation.HEADER
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY_LENGTH = 255
#: How long a key is remembered by the idempotency store (the order row's fingerprint outlives it).
IDEMPOTENCY_KEY_TTL_SECONDS = 24 * 60 * 60
idempotency_config = IdempotencyConfig(
    event_key_jmespath="[customerId, idempotencyKey]",
    payload_validation_jmespath="body",
    raise_on_no_idempotency_key=True,
    expires_after_seconds=IDEMPOTENCY_KEY_TTL_SECONDS,
)
idempotency_persistence = LazyDynamoDBPersistenceLayer(os.environ["IDEMPOTENCY_TABLE"])


def orders_table() -> Any:
    return table(ORDERS_TABLE)


def catalog_table() -> Any:
    return table(CATALOG_TABLE)


class IdempotencyKeyMismatchError(ValueError):
    """The order saved for an ``Idempotency-Key`` was placed with another request body."""


def json_response(status_code: int, body: Any) -> Response[Any]:
    return Response(status_code=status_code, content_type=content_types.APPLICATION_JSON, body=body)


def bad_request(message: str, errors: list[dict[str, str]]) -> Response[Any]:
    return json_response(400, {"message": message, "errors": errors})


def not_found(order_id: str) -> Response[Any]:
    """The same answer for a missing order and another customer's: the API is no existence oracle."""
    return json_response(404, {"message": f"Order {order_id} not found"})


def caller_of(event: APIGatewayProxyEvent) -> dict[str, str] | None:
    """``{"customerId", "email"}`` from the authorizer's claims, or ``None`` without a verified address.

    API Gateway gives every claim as a string (``email_verified`` is ``"true"``).
    """
    claims = event.request_context.authorizer.claims or {}
    sub, email = claims.get("sub"), claims.get("email")
    if not isinstance(sub, str) or not sub or not isinstance(email, str) or not email:
        return None
    if str(claims.get("email_verified", "")).lower() != "true":
        return None
    return {"customerId": sub, "email": email}


def unauthorized() -> Response[Any]:
    """What API Gateway answers a request its authorizer refused; reached only if a route lost its authorizer."""
    return json_response(401, {"message": "Unauthorized"})


def correlation_id_of(event: APIGatewayProxyEvent) -> str:
    """The caller's ``X-Correlation-Id``, else the API Gateway request id."""
    return event.headers.get(CORRELATION_HEADER) or event.request_context.request_id


def with_correlation_id(resolver: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Refuse a bad ``X-Correlation-Id`` before any route runs; put a good one on every log line, in the
    route's context and on the response."""
    correlation_id = correlation_id_of(resolver.current_event)
    problem = correlation.problem(correlation_id)
    if problem is not None:
        return bad_request(f"Invalid {CORRELATION_HEADER} header", [{"field": CORRELATION_HEADER, "message": problem}])
    logger.append_keys(correlation_id=correlation_id)
    resolver.context["correlation_id"] = correlation_id
    response = next_middleware(resolver)
    response.headers[CORRELATION_HEADER] = correlation_id
    return response


app.use(middlewares=[with_correlation_id])


@app.get("/products")
@tracer.capture_method
def list_products() -> Response[Any]:
    return json_response(200, catalog.products(dynamodb_resource(), catalog_table(), INVENTORY_TABLE))


@app.get("/orders/<order_id>")
@tracer.capture_method
def get_order(order_id: str) -> Response[Any]:
    caller = caller_of(app.current_event)
    if caller is None:
        return unauthorized()
    order = orders_table().get_item(Key={"orderId": order_id}, ConsistentRead=True).get("Item")
    if order is None or order.get("customerId") != caller["customerId"]:
        return not_found(order_id)
    return json_response(200, model.public_view(order))


@app.get("/orders")
@tracer.capture_method
def list_orders() -> Response[Any]:
    caller = caller_of(app.current_event)
    if caller is None:
        return unauthorized()
    query = app.current_event.query_string_parameters or {}
    try:
        limit = history.page_size(query.get("limit"))
        start = None
        if query.get("cursor") is not None:
            position = history.decode_cursor(str(query["cursor"]))
            stored = orders_table().get_item(Key={"orderId": position["orderId"]}, ConsistentRead=True).get("Item")
            start = history.start_key(caller["customerId"], position, stored)
    except history.PageRequestError as error:
        return bad_request(f"Invalid {error.field}", [{"field": error.field, "message": error.message}])
    return json_response(200, history.page(customer_orders(caller["customerId"], limit + 1, start), limit))


def customer_orders(customer_id: str, count: int, start: dict[str, str] | None) -> list[dict[str, Any]]:
    """Up to ``count`` of the customer's orders, newest first, after ``start`` (the index's key condition is
    the customer: no start key can reach another customer's rows)."""
    rows: list[dict[str, Any]] = []
    while len(rows) < count:
        arguments: dict[str, Any] = {
            "IndexName": ORDERS_BY_CUSTOMER_INDEX,
            "KeyConditionExpression": "customerId = :customer",
            "ExpressionAttributeValues": {":customer": customer_id},
            "ScanIndexForward": False,
            "Limit": count - len(rows),
        }
        if start is not None:
            arguments["ExclusiveStartKey"] = start
        response = orders_table().query(**arguments)
        rows += response.get("Items", [])
        start = response.get("LastEvaluatedKey")
        if start is None:
            break
    return rows


@app.post("/orders")
@tracer.capture_method
def place_order() -> Response[Any]:
    caller = caller_of(app.current_event)
    if caller is None:
        return unauthorized()
    request = valid_request(app.current_event, caller)
    if isinstance(request, Response):
        return request
    key = request["idempotencyKey"]
    try:
        placed = place_idempotently(request=request) if key is not None else place(request=request)
    except model.PricingError as error:
        return bad_request(error.message, error.errors)
    except (IdempotencyValidationError, IdempotencyKeyMismatchError):
        message = f"{IDEMPOTENCY_HEADER} {key!r} was already used for a different request"
        return json_response(422, {"message": message})
    except IdempotencyAlreadyInProgressError:
        message = f"A request with {IDEMPOTENCY_HEADER} {key!r} is still being processed; retry later"
        return json_response(409, {"message": message})
    return json_response(202, placed)


def valid_request(event: APIGatewayProxyEvent, caller: dict[str, str]) -> dict[str, Any] | Response[Any]:
    """The request to place (customer, key, correlation id, body with the caller's customerId and email),
    or the 400 naming what is wrong."""
    try:
        body = wire.loads(event.decoded_body or "")
    except ValueError:
        return bad_request("Request body is not valid JSON", [{"field": "(body)", "message": "is not valid JSON"}])
    errors = [
        {"field": error.field, "message": "comes from your ID token; remove it from the body"}
        if error.field in TOKEN_FIELDS
        else error.as_dict()
        for error in place_order_validator.errors(body)
    ]
    key = event.headers.get(IDEMPOTENCY_HEADER)
    if key is not None and not 0 < len(key) <= MAX_IDEMPOTENCY_KEY_LENGTH:
        errors.append({"field": IDEMPOTENCY_HEADER, "message": f"must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} characters"})
    if errors:
        return bad_request("Invalid request body", errors)
    return {
        "customerId": caller["customerId"],
        "idempotencyKey": key,
        "correlationId": app.context["correlation_id"],
        # The fingerprint covers what the caller sent and who they are; the order row takes both from here.
        "body": {**body, **caller},
    }


def place(*, request: dict[str, Any]) -> dict[str, str]:
    """Price and save the order of a valid request; return the 202 body (the same for every retry)."""
    body: dict[str, Any] = request["body"]
    key: str | None = request["idempotencyKey"]
    skus = [str(line["sku"]) for line in body["items"]]
    priced = model.price_lines(body["items"], catalog.batch_get(dynamodb_resource(), catalog_table().name, "sku", skus))
    order_id = model.order_id_for(body["customerId"], key)
    logger.append_keys(order_id=order_id)
    order = model.new_order_item(
        order_id=order_id,
        body=body,
        priced=priced,
        correlation_id=str(request["correlationId"]),
        now=utc_now(),
        fingerprint=model.request_fingerprint(body),
    )
    intent = model.payment_intent_item(order_id, str(body["paymentToken"]), int(time.time()))
    stored = save_new_order(order, intent)
    if stored["requestFingerprint"] != order["requestFingerprint"]:
        # The idempotency record expired, but the order row still knows the first request.
        raise IdempotencyKeyMismatchError(order_id)
    # Saved is accepted: the outbox relay publishes OrderPlaced from the table's stream.
    return {"orderId": order_id, "status": model.PLACED}


#: ``place`` for a request with an ``Idempotency-Key``: one run per (customer, key) at a time, its answer
#: replayed for a retry with the same body (Powertools raises on another body or while a run is in flight).
place_idempotently = idempotent_function(
    place, data_keyword_argument="request", persistence_store=idempotency_persistence, config=idempotency_config
)


@tracer.capture_method
def save_new_order(order: dict[str, Any], intent: dict[str, Any]) -> dict[str, Any]:
    """Write ``order`` and its payment intent in one transaction unless the order exists; return what is
    stored (the earlier attempt's order on a retry, whose intent is already there)."""
    try:
        # The resource's client takes plain Python values (boto3 serialises them for DynamoDB).
        dynamodb_resource().meta.client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": orders_table().name,
                        "Item": order,
                        "ConditionExpression": "attribute_not_exists(orderId)",
                    }
                },
                {"Put": {"TableName": PAYMENT_INTENTS_TABLE, "Item": intent}},
            ]
        )
    except ClientError as error:
        reasons = [reason.get("Code") for reason in error.response.get("CancellationReasons", [])]
        if error.response["Error"]["Code"] != "TransactionCanceledException" or reasons[:1] != [
            "ConditionalCheckFailed"
        ]:
            raise
        response = orders_table().get_item(Key={"orderId": order["orderId"]}, ConsistentRead=True)
        existing: dict[str, Any] = response["Item"]
        logger.info("Order already exists for this Idempotency-Key", extra={"published": existing["published"]})
        return existing
    return order


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency_config.register_lambda_context(context)
    return app.resolve(event, context)
