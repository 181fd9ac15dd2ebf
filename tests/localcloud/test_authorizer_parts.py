"""The local Cognito authorizer's parts that need no cloud: reading the header, claims as API Gateway gives them."""

from __future__ import annotations

import pytest

from localcloud.authorizer import CognitoAuthorizer, UnauthorizedError, as_api_gateway_claims, token_of


@pytest.mark.parametrize(
    ("header", "token"),
    [("abc.def.ghi", "abc.def.ghi"), ("Bearer abc.def.ghi", "abc.def.ghi"), ("  bearer  abc.def.ghi ", "abc.def.ghi")],
)
def test_the_token_is_the_raw_header_or_what_follows_bearer(header: str, token: str) -> None:
    assert token_of(header) == token


@pytest.mark.parametrize("header", [None, "", "   "])
def test_no_token_is_unauthorized(header: str | None) -> None:
    with pytest.raises(UnauthorizedError, match="no Authorization header"):
        token_of(header)


def test_claims_reach_the_integration_as_strings_the_way_api_gateway_writes_them() -> None:
    claims = {"sub": "s-1", "email_verified": True, "exp": 1796421308, "iat": 1796417708, "auth_time": 1796417708}

    assert as_api_gateway_claims(claims) == {
        "sub": "s-1",
        "email_verified": "true",
        "exp": "Fri Dec 04 21:55:08 UTC 2026",
        "iat": "Fri Dec 04 20:55:08 UTC 2026",
        "auth_time": "1796417708",
    }


def test_only_a_header_identity_source_is_emulated() -> None:
    with pytest.raises(ValueError, match=r"method\.request\.querystring\.token"):
        CognitoAuthorizer("method.request.querystring.token", [], lambda: 0.0)
