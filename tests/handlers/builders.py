"""Builders for the events the handlers receive: EventBridge envelopes, SQS batches, API Gateway requests."""

from __future__ import annotations

import json
import os
import uuid
from decimal import Decimal
from typing import Any

from handlers.shared import wire
from handlers.shared.events import SOURCES, build_detail
from tests.handlers.conftest import set_up_clients

REGION = "us-east-1"
ACCOUNT = "123456789012"
APPROVING_TOKEN = "tok_visa"


def envelope(detail_type: str, detail: dict[str, Any], source: str | None = None) -> dict[str, Any]:
    """An EventBridge envelope as a rule delivers it."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source or SOURCES.get(detail_type, "eventshop.reminders"),
        "account": ACCOUNT,
        "time": "2024-05-01T12:00:00Z",
        "region": REGION,
        "resources": [],
        "detail": detail,
    }


def lifecycle_event(detail_type: str, order_id: str, **fields: Any) -> dict[str, Any]:
    """An envelope for ``detail_type`` about ``order_id`` with the common detail fields."""
    detail = build_detail(
        detail_type,
        order_id=order_id,
        customer_id="cust-1",
        email="ada@example.com",
        correlation_id=f"corr-{order_id}",
        **fields,
    )
    return envelope(detail_type, detail)


def order_placed(
    order_id: str = "order-1",
    *,
    lines: tuple[tuple[str, int, str], ...] = (("SKU-1", 2, "12.00"),),
    payment_token: str | None = APPROVING_TOKEN,
) -> dict[str, Any]:
    """An OrderPlaced envelope; ``lines`` are ``(sku, quantity, unitPrice)``.

    As the Orders API does before it publishes, the order's payment intent (``payment_token``) is put in the
    payment-intents table when the test's environment names one (``PAYMENT_INTENTS_TABLE``, as Billing's
    does); ``payment_token=None`` puts none. The event itself never carries the token.
    """
    items: list[dict[str, Any]] = [
        {"sku": sku, "name": f"Product {sku}", "quantity": quantity, "unitPrice": Decimal(price)}
        for sku, quantity, price in lines
    ]
    total = sum((Decimal(price) * quantity for _, quantity, price in lines), Decimal(0))
    intents_table = os.environ.get("PAYMENT_INTENTS_TABLE")
    if intents_table and payment_token is not None:
        set_up_clients().dynamodb_resource.Table(intents_table).put_item(
            Item={"orderId": order_id, "paymentToken": payment_token, "expiresAt": 4_102_444_800}
        )
    return lifecycle_event("OrderPlaced", order_id, items=items, total=total, currency="EUR")


def sqs_event(*bodies: dict[str, Any] | str) -> dict[str, Any]:
    """An SQS batch whose records carry ``bodies`` (dicts are encoded with the wire format)."""
    return {
        "Records": [
            {
                "messageId": f"msg-{index}",
                "receiptHandle": f"handle-{index}",
                "body": body if isinstance(body, str) else wire.dumps(body),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1714564800000"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:consumer",
                "awsRegion": REGION,
            }
            for index, body in enumerate(bodies)
        ]
    }


def claims_of(sub: str, email: str, *, verified: bool = True) -> dict[str, str]:
    """A Cognito ID token's claims as API Gateway's authorizer hands them to the function."""
    return {
        "sub": sub,
        "email": email,
        "email_verified": "true" if verified else "false",
        "token_use": "id",
        "cognito:username": sub,
        "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_pool",
        "aud": "client",
        "exp": "Fri Dec 04 23:00:00 UTC 2026",
    }


CUSTOMER = claims_of("cust-1", "ada@example.com")


def api_request(
    method: str,
    path: str,
    *,
    body: Any = None,
    headers: dict[str, str] | None = None,
    resource: str | None = None,
    path_parameters: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    claims: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST (proxy) event; a non-string ``body`` is JSON-encoded. ``claims``: what the Cognito
    authorizer verified (every value a string, as API Gateway gives them), default ``CUSTOMER``'s."""
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": headers or {},
        "multiValueHeaders": {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "requestId": "api-request-1",
            "resourcePath": resource or path,
            "httpMethod": method,
            "path": f"/test{path}",
            "stage": "test",
            "accountId": ACCOUNT,
            "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": {"claims": CUSTOMER if claims is None else claims},
        },
        "body": body if body is None or isinstance(body, str) else json.dumps(body),
        "isBase64Encoded": False,
    }
