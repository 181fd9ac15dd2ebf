"""POST /_local/users: a confirmed customer of the stack's own user pool, signed in with a real ID token."""

from __future__ import annotations

import uuid

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from localcloud.cloud import LocalCloud
from tests.e2e import servers
from tests.e2e.servers import call

#: Isolated by a new address per customer; the bad requests create no one (tests/e2e/conftest.py).
pytestmark = pytest.mark.shared_cloud

base_url = servers.base_url


def unique_email(local_part: str) -> str:
    return f"{local_part}.{uuid.uuid4().hex[:8]}@example.com"


def test_a_new_customer_gets_an_id_token_the_pool_signed_for_its_client(cloud: LocalCloud, base_url: str) -> None:
    email = unique_email("o'brien")  # an apostrophe is legal in an address, and Cognito admits it
    status, body = call(base_url, "POST", "/_local/users", {"email": email})
    assert status == 200, body
    assert set(body) == {"customerId", "email", "idToken"}
    keys = KeySet.import_key_set(_jwks(cloud))  # type: ignore[arg-type]
    claims = jwt.decode(body["idToken"], keys).claims
    assert claims["iss"] == cloud.identity.issuer
    assert claims["aud"] == cloud.identity.client_id
    assert claims["token_use"] == "id"
    assert (claims["sub"], claims["email"]) == (body["customerId"], email)


def test_a_customer_can_sign_in_again_with_the_password_they_chose(cloud: LocalCloud, base_url: str) -> None:
    email = unique_email("ada")
    status, created = call(base_url, "POST", "/_local/users", {"email": email, "password": "Correct-Horse-9"})
    assert status == 200, created
    again = cloud.identity.sign_in(email, "Correct-Horse-9")
    assert again.customer_id == created["customerId"]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"email": "not-an-address"}, "email: must be an email address"),
        ({}, "email: must be an email address"),
        ({"email": "a@example.com", "role": "admin"}, "unknown field(s) role"),
        ({"email": "b@example.com", "password": "short"}, "password:"),
        (["a@example.com"], "body: must be a JSON object"),
    ],
)
def test_a_bad_request_answers_400_naming_what_is_wrong(base_url: str, body: object, named: str) -> None:
    status, answer = call(base_url, "POST", "/_local/users", body)
    assert status == 400
    assert named in answer["message"]


def test_an_address_already_registered_is_refused_and_keeps_its_customer(cloud: LocalCloud, base_url: str) -> None:
    email = unique_email("grace")
    first = call(base_url, "POST", "/_local/users", {"email": email, "password": "First-Password-1"})[1]
    status, answer = call(base_url, "POST", "/_local/users", {"email": email, "password": "Other-Password-2"})
    assert status == 400 and "already exists" in answer["message"]
    assert cloud.identity.sign_in(email, "First-Password-1").customer_id == first["customerId"]


def _jwks(cloud: LocalCloud) -> dict[str, object]:
    answer = requests.get(f"{cloud.identity.issuer}/.well-known/jwks.json", timeout=5)
    answer.raise_for_status()
    return dict(answer.json())
