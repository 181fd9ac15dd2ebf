"""The WebSocket authorizer on moto's Cognito: only an unexpired RS256 ID token this pool issued to this app
client opens a connection; every other token is refused with API Gateway's 401 (``Unauthorized``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import boto3
import pytest
from joserfc import jwt
from moto import mock_aws

from handlers.live.tokens import InvalidTokenError, TokenVerifier, fetch_jwks
from localcloud import jwks
from tests.handlers.conftest import FakeLambdaContext, load_handler
from tests.handlers.shop_state import ACCOUNT, REGION
from tests.moto_cognito_key import motos_signing_key

AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "POWERTOOLS_TRACE_DISABLED": "true",
}
METHOD_ARN = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:abc123/live/$connect"
PASSWORD = "Correct-Horse-Battery-9"


@dataclass(frozen=True)
class Pool:
    issuer: str
    client_id: str
    sub: str
    id_token: str
    access_token: str


def _pool(name: str) -> Pool:
    cognito = boto3.client("cognito-idp")
    pool_id = cognito.create_user_pool(PoolName=name, UsernameAttributes=["email"])["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="web", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    email = f"ada@{name}.example.com"
    cognito.admin_create_user(
        UserPoolId=pool_id, Username=email, UserAttributes=[{"Name": "email", "Value": email}], MessageAction="SUPPRESS"
    )
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=PASSWORD, Permanent=True)
    result = cognito.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    sub = jwt.decode(result["IdToken"], motos_signing_key()).claims["sub"]
    return Pool(
        issuer=f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}",
        client_id=client_id,
        sub=sub,
        id_token=result["IdToken"],
        access_token=result["AccessToken"],
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signed(pool: Pool, **changes: Any) -> str:
    """An ID token of ``pool`` signed with moto's real key, with claims changed."""
    now = int(time.time())
    claims = {
        "iss": pool.issuer,
        "aud": pool.client_id,
        "sub": pool.sub,
        "token_use": "id",
        "iat": now,
        "exp": now + 3600,
        "email": "ada@example.com",
    } | changes
    return jwt.encode({"alg": "RS256", "kid": "dummy"}, claims, motos_signing_key())


@pytest.fixture(scope="module")
def pools() -> Iterator[tuple[Pool, Pool]]:
    """Two pools, made once for the module (each costs seconds in moto); tokens are only read from them."""
    with pytest.MonkeyPatch.context() as environment:
        for name, value in AWS_ENVIRONMENT.items():
            environment.setenv(name, value)
        with mock_aws():
            jwks.install()
            try:
                yield _pool("customers"), _pool("elsewhere")
            finally:
                jwks.uninstall()


@pytest.fixture
def authorizer(pools: tuple[Pool, Pool], monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    pool = pools[0]
    module = load_handler(
        "handlers.live.authorizer",
        monkeypatch,
        {"POWERTOOLS_SERVICE_NAME": "live-authorizer", "USER_POOL_ISSUER": pool.issuer, "USER_POOL_CLIENT_ID": "x"},
    )
    # A fresh container for this test's pool (the module may be warm from another test's pool).
    monkeypatch.setattr(module, "verifier", TokenVerifier(issuer=pool.issuer, audience=pool.client_id))
    return module


def connect_request(token: str | None) -> dict[str, Any]:
    """The REQUEST authorizer event API Gateway sends for a WebSocket `$connect`."""
    query = {} if token is None else {"token": token}
    return {
        "type": "REQUEST",
        "methodArn": METHOD_ARN,
        "headers": {"Host": f"abc123.execute-api.{REGION}.amazonaws.com", "Sec-WebSocket-Version": "13"},
        "multiValueHeaders": {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {key: [value] for key, value in query.items()},
        "stageVariables": {},
        "requestContext": {
            "routeKey": "$connect",
            "eventType": "CONNECT",
            "stage": "live",
            "connectionId": "L0SM9cOFvHcCIhw=",
            "apiId": "abc123",
            "requestId": "req-1",
            "identity": {"sourceIp": "192.0.2.1"},
        },
    }


def authorize(module: ModuleType, token: str | None) -> Mapping[str, Any]:
    answer: Mapping[str, Any] = module.handler(connect_request(token), FakeLambdaContext())
    return answer


def test_a_valid_id_token_allows_exactly_this_connect_for_its_customer(
    authorizer: ModuleType, pools: tuple[Pool, Pool]
) -> None:
    pool = pools[0]
    assert authorize(authorizer, pool.id_token) == {
        "principalId": pool.sub,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": METHOD_ARN}],
        },
        "context": {"customerId": pool.sub},
    }


def _hs256_with_the_public_key(pool: Pool) -> str:
    """The classic confusion attack: HMAC "signed" with the RSA public key as the secret."""
    public = json.dumps(fetch_jwks(f"{pool.issuer}/.well-known/jwks.json")["keys"][0]).encode()
    header = _b64(json.dumps({"alg": "HS256", "kid": "dummy"}).encode())
    body = _b64(
        json.dumps(
            {
                "iss": pool.issuer,
                "aud": pool.client_id,
                "sub": pool.sub,
                "token_use": "id",
                "exp": int(time.time()) + 3600,
            }
        ).encode()
    )
    signature = _b64(hmac.new(public, f"{header}.{body}".encode(), hashlib.sha256).digest())
    return f"{header}.{body}.{signature}"


def _unsigned(pool: Pool) -> str:
    header = _b64(json.dumps({"alg": "none", "kid": "dummy"}).encode())
    claims = {
        "iss": pool.issuer,
        "aud": pool.client_id,
        "sub": pool.sub,
        "token_use": "id",
        "exp": int(time.time()) + 3600,
    }
    return f"{header}.{_b64(json.dumps(claims).encode())}."


def _tampered(token: str) -> str:
    header, body, signature = token.split(".")
    flipped = "A" if signature[10] != "A" else "B"
    return f"{header}.{body}.{signature[:10]}{flipped}{signature[11:]}"


def _other_claims(token: str, **changes: Any) -> str:
    """The same signature over claims that were changed afterwards (a forged payload)."""
    header, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))) | changes
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


BAD_TOKENS: dict[str, Callable[[tuple[Pool, Pool]], str | None]] = {
    "missing": lambda _p: None,
    "empty": lambda _p: "",
    "another pool's token": lambda p: p[1].id_token,
    "expired": lambda p: _signed(p[0], iat=int(time.time()) - 7200, exp=int(time.time()) - 3600),
    "not yet valid": lambda p: _signed(p[0], nbf=int(time.time()) + 600),
    "wrong audience": lambda p: _signed(p[0], aud=p[1].client_id),
    "wrong issuer with this client": lambda p: _signed(p[0], iss=p[1].issuer),
    "an access token": lambda p: p[0].access_token,
    "alg none": lambda p: _unsigned(p[0]),
    "HS256 signed with the public key": lambda p: _hs256_with_the_public_key(p[0]),
    "tampered signature": lambda p: _tampered(p[0].id_token),
    "claims changed after signing": lambda p: _other_claims(p[0].id_token, sub="someone-else"),
    "unknown key id": lambda p: jwt.encode(
        {"alg": "RS256", "kid": "rotated-away"}, {"iss": p[0].issuer, "aud": p[0].client_id}, motos_signing_key()
    ),
    "not a token": lambda _p: "hello.world",
    "too large": lambda _p: "a" * 10_000,
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_a_bad_token_is_refused_with_unauthorized(
    authorizer: ModuleType, pools: tuple[Pool, Pool], case: str, caplog: pytest.LogCaptureFixture
) -> None:
    token = BAD_TOKENS[case](pools)
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(authorizer, token)
    assert [record.getMessage() for record in caplog.records] == ["Connection refused"]
    logged = " ".join(str(record.__dict__) for record in caplog.records)
    if token:
        assert token not in logged and token[-20:] not in logged


def test_the_key_set_is_fetched_once_per_container_and_again_only_for_an_unknown_key(pools: tuple[Pool, Pool]) -> None:
    pool = pools[0]
    fetched: list[str] = []

    def counting_fetch(url: str) -> Mapping[str, Any]:
        fetched.append(url)
        return fetch_jwks(url)

    verifier = TokenVerifier(issuer=pool.issuer, audience=pool.client_id, fetch=counting_fetch)
    for _ in range(3):
        assert verifier.verify(pool.id_token).sub == pool.sub
    assert fetched == [f"{pool.issuer}/.well-known/jwks.json"]
    rotated = jwt.encode({"alg": "RS256", "kid": "next-key"}, {"iss": pool.issuer}, motos_signing_key())
    for _ in range(3):
        with pytest.raises(InvalidTokenError, match="unknown key id"):
            verifier.verify(rotated)
    assert len(fetched) == 2, "one refetch for a key id never seen, none for the same unknown id again"


def test_keys_are_fetched_over_https_only() -> None:
    with pytest.raises(InvalidTokenError, match="HTTPS"):
        fetch_jwks("http://cognito-idp.us-east-1.amazonaws.com/pool/.well-known/jwks.json")
