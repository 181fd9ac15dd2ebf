"""What the producers really put on the bus validates against the contracts.

The handlers run on moto as in tests/handlers and every envelope they put is read back from the bus's
capture queue; ItemAddedToCart, which no Lambda produces, is API Gateway's mapping template rendered
with the program's own integration (as the local cloud renders it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import jsonschema

from devtools.program import ProgramRun
from handlers.shared import wire
from handlers.shared.event_contracts import load_schema, validate_detail
from localcloud import vtl
from services.events import EVENT_TYPES
from tests.handlers.builders import api_request, order_placed, sqs_event
from tests.handlers.conftest import FakeLambdaContext, Shop

CART_BODY = {"sku": "SKU-1", "quantity": 2}
#: What the Cognito authorizer verified, as API Gateway hands it to a mapping template (strings).
CART_CLAIMS = {"sub": "cust-1", "email": "ada@example.com", "email_verified": "true"}


def assert_valid(envelope: Mapping[str, Any]) -> None:
    """The envelope's detail against its schema, with both validators (fastjsonschema and jsonschema)."""
    detail_type = envelope["detail-type"]
    assert envelope["source"] == EVENT_TYPES[detail_type].source
    validate_detail(detail_type, envelope["detail"])
    schema = load_schema(detail_type)
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).validate(envelope["detail"])


def test_every_event_the_orders_billing_and_warehouse_handlers_put_validates(
    api: ModuleType, billing: ModuleType, warehouse: ModuleType, shop: Shop, context: FakeLambdaContext
) -> None:
    shop.seed_product("SKU-1", "Espresso cup", "12.50", available=1)
    order = {"cartId": "cart-9", "paymentToken": "tok_visa"}
    api.handler(api_request("POST", "/orders", body={**order, "items": [{"sku": "SKU-1", "quantity": 1}]}), context)
    api.handler(api_request("POST", "/orders", body={**order, "items": [{"sku": "SKU-1", "quantity": 1}]}), context)
    billing.handler(sqs_event(order_placed("order-ok"), order_placed("order-no", payment_token="tok_decline")), context)
    warehouse.handler(sqs_event(order_placed("order-a", lines=(("SKU-1", 1, "12.50"),))), context)
    warehouse.handler(sqs_event(order_placed("order-b", lines=(("SKU-1", 1, "12.50"),))), context)

    emitted = shop.emitted()

    assert sorted(event["detail-type"] for event in emitted) == [
        "OrderPlaced",
        "OrderPlaced",
        "OutOfStock",
        "PaymentFailed",
        "PaymentSucceeded",
        "StockReserved",
    ]
    for envelope in emitted:
        assert_valid(envelope)  # as JSON numbers (float) the way any consumer reads them
        assert_valid(wire.loads(json.dumps(envelope)))  # and as Decimal, the way eventshop's handlers read them


def cart_template(run: ProgramRun) -> str:
    """The request template of the program's direct PutEvents integration (the bus name already filled in)."""
    for integration in run.of_type("aws:apigateway/integration:Integration"):
        templates = integration.inputs.get("requestTemplates") or {}
        if isinstance(templates, str):
            templates = json.loads(templates)
        template = templates.get("application/json", "")
        if "ItemAddedToCart" in template:
            return str(template)
    raise AssertionError("the program has no integration putting ItemAddedToCart")


def test_the_cart_route_mapping_template_puts_a_valid_item_added_to_cart(runs: dict[str, ProgramRun]) -> None:
    context: dict[str, Any] = {
        "requestId": "c0ffee00-1111-4222-8333-444455556666",
        "requestTimeEpoch": 1714564800123,
        "requestOverride": {"header": {}, "path": {}, "querystring": {}},
        "authorizer": {"claims": {**CART_CLAIMS, "email": 'ada"quote@example.com'}},
    }
    body = json.dumps(CART_BODY)
    request = vtl.Input(body, {"cartId": "cart-9"}, {}, {"X-Correlation-Id": "corr-42"})

    rendered = json.loads(vtl.render(cart_template(runs["dev"]), request, context))
    (entry,) = rendered["Entries"]
    detail = json.loads(entry["Detail"])

    assert_valid({"detail-type": entry["DetailType"], "source": entry["Source"], "detail": detail})
    assert detail == {
        "cartId": "cart-9",
        "customerId": "cust-1",
        "email": 'ada"quote@example.com',
        "sku": "SKU-1",
        "quantity": 2,
        "metadata": {
            "eventId": "c0ffee00-1111-4222-8333-444455556666",
            "correlationId": "corr-42",
            "schemaVersion": "1",
            "occurredAt": "1714564800123",
        },
    }
