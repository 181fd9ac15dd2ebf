"""The storefront on the local cloud's HTTP server: its files, its config, its headers, and Cognito sign-in."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest

from components.security_headers import security_headers
from components.site_files import content_type_of
from localcloud.cloud import LocalCloud
from localcloud.storefront import COGNITO_PATH, SITE
from services.storefront_config import STOREFRONT_CLIENT, connect_sources, storefront_csp
from tests.e2e import servers
from tests.e2e.servers import call, fetch

INITIATE_AUTH = "AWSCognitoIdentityProviderService.InitiateAuth"
CHOSEN = "Correct-Horse-9!"  # the password each new customer chooses


#: Reads files and settings every module shares, and signs in customers of its own (tests/e2e/conftest.py).
pytestmark = pytest.mark.shared_cloud

base_url = servers.base_url


def initiate_auth(base_url: str, request: Any, target: str = INITIATE_AUTH) -> tuple[int, dict[str, str], Any]:
    body = request if isinstance(request, bytes) else json.dumps(request).encode()
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target}
    status, answer_headers, answer = fetch(base_url, "POST", COGNITO_PATH, body, headers)
    return status, answer_headers, json.loads(answer)


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


def new_customer(base_url: str) -> tuple[str, str]:
    email, created = _create_customer(base_url)
    return email, str(created["customerId"])


def new_customer_token(base_url: str) -> tuple[str, str]:
    email, created = _create_customer(base_url)
    return email, str(created["idToken"])


def _create_customer(base_url: str) -> tuple[str, dict[str, Any]]:
    email = f"shopper.{uuid.uuid4().hex[:8]}@example.com"
    status, created = call(base_url, "POST", "/_local/users", {"email": email, "password": CHOSEN})
    assert status == 200, created
    return email, created


def test_the_endpoints_name_the_api_and_the_storefront_on_the_servers_port(cloud: LocalCloud, base_url: str) -> None:
    status, endpoints = call(base_url, "GET", "/_local/endpoints")

    assert status == 200
    assert endpoints["api"] == base_url == cloud.endpoints["api"]
    assert endpoints["storefront"] == f"{base_url}/" == cloud.endpoints["storefront"]
    assert endpoints["websocket"] == cloud.endpoints.get("websocket")


def test_config_json_is_generated_from_the_local_endpoints_and_the_user_pool(cloud: LocalCloud, base_url: str) -> None:
    status, headers, body = fetch(base_url, "GET", "/config.json")

    assert (status, headers["Content-Type"]) == (200, "application/json")
    assert json.loads(body) == {
        "apiUrl": base_url,
        "websocketUrl": cloud.endpoints.get("websocket"),
        "region": cloud.region,
        "userPoolId": cloud.identity.user_pool_id,
        "userPoolClientId": cloud.identity.client_id,
        "cognitoEndpoint": f"{base_url}{COGNITO_PATH}",
        "apiKey": cloud.api.client_keys[STOREFRONT_CLIENT],
    }


def test_config_jsons_api_key_is_one_the_local_api_accepts_on_every_route(base_url: str) -> None:
    _, _, config = fetch(base_url, "GET", "/config.json")
    key = json.loads(config)["apiKey"]
    _, token = new_customer_token(base_url)

    for headers in ({}, {"x-api-key": key[::-1]}):
        assert call(base_url, "GET", "/products", headers=headers) == (403, {"message": "Forbidden"})
    status, products = call(base_url, "GET", "/products", headers={"x-api-key": key})
    assert status == 200 and products
    signed_in = {"x-api-key": key, "Authorization": token}
    assert call(base_url, "GET", "/orders?limit=1", headers=signed_in) == (200, {"orders": [], "nextCursor": None})
    assert call(base_url, "GET", "/orders?limit=1", headers={"Authorization": token})[0] == 403


@pytest.mark.parametrize(
    "path", ["/", "/index.html", "/app.js", "/live.js", "/styles.css", "/favicon.svg", "/config.json"]
)
def test_every_file_carries_the_security_headers_cloudfront_sends(base_url: str, path: str) -> None:
    _, _, config = fetch(base_url, "GET", "/config.json")
    status, headers, _ = fetch(base_url, "GET", path)

    assert status == 200
    expected = security_headers(storefront_csp(json.loads(config)))
    assert {name: headers[name] for name in expected} == expected
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
    connect = next(d for d in headers["Content-Security-Policy"].split("; ") if d.startswith("connect-src "))
    assert connect.split()[1:] == ["'self'", *connect_sources(json.loads(config))]


@pytest.mark.parametrize("name", ["index.html", "app.js", "live.js", "styles.css", "favicon.svg"])
def test_each_file_is_served_as_written_with_its_content_type(base_url: str, name: str) -> None:
    status, headers, body = fetch(base_url, "GET", f"/{name}")

    assert (status, headers["Content-Type"], body) == (200, content_type_of(name), (SITE / name).read_bytes())


def test_head_of_the_page_answers_headers_without_a_body(base_url: str) -> None:
    status, headers, body = fetch(base_url, "HEAD", "/")

    assert (status, headers["Content-Type"], body) == (200, "text/html; charset=utf-8", b"")


def test_a_path_outside_the_site_still_answers_as_api_gateway_does(base_url: str) -> None:
    status, _, body = fetch(base_url, "GET", "/secrets.txt")

    assert (status, json.loads(body)) == (403, {"message": "Missing Authentication Token"})


def test_initiate_auth_signs_a_customer_in_with_their_password(cloud: LocalCloud, base_url: str) -> None:
    email, customer_id = new_customer(base_url)

    status, headers, answer = initiate_auth(
        base_url,
        {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": cloud.identity.client_id,
            "AuthParameters": {"USERNAME": email, "PASSWORD": CHOSEN},
        },
    )

    assert (status, headers["Content-Type"]) == (200, "application/x-amz-json-1.1")
    claims = claims_of(answer["AuthenticationResult"]["IdToken"])
    assert (claims["sub"], claims["email"], claims["aud"]) == (customer_id, email, cloud.identity.client_id)


def test_a_wrong_password_answers_not_authorized_as_cognito_does(cloud: LocalCloud, base_url: str) -> None:
    email, _ = new_customer(base_url)

    status, _, answer = initiate_auth(
        base_url,
        {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": cloud.identity.client_id,
            "AuthParameters": {"USERNAME": email, "PASSWORD": "Wrong-Horse-9!"},
        },
    )

    assert status == 400
    assert answer["__type"] == "NotAuthorizedException"
    assert "AuthenticationResult" not in answer


@pytest.mark.parametrize(
    ("request_body", "target", "error"),
    [
        ({"AuthFlow": "USER_PASSWORD_AUTH"}, "AWSCognitoIdentityProviderService.SignUp", "UnknownOperationException"),
        ({"AuthFlow": "USER_PASSWORD_AUTH"}, "", "UnknownOperationException"),
        (b"{not json", INITIATE_AUTH, "SerializationException"),
        (["AuthFlow"], INITIATE_AUTH, "SerializationException"),
        ({"AuthFlow": "USER_PASSWORD_AUTH"}, INITIATE_AUTH, "InvalidParameterException"),
        (
            {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": "x", "Admin": True},
            INITIATE_AUTH,
            "InvalidParameterException",
        ),
    ],
)
def test_a_bad_sign_in_request_answers_400_with_cognitos_error_type(
    base_url: str, request_body: Any, target: str, error: str
) -> None:
    status, _, answer = initiate_auth(base_url, request_body, target)

    assert (status, answer["__type"]) == (400, error)
    assert answer["message"]
