"""The orders API's own answers carry the storefront's origin (CORS) for that origin alone, errors included;
API Gateway answers the real preflights (tests/unit/test_rest_api_cors.py), the function agrees with them."""

from __future__ import annotations

from types import ModuleType

from tests.handlers.builders import api_request
from tests.handlers.test_orders_api import call

#: tests/handlers/conftest.py gives the API function this ALLOWED_ORIGIN.
STOREFRONT = "https://shop.example.test"
SENT_BY_THE_PAGE = ("Authorization", "Content-Type", "Idempotency-Key", "X-Correlation-Id", "x-api-key")


def test_an_answer_to_the_storefront_names_its_origin_and_what_it_may_send(api: ModuleType) -> None:
    status, headers, _ = call(api, api_request("GET", "/products", headers={"Origin": STOREFRONT}))

    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == STOREFRONT
    assert set(SENT_BY_THE_PAGE) <= set(headers["Access-Control-Allow-Headers"].split(","))
    assert headers["Access-Control-Max-Age"] == "600"
    assert "Access-Control-Allow-Credentials" not in headers, "the page sends a token, never cookies"


def test_an_error_answer_carries_the_origin_so_the_page_can_read_it(api: ModuleType) -> None:
    event = api_request("POST", "/orders", body={"cartId": "c"}, headers={"Origin": STOREFRONT, "Idempotency-Key": "k"})
    status, headers, body = call(api, event)

    assert status == 400
    assert headers["Access-Control-Allow-Origin"] == STOREFRONT
    assert "items" in body


def test_another_origin_or_none_gets_no_cors_headers(api: ModuleType) -> None:
    for sent in ({"Origin": "https://evil.example.test"}, {"Origin": "http://shop.example.test"}, {}):
        status, headers, _ = call(api, api_request("GET", "/products", headers=sent))
        assert status == 200
        assert not [name for name in headers if name.lower().startswith("access-control-")], sent


def test_a_preflight_reaching_the_function_is_answered_with_the_same_allowance(api: ModuleType) -> None:
    """API Gateway's MOCK answers preflights; should one reach the function, it allows the same."""
    preflight = api_request(
        "OPTIONS",
        "/orders",
        headers={
            "Origin": STOREFRONT,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,idempotency-key,x-api-key",
        },
    )
    status, headers, body = call(api, preflight)

    assert status == 204
    assert not body
    assert headers["Access-Control-Allow-Origin"] == STOREFRONT
    assert {"GET", "POST"} <= set(headers["Access-Control-Allow-Methods"].split(","))
    assert set(SENT_BY_THE_PAGE) <= set(headers["Access-Control-Allow-Headers"].split(","))
