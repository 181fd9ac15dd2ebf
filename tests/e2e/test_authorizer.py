"""The Cognito authorizer on the local API, enforced as API Gateway does: 401 {"message": "Unauthorized"} for
no token or a bad one, the verified claims handed to the integration, and each customer sees only their own.

moto signs every pool's tokens with one key (its private key ships with moto), so forged tokens below are
signed with that very key: only the checks of issuer, audience, token use, expiry and algorithm refuse them.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import pytest
from joserfc import jwt

from localcloud.cloud import LocalCloud
from localcloud.shop import Shopper
from tests.e2e.conftest import settled_order
from tests.moto_cognito_key import motos_signing_key

#: Isolated by new customers per test; the refused requests publish nothing, which each test counts from its own
#: start; the expiry test moves the clock an hour on, as other sharing modules do (tests/e2e/conftest.py).
pytestmark = pytest.mark.shared_cloud

UNAUTHORIZED = (401, {"message": "Unauthorized"})
ROUTES = [
    ("POST", "/orders", {"items": [{"sku": "MUG-LOGO", "quantity": 1}], "paymentToken": "tok_visa"}),
    ("GET", "/orders", None),
    ("GET", "/orders/00000000-0000-4000-8000-000000000000", None),
    ("POST", "/carts/cart-auth/items", {"sku": "MUG-LOGO", "quantity": 1}),
]


def answer(cloud: LocalCloud, method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
    """The answer to a request from the storefront (its API key sent), with ``headers`` on top."""
    response = cloud.api.request(method, path, body=body, headers={**Shopper(cloud.api).client_headers(), **headers})
    return response.status, response.json()


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def forged(claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
    """A token signed with moto's own key (which signs every pool's tokens)."""
    return jwt.encode(header or {"alg": "RS256", "kid": "dummy"}, claims, motos_signing_key())


@pytest.fixture(scope="module")
def ada(cloud: LocalCloud) -> Shopper:
    return Shopper(cloud.api, customer_id="ada", email=f"ada.{uuid.uuid4().hex[:6]}@example.com")


@pytest.fixture(scope="module")
def bob(cloud: LocalCloud) -> Shopper:
    return Shopper(cloud.api, customer_id="bob", email=f"bob.{uuid.uuid4().hex[:6]}@example.com")


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_every_route_but_the_catalog_needs_a_token(cloud: LocalCloud, method: str, path: str, body: Any) -> None:
    before = len(cloud.archived_events())

    assert answer(cloud, method, path, body, {}) == UNAUTHORIZED
    assert answer(cloud, method, path, body, {"Authorization": ""}) == UNAUTHORIZED
    assert answer(cloud, "GET", "/products", None, {})[0] == 200
    cloud.wait_idle()
    assert len(cloud.archived_events()) == before


@pytest.mark.parametrize(("method", "path", "body"), [*ROUTES, ("GET", "/products", None)])
def test_every_route_needs_a_registered_clients_api_key(
    cloud: LocalCloud, ada: Shopper, method: str, path: str, body: Any
) -> None:
    token = {"Authorization": ada.customer().id_token}

    for key in ({}, {"x-api-key": "not-a-key-of-this-api"}):
        response = cloud.api.request(method, path, body=body, headers={**token, **key})
        assert (response.status, response.json()) == (403, {"message": "Forbidden"})
    assert cloud.api.client_keys.keys() == {"storefront"}


@pytest.mark.parametrize("form", ["{token}", "Bearer {token}", "bearer {token}"])
def test_the_raw_token_and_the_bearer_form_are_accepted(cloud: LocalCloud, ada: Shopper, form: str) -> None:
    headers = {"Authorization": form.format(token=ada.customer().id_token)}

    status, page = answer(cloud, "GET", "/orders", None, headers)

    assert status == 200 and set(page) == {"orders", "nextCursor"}


def test_a_token_of_another_pool_is_refused(cloud: LocalCloud) -> None:
    cognito = cloud.clients("cognito-idp")
    pool = cognito.create_user_pool(PoolName="elsewhere", UsernameAttributes=["email"])["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="web", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(UserPoolId=pool, Username="eve@example.com", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool, Username="eve@example.com", Password="Eve-Password-1", Permanent=True
    )
    token = cognito.admin_initiate_auth(
        UserPoolId=pool,
        ClientId=client,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "eve@example.com", "PASSWORD": "Eve-Password-1"},
    )["AuthenticationResult"]["IdToken"]

    assert answer(cloud, "GET", "/orders", None, {"Authorization": token}) == UNAUTHORIZED


@pytest.mark.parametrize(
    "change",
    [{"aud": "some-other-client"}, {"token_use": "access"}, {"iss": "https://cognito-idp.eu-west-1.amazonaws.com/x"}],
    ids=["wrong audience", "access token", "unknown issuer"],
)
def test_a_token_signed_by_the_right_key_with_the_wrong_claims_is_refused(
    cloud: LocalCloud, ada: Shopper, change: dict[str, str]
) -> None:
    genuine = claims_of(ada.customer().id_token)
    assert answer(cloud, "GET", "/orders", None, {"Authorization": forged(genuine)})[0] == 200, "the forgery works"

    assert answer(cloud, "GET", "/orders", None, {"Authorization": forged({**genuine, **change})}) == UNAUTHORIZED


def test_alg_none_is_refused(cloud: LocalCloud, ada: Shopper) -> None:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    claims = claims_of(ada.customer().id_token)
    for header in ({"alg": "none"}, {"alg": "none", "kid": "dummy"}, {"alg": "HS256", "kid": "dummy"}):
        token = f"{part(header)}.{part(claims)}."
        assert answer(cloud, "GET", "/orders", None, {"Authorization": token}) == UNAUTHORIZED, header


def test_a_tampered_token_is_refused(cloud: LocalCloud, ada: Shopper, bob: Shopper) -> None:
    token = ada.customer().id_token
    header, payload, signature = token.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    claims = {**claims_of(token), "sub": bob.customer().customer_id}
    other_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")

    for bad in (f"{header}.{payload}.{flipped}", f"{header}.{other_payload}.{signature}", "not.a.jwt", "garbage"):
        assert answer(cloud, "GET", "/orders", None, {"Authorization": bad}) == UNAUTHORIZED, bad


def test_an_expired_token_is_refused_and_signing_in_again_works(cloud: LocalCloud) -> None:
    shopper = Shopper(cloud.api, email=f"late.{uuid.uuid4().hex[:6]}@example.com")
    token = shopper.customer().id_token
    assert answer(cloud, "GET", "/orders", None, {"Authorization": token})[0] == 200
    also_past = forged({**claims_of(token), "exp": int(time.time()) - 1})

    cloud.advance(claims_of(token)["exp"] - cloud.clock.now() + 1)  # an hour later, on the cloud's clock

    assert answer(cloud, "GET", "/orders", None, {"Authorization": token}) == UNAUTHORIZED
    assert answer(cloud, "GET", "/orders", None, {"Authorization": also_past}) == UNAUTHORIZED
    assert answer(cloud, "GET", "/orders", None, shopper.auth_headers())[0] == 200  # the shopper signed in again


def test_the_order_belongs_to_the_tokens_subject_and_another_customer_gets_a_404(
    cloud: LocalCloud, ada: Shopper, bob: Shopper
) -> None:
    order_id = ada.place_order()
    order = settled_order(cloud, ada, order_id)
    missing = "00000000-0000-4000-8000-000000000000"

    [placed] = [
        e for e in cloud.archived_events() if e["detail-type"] == "OrderPlaced" and e["detail"]["orderId"] == order_id
    ]
    assert (placed["detail"]["customerId"], placed["detail"]["email"]) == (ada.customer().customer_id, ada.email)
    assert order["orderId"] == order_id
    as_bob = answer(cloud, "GET", f"/orders/{order_id}", None, bob.auth_headers())
    assert as_bob == (404, {"message": f"Order {order_id} not found"})
    assert answer(cloud, "GET", f"/orders/{missing}", None, bob.auth_headers()) == (
        404,
        {"message": f"Order {missing} not found"},
    )


def test_a_customer_pages_through_exactly_their_own_orders_newest_first(cloud: LocalCloud) -> None:
    mine = Shopper(cloud.api, email=f"pages.{uuid.uuid4().hex[:6]}@example.com")
    theirs = Shopper(cloud.api, email=f"others.{uuid.uuid4().hex[:6]}@example.com")
    placed = [mine.place_order() for _ in range(5)]
    others = [theirs.place_order() for _ in range(2)]

    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(10):
        response = mine.orders(limit=2, cursor=cursor)
        assert response.status == 200, response.body
        page = response.json()
        assert len(page["orders"]) <= 2
        seen += page["orders"]
        cursor = page["nextCursor"]
        if cursor is None:
            break

    ids = [order["orderId"] for order in seen]
    assert len(ids) == len(set(ids)) == len(placed) and set(ids) == set(placed)
    assert not set(ids) & set(others)
    created = [order["createdAt"] for order in seen]
    assert created == sorted(created, reverse=True)


def test_a_cursor_of_another_customer_is_a_400_naming_cursor(cloud: LocalCloud, ada: Shopper, bob: Shopper) -> None:
    for _ in range(2):
        bob.place_order()
    bobs_cursor = bob.orders(limit=1).json()["nextCursor"]

    response = ada.orders(cursor=bobs_cursor)

    assert response.status == 400
    assert [error["field"] for error in response.json()["errors"]] == ["cursor"]
