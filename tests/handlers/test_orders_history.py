"""Orders API on moto, per customer: claims decide who orders, GET /orders pages through one's own orders,
another customer's order is a 404 exactly like a missing one."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest

from tests.handlers.builders import api_request, claims_of
from tests.handlers.conftest import Shop
from tests.handlers.test_orders_api import VALID_BODY, call, post_order

ADA = claims_of("cust-ada", "ada@example.com")
BOB = claims_of("cust-bob", "bob@example.com")


@pytest.fixture
def catalog(shop: Shop) -> Shop:
    shop.seed_product("SKU-1", "Espresso cup", "12.50", available=500)
    shop.seed_product("SKU-2", "Grinder", "99.99", available=500)
    return shop


def place(api: ModuleType, claims: dict[str, str], quantity: int = 1) -> str:
    body = {"items": [{"sku": "SKU-1", "quantity": quantity}], "paymentToken": "tok_visa"}
    status, answer = post_order(api, body, claims=claims)
    assert status == 202, answer
    return str(answer["orderId"])


def get_order(api: ModuleType, order_id: str, claims: dict[str, str]) -> tuple[int, Any]:
    event = api_request(
        "GET", f"/orders/{order_id}", resource="/orders/{orderId}", path_parameters={"orderId": order_id}, claims=claims
    )
    status, _, raw = call(api, event)
    return status, json.loads(raw, parse_float=Decimal)


def list_orders(api: ModuleType, claims: dict[str, str], **query: str) -> tuple[int, Any]:
    status, _, raw = call(api, api_request("GET", "/orders", query=query or None, claims=claims))
    return status, json.loads(raw, parse_float=Decimal)


def test_the_order_belongs_to_the_tokens_subject_and_mails_its_verified_address(api: ModuleType, catalog: Shop) -> None:
    order_id = place(api, ADA)

    stored = catalog.table("orders").get_item(Key={"orderId": order_id})["Item"]
    assert (stored["customerId"], stored["email"]) == ("cust-ada", "ada@example.com")
    [placed] = catalog.emitted()
    assert (placed["detail"]["customerId"], placed["detail"]["email"]) == ("cust-ada", "ada@example.com")


@pytest.mark.parametrize(
    "claims",
    [{}, claims_of("cust-ada", "ada@example.com", verified=False), {"sub": "cust-ada", "email_verified": "true"}],
    ids=["no claims", "email not verified", "no email"],
)
def test_without_a_verified_address_in_the_claims_nothing_is_placed(
    api: ModuleType, catalog: Shop, claims: dict[str, str]
) -> None:
    status, answer = post_order(api, VALID_BODY, claims=claims)

    assert (status, answer) == (401, {"message": "Unauthorized"})
    assert catalog.table("orders").scan()["Items"] == []


def test_another_customers_order_is_a_404_exactly_like_a_missing_one(api: ModuleType, catalog: Shop) -> None:
    order_id = place(api, ADA)

    assert get_order(api, order_id, ADA)[0] == 200
    assert get_order(api, order_id, BOB) == (404, {"message": f"Order {order_id} not found"})
    missing = "00000000-0000-4000-8000-000000000000"
    assert get_order(api, missing, BOB) == (404, {"message": f"Order {missing} not found"})


def test_a_customer_lists_only_their_own_orders_newest_first(api: ModuleType, catalog: Shop) -> None:
    mine = [place(api, ADA, quantity) for quantity in (1, 2, 3)]
    place(api, BOB)

    status, page = list_orders(api, ADA)

    assert status == 200
    assert sorted(order["orderId"] for order in page["orders"]) == sorted(mine)
    created = [order["createdAt"] for order in page["orders"]]
    assert created == sorted(created, reverse=True)
    assert page["nextCursor"] is None
    assert page["orders"][0] == {
        "orderId": page["orders"][0]["orderId"],
        "status": "PLACED",
        "total": Decimal("37.5"),
        "currency": "EUR",
        "createdAt": page["orders"][0]["createdAt"],
        "itemCount": page["orders"][0]["itemCount"],
    }
    assert {order["itemCount"] for order in page["orders"]} == {1, 2, 3}


def test_the_cursor_pages_through_every_order_once(api: ModuleType, catalog: Shop) -> None:
    placed = [place(api, ADA) for _ in range(7)]
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        status, page = list_orders(api, ADA, limit="3", **({"cursor": cursor} if cursor else {}))
        assert status == 200, page
        assert len(page["orders"]) <= 3
        seen += [order["orderId"] for order in page["orders"]]
        pages += 1
        cursor = page["nextCursor"]
        if cursor is None:
            break

    assert pages == 3
    assert len(seen) == len(set(seen)) and set(seen) == set(placed)


@pytest.mark.parametrize("limit", ["0", "51", "-1", "2.5", "ten", "", "٣"])
def test_a_limit_out_of_range_is_a_400_naming_limit(api: ModuleType, catalog: Shop, limit: str) -> None:
    status, answer = list_orders(api, ADA, limit=limit)

    assert status == 400
    assert answer["errors"] == [{"field": "limit", "message": "must be a whole number from 1 to 50"}]


def test_a_cursor_given_to_another_customer_is_a_400_naming_cursor(api: ModuleType, catalog: Shop) -> None:
    for _ in range(2):
        place(api, BOB)
    place(api, ADA)
    bobs_cursor = list_orders(api, BOB, limit="1")[1]["nextCursor"]

    status, answer = list_orders(api, ADA, cursor=bobs_cursor)

    assert status == 400
    assert [error["field"] for error in answer["errors"]] == ["cursor"]


def _cursor(position: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda c: c[:-2] + ("AA" if c[-2:] != "AA" else "BB"),
        lambda _: "!!not base64!!",
        lambda _: _cursor(["a", "b"]),
        lambda _: _cursor({"createdAt": "2000-01-01T00:00:00Z", "orderId": "x"}),
        lambda c: _cursor({**json.loads(base64.urlsafe_b64decode(c + "==")), "createdAt": "2999-01-01T00:00:00Z"}),
        lambda c: _cursor({**json.loads(base64.urlsafe_b64decode(c + "==")), "customerId": "cust-bob"}),
        lambda _: "x" * 2000,
    ],
    ids=["bytes", "not base64", "not an object", "unknown order", "moved in time", "extra key", "too long"],
)
def test_a_tampered_cursor_is_a_400_naming_cursor(api: ModuleType, catalog: Shop, tamper: Any) -> None:
    for _ in range(2):
        place(api, ADA)
    cursor = list_orders(api, ADA, limit="1")[1]["nextCursor"]

    status, answer = list_orders(api, ADA, cursor=tamper(cursor))

    assert status == 400
    assert [error["field"] for error in answer["errors"]] == ["cursor"]
