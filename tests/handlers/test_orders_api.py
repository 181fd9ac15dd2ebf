"""Orders API on moto: catalog, placing orders (validation, pricing, idempotency), reading orders."""

from __future__ import annotations

import json
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest

from handlers.shared.events import event_id
from tests.handlers.builders import api_request, claims_of
from tests.handlers.conftest import FakeLambdaContext, Shop, StreamRelay

VALID_BODY = {
    "cartId": "cart-9",
    "items": [{"sku": "SKU-1", "quantity": 2}, {"sku": "SKU-2", "quantity": 1}],
    "paymentToken": "tok_visa",
}


@pytest.fixture
def catalog(shop: Shop) -> Shop:
    shop.seed_product("SKU-1", "Espresso cup", "12.50", available=5)
    shop.seed_product("SKU-2", "Grinder", "99.99", available=0)
    return shop


def call(api: ModuleType, event: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    response = api.handler(event, FakeLambdaContext())
    headers = {name: values[-1] for name, values in response["multiValueHeaders"].items()}
    return response["statusCode"], headers, response["body"]


def post_order(
    api: ModuleType, body: Any, headers: dict[str, str] | None = None, claims: dict[str, str] | None = None
) -> tuple[int, Any]:
    status, _, raw = call(api, api_request("POST", "/orders", body=body, headers=headers, claims=claims))
    return status, json.loads(raw, parse_float=Decimal)


def test_products_lists_catalog_prices_and_stock(api: ModuleType, catalog: Shop) -> None:
    status, _, raw = call(api, api_request("GET", "/products"))

    assert status == 200
    assert json.loads(raw, parse_float=Decimal) == [
        {"sku": "SKU-1", "name": "Espresso cup", "price": Decimal("12.50"), "currency": "EUR", "inStock": True},
        {"sku": "SKU-2", "name": "Grinder", "price": Decimal("99.99"), "currency": "EUR", "inStock": False},
    ]
    assert '"price":12.50' in raw


def test_place_order_prices_from_catalog_stores_and_publishes(api: ModuleType, catalog: Shop) -> None:
    status, body = post_order(api, VALID_BODY, headers={"X-Correlation-Id": "corr-42"})

    assert status == 202
    assert body["status"] == "PLACED"
    order_id = body["orderId"]
    stored = catalog.table("orders").get_item(Key={"orderId": order_id})["Item"]
    assert stored["status"] == "PLACED"
    assert stored["published"] is False  # saved is accepted; the outbox relay publishes
    assert stored["total"] == Decimal("124.99")
    assert stored["cartId"] == "cart-9"
    assert [entry["event"] for entry in stored["history"]] == ["OrderPlaced"]
    [event] = catalog.emitted()
    assert catalog.table("orders").get_item(Key={"orderId": order_id})["Item"]["published"] is True
    assert event["source"] == "eventshop.orders"
    assert event["detail-type"] == "OrderPlaced"
    detail = event["detail"]
    assert detail["orderId"] == order_id
    assert detail["items"] == [
        {"sku": "SKU-1", "name": "Espresso cup", "quantity": 2, "unitPrice": 12.5},
        {"sku": "SKU-2", "name": "Grinder", "quantity": 1, "unitPrice": 99.99},
    ]
    assert detail["total"] == 124.99
    assert "paymentToken" not in detail
    assert catalog.table("payment-intents").get_item(Key={"orderId": order_id})["Item"]["paymentToken"] == "tok_visa"
    assert detail["metadata"]["eventId"] == event_id(order_id, "OrderPlaced")
    assert detail["metadata"]["correlationId"] == "corr-42"
    assert detail["metadata"]["schemaVersion"] == "1"


def test_place_order_uses_the_request_id_as_correlation_id_by_default(api: ModuleType, catalog: Shop) -> None:
    status, headers, _ = call(api, api_request("POST", "/orders", body=VALID_BODY))

    assert status == 202
    assert headers["X-Correlation-Id"] == "api-request-1"
    assert catalog.emitted()[0]["detail"]["metadata"]["correlationId"] == "api-request-1"


def test_place_order_merges_repeated_skus(api: ModuleType, catalog: Shop) -> None:
    body = {**VALID_BODY, "items": [{"sku": "SKU-1", "quantity": 1}, {"sku": "SKU-1", "quantity": 2}]}

    status, _ = post_order(api, body)

    assert status == 202
    assert catalog.emitted()[0]["detail"]["items"] == [
        {"sku": "SKU-1", "name": "Espresso cup", "quantity": 3, "unitPrice": 12.5}
    ]


def test_bad_body_names_every_bad_field(api: ModuleType, catalog: Shop) -> None:
    body = {
        "customerId": "",
        "email": "not-an-email",
        "items": [{"sku": "SKU-1", "quantity": 0}, {"sku": "SKU-2", "quantity": "2", "unitPrice": 0.01}],
        "coupon": "FREE",
    }

    status, answer = post_order(api, body)

    assert status == 400
    assert answer["message"] == "Invalid request body"
    errors = {error["field"]: error["message"] for error in answer["errors"]}
    assert set(errors) == {
        "customerId",
        "email",
        "items[0].quantity",
        "items[1].quantity",
        "items[1].unitPrice",
        "paymentToken",
        "coupon",
    }
    assert errors["paymentToken"] == "is required"
    assert errors["coupon"] == "is not allowed"
    assert errors["customerId"] == errors["email"] == "comes from your ID token; remove it from the body"
    assert errors["items[0].quantity"] == "must be bigger than or equal to 1"
    assert errors["items[1].quantity"] == "must be integer"
    assert catalog.emitted() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [("{not json", "(body)"), ("[1, 2]", "(body)"), ('{"items": "many"}', "items")],
)
def test_unparseable_or_wrongly_shaped_body_is_a_400(api: ModuleType, catalog: Shop, body: str, field: str) -> None:
    status, answer = post_order(api, body)

    assert status == 400
    assert field in [error["field"] for error in answer["errors"]]


def test_unknown_sku_is_a_400_naming_it(api: ModuleType, catalog: Shop) -> None:
    body = {**VALID_BODY, "items": [{"sku": "SKU-1", "quantity": 1}, {"sku": "NOPE-7", "quantity": 1}]}

    status, answer = post_order(api, body)

    assert status == 400
    assert answer["message"] == "Unknown SKU: NOPE-7"
    assert answer["errors"] == [{"field": "items[1].sku", "message": "unknown sku 'NOPE-7'"}]
    assert catalog.table("orders").scan()["Items"] == []
    assert catalog.emitted() == []


def test_retry_with_same_idempotency_key_returns_same_order_once(api: ModuleType, catalog: Shop) -> None:
    headers = {"Idempotency-Key": "key-1"}

    first = post_order(api, VALID_BODY, headers)
    second = post_order(api, VALID_BODY, headers)

    assert first[0] == second[0] == 202
    assert first[1]["orderId"] == second[1]["orderId"]
    assert len(catalog.table("orders").scan()["Items"]) == 1
    assert len(catalog.emitted()) == 1


def test_other_customer_with_same_key_gets_another_order(api: ModuleType, catalog: Shop) -> None:
    headers = {"Idempotency-Key": "key-1"}

    first = post_order(api, VALID_BODY, headers)
    second = post_order(api, VALID_BODY, headers, claims=claims_of("cust-2", "bob@example.com"))

    assert first[1]["orderId"] != second[1]["orderId"]


def test_an_order_saved_while_the_bus_throttles_is_accepted_and_published_exactly_once_later(
    api: ModuleType, outbox: ModuleType, relay: StreamRelay, catalog: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = {"Idempotency-Key": "key-throttled"}
    real_put_events = outbox.publisher._client.put_events

    def throttled(**kwargs: Any) -> dict[str, Any]:
        entries = [{"ErrorCode": "ThrottlingException", "ErrorMessage": "Rate exceeded"} for _ in kwargs["Entries"]]
        return {"FailedEntryCount": len(entries), "Entries": entries}

    monkeypatch.setattr(outbox.publisher._client, "put_events", throttled)
    first = post_order(api, VALID_BODY, headers)
    assert first[0] == 202
    assert catalog.emitted() == []  # the relay ran and reported the record as failed
    assert post_order(api, VALID_BODY, headers) == first  # the client's retry: same answer
    assert catalog.emitted() == []
    [saved] = catalog.table("orders").scan()["Items"]
    assert saved["published"] is False

    monkeypatch.setattr(outbox.publisher._client, "put_events", real_put_events)
    [event] = catalog.emitted()

    assert event["detail"]["orderId"] == first[1]["orderId"]
    assert event["detail"]["metadata"]["eventId"] == event_id(first[1]["orderId"], "OrderPlaced")
    assert catalog.table("orders").get_item(Key={"orderId": first[1]["orderId"]})["Item"]["published"] is True
    assert post_order(api, VALID_BODY, headers) == first
    assert catalog.emitted() == []  # neither the retry nor the row's own update publishes again


def test_later_updates_of_an_order_never_publish_it_again(api: ModuleType, relay: StreamRelay, catalog: Shop) -> None:
    _, placed = post_order(api, VALID_BODY)
    assert len(catalog.emitted()) == 1

    catalog.table("orders").update_item(
        Key={"orderId": placed["orderId"]},
        UpdateExpression="SET #s = :paid",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":paid": "PAID"},
    )

    assert catalog.emitted() == []
    assert relay.waiting == []


def test_idempotency_key_reused_for_another_body_is_a_422(api: ModuleType, catalog: Shop) -> None:
    headers = {"Idempotency-Key": "key-2"}
    post_order(api, VALID_BODY, headers)

    status, answer = post_order(api, {**VALID_BODY, "items": [{"sku": "SKU-1", "quantity": 5}]}, headers)

    assert status == 422
    assert answer == {"message": "Idempotency-Key 'key-2' was already used for a different request"}
    assert len(catalog.emitted()) == 1
    assert len(catalog.table("orders").scan()["Items"]) == 1


def test_reused_key_is_a_422_even_after_the_idempotency_record_expired(api: ModuleType, catalog: Shop) -> None:
    headers = {"Idempotency-Key": "key-old"}
    post_order(api, VALID_BODY, headers)
    idempotency = catalog.table("idempotency")
    for record in idempotency.scan()["Items"]:
        idempotency.delete_item(Key={"id": record["id"]})

    assert post_order(api, {**VALID_BODY, "cartId": "cart-other"}, headers)[0] == 422
    assert post_order(api, VALID_BODY, headers)[0] == 202
    assert len(catalog.emitted()) == 1


def test_same_key_while_the_first_request_is_in_flight_is_a_409(
    api: ModuleType, catalog: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second request arrives while the first is pricing its lines (the key is held, nothing saved yet)."""
    headers = {"Idempotency-Key": "key-busy"}
    real_batch_get = api.catalog.batch_get
    concurrent: list[tuple[int, Any]] = []

    def batch_get_with_a_concurrent_retry(*args: Any, **kwargs: Any) -> Any:
        if not concurrent:
            concurrent.append(post_order(api, VALID_BODY, headers))
        return real_batch_get(*args, **kwargs)

    monkeypatch.setattr(api.catalog, "batch_get", batch_get_with_a_concurrent_retry)
    first = post_order(api, VALID_BODY, headers)

    [(status, answer)] = concurrent
    assert status == 409
    assert answer == {"message": "A request with Idempotency-Key 'key-busy' is still being processed; retry later"}
    assert first[0] == 202
    assert len(catalog.emitted()) == 1
    # Once the first finished, a retry gets its answer again.
    assert post_order(api, VALID_BODY, headers) == first


def test_a_failed_request_frees_its_key_for_a_retry(api: ModuleType, catalog: Shop) -> None:
    headers = {"Idempotency-Key": "key-unknown-sku"}
    assert post_order(api, {**VALID_BODY, "items": [{"sku": "NOPE", "quantity": 1}]}, headers)[0] == 400

    status, _ = post_order(api, {**VALID_BODY, "items": [{"sku": "NOPE", "quantity": 1}]}, headers)

    assert status == 400


@pytest.mark.parametrize(
    "correlation_id",
    ["c" * 129, 'x"},"quantity":-7', "with space", "caf\u00e9", ""],
    ids=["too-long", "json-breaking", "space", "non-ascii", "empty"],
)
def test_a_bad_correlation_id_is_a_400_and_nothing_is_saved(
    api: ModuleType, catalog: Shop, correlation_id: str
) -> None:
    status, answer = post_order(api, VALID_BODY, headers={"X-Correlation-Id": correlation_id, "Idempotency-Key": "k"})

    if correlation_id == "":
        # An empty header is absent: the request id is the correlation id.
        assert status == 202
        return
    assert status == 400
    assert answer["message"] == "Invalid X-Correlation-Id header"
    assert answer["errors"] == [
        {
            "field": "X-Correlation-Id",
            "message": "must be 1 to 128 characters of letters, digits and . _ ~ : / @ + = -",
        }
    ]
    assert catalog.table("orders").scan()["Items"] == []
    assert catalog.table("idempotency").scan()["Items"] == []
    assert catalog.emitted() == []


def test_the_longest_allowed_correlation_id_reaches_the_event(api: ModuleType, catalog: Shop) -> None:
    correlation_id = "a-Z.0_~:/@+=" + "x" * 116

    status, _ = post_order(api, VALID_BODY, headers={"X-Correlation-Id": correlation_id})

    assert status == 202
    [event] = catalog.emitted()
    assert event["detail"]["metadata"]["correlationId"] == correlation_id


def test_a_bad_correlation_id_is_a_400_on_get_routes_too(api: ModuleType, catalog: Shop) -> None:
    status, headers, raw = call(api, api_request("GET", "/products", headers={"X-Correlation-Id": "c" * 200}))

    assert status == 400
    assert json.loads(raw)["errors"][0]["field"] == "X-Correlation-Id"
    assert "X-Correlation-Id" not in headers


def test_get_order_returns_status_items_and_history(api: ModuleType, catalog: Shop) -> None:
    _, placed = post_order(api, VALID_BODY)
    order_id = placed["orderId"]

    status, _, raw = call(
        api,
        api_request("GET", f"/orders/{order_id}", resource="/orders/{orderId}", path_parameters={"orderId": order_id}),
    )

    assert status == 200
    order = json.loads(raw, parse_float=Decimal)
    assert order["orderId"] == order_id
    assert order["status"] == "PLACED"
    assert order["total"] == Decimal("124.99")
    assert '"total":124.99' in raw
    assert order["currency"] == "EUR"
    assert [item["quantity"] for item in order["items"]] == [2, 1]
    assert [(entry["status"], entry["event"]) for entry in order["history"]] == [("PLACED", "OrderPlaced")]


def test_get_unknown_order_is_a_404(api: ModuleType, catalog: Shop) -> None:
    status, _, raw = call(
        api, api_request("GET", "/orders/nope", resource="/orders/{orderId}", path_parameters={"orderId": "nope"})
    )

    assert status == 404
    assert json.loads(raw) == {"message": "Order nope not found"}
