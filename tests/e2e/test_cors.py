"""CORS over real HTTP: the local API answers preflights from the deployed OPTIONS methods' MOCK integrations
and puts the allowed origin on every answer it builds (gateway responses, the cart route) as API Gateway does;
the function puts it on its own. Locally the storefront's origin (the page at ``/`` on this port) stands in
for the distribution's (localcloud/cors.py)."""

from __future__ import annotations

import json

import pytest

from localcloud import cors
from localcloud.cloud import LocalCloud
from localcloud.shop import Shopper
from tests.e2e import servers
from tests.e2e.servers import fetch

#: Isolated by their own customer and cart ids (tests/e2e/conftest.py).
pytestmark = pytest.mark.shared_cloud

base_url = servers.base_url
OTHER_ORIGIN = "https://evil.example.test"
ITEM = {"sku": "MUG-LOGO", "quantity": 1}


def preflight(base_url: str, path: str, origin: str, method: str) -> tuple[int, dict[str, str], bytes]:
    asked = {"Origin": origin, "Access-Control-Request-Method": method}
    return fetch(base_url, "OPTIONS", path, None, {**asked, "Access-Control-Request-Headers": "authorization"})


def test_the_local_storefront_stands_in_for_the_distribution(cloud: LocalCloud, base_url: str) -> None:
    deployed = cors.deployed_storefront_origin(cloud.deployment.run)
    assert deployed is not None and deployed.startswith("https://") and deployed.endswith(".cloudfront.net")
    assert cloud.api.origins.local == base_url == cloud.endpoints["storefront"].rstrip("/")


@pytest.mark.parametrize(
    ("path", "method", "allowed"),
    [
        ("/v1/orders", "POST", "GET,OPTIONS,POST"),
        ("/orders/ord-123", "GET", "GET,OPTIONS"),
        ("/products", "GET", "GET,OPTIONS"),
        ("/carts/cart-7/items", "POST", "OPTIONS,POST"),
    ],
)
def test_a_preflight_is_answered_with_the_origin_and_the_resources_methods(
    base_url: str, path: str, method: str, allowed: str
) -> None:
    """No token and no API key: a browser sends neither with a preflight."""
    status, headers, body = preflight(base_url, path, base_url, method)

    assert status == 204
    assert body == b""
    assert headers["Access-Control-Allow-Origin"] == base_url
    assert headers["Access-Control-Allow-Methods"] == allowed
    assert headers["Access-Control-Allow-Headers"].split(",") == [
        "Authorization",
        "Content-Type",
        "Idempotency-Key",
        "X-Correlation-Id",
        "x-api-key",
    ]
    assert headers["Access-Control-Max-Age"] == "600"
    assert headers["Vary"] == "Origin"


def test_a_preflight_names_the_storefront_whoever_asks(cloud: LocalCloud, base_url: str) -> None:
    """API Gateway's MOCK answers the same to everyone: the browser of another origin refuses the answer."""
    _, headers, _ = preflight(base_url, "/orders", OTHER_ORIGIN, "POST")
    assert headers["Access-Control-Allow-Origin"] == base_url != OTHER_ORIGIN


def test_a_401_from_the_gateway_carries_the_origin_so_the_page_can_read_it(
    cloud: LocalCloud, shopper: Shopper, base_url: str
) -> None:
    headers = {"Origin": base_url, "Content-Type": "application/json", **shopper.client_headers()}
    status, answered, body = fetch(base_url, "GET", "/orders", None, headers)

    assert status == 401
    assert json.loads(body) == {"message": "Unauthorized"}
    assert answered["Access-Control-Allow-Origin"] == base_url
    assert answered["Vary"] == "Origin"


def test_a_403_without_the_api_key_and_a_missing_route_carry_the_origin(base_url: str) -> None:
    status, answered, _ = fetch(base_url, "GET", "/products", None, {"Origin": base_url})
    assert (status, answered["Access-Control-Allow-Origin"]) == (403, base_url)
    status, answered, _ = fetch(base_url, "DELETE", "/products", None, {"Origin": base_url})
    assert (status, answered["Access-Control-Allow-Origin"]) == (403, base_url)


def test_the_functions_answers_name_the_storefront_and_no_other_origin(shopper: Shopper, base_url: str) -> None:
    status, answered, _ = fetch(base_url, "GET", "/products", None, {"Origin": base_url, **shopper.client_headers()})
    assert (status, answered["Access-Control-Allow-Origin"]) == (200, base_url)
    assert "Idempotency-Key" in answered["Access-Control-Allow-Headers"].split(",")

    other = {"Origin": OTHER_ORIGIN, **shopper.client_headers()}
    status, answered, _ = fetch(base_url, "GET", "/products", None, other)
    assert status == 200
    assert "Access-Control-Allow-Origin" not in answered


def test_the_cart_routes_answer_carries_the_origin(cloud: LocalCloud, base_url: str) -> None:
    customer = Shopper(cloud.api, email="cors-cart@example.com")
    headers = {"Origin": base_url, "Content-Type": "application/json", **customer.auth_headers()}
    status, answered, body = fetch(base_url, "POST", "/carts/cart-cors/items", json.dumps(ITEM).encode(), headers)

    assert (status, json.loads(body)) == (202, {"message": "message received"})
    assert answered["Access-Control-Allow-Origin"] == base_url
