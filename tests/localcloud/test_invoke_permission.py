"""The one invoke-permission check (``Deployment.allows_invoke``), for API Gateway routes and EventBridge rules
alike. A Lambda permission's source ARN is an ``ArnLike`` condition: ``*`` and ``?`` wildcards, each of the ARN's
six parts matched on its own. The API used to match with fnmatch and rule delivery by equality; the cases below
are where those two disagreed (or where fnmatch differs from ``ArnLike``)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from devtools.program import ACCOUNT_ID
from localcloud import deployment as deployment_module
from localcloud.deployment import Deployment, arn_like
from tests.localcloud import support

ACCOUNT = ACCOUNT_ID
API = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:abc123"
RULE = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/shop-bus/billing-orders"
FUNCTION = support.function_spec("shop-dev-orders")
_API_CALL = ("apigateway.amazonaws.com", f"{API}/dev/GET/orders")


def deployment(*declared: dict[str, Any]) -> Deployment:
    found = support.deployment(functions=(FUNCTION,))
    found.permissions = support.permissions(*({"function": FUNCTION.name} | inputs for inputs in declared))
    return found


def from_api(source_arn: str | None, **more: Any) -> dict[str, Any]:
    return {"principal": "apigateway.amazonaws.com", "sourceArn": source_arn} | more


@pytest.mark.parametrize(
    ("pattern", "request_arn", "allowed"),
    [
        # A wildcard stage and path parameter (what the program grants): equality refused it, fnmatch allowed it.
        (f"{API}/*/GET/orders/*", f"{API}/dev/GET/orders/o-1", True),
        (f"{API}/dev/GET/orders/*", f"{API}/dev/POST/orders/o-1", False),
        (f"{API}/dev/POST/orders", f"{API}/dev/POST/orders", True),
        # ``*`` stays within its part of the ARN: fnmatch let it reach across the colons.
        ("arn:aws:execute-api:*", f"{API}/dev/GET/orders", False),
        (f"arn:aws:execute-api:*:{ACCOUNT}:abc123/*", f"{API}/dev/GET/products", True),
        (f"arn:aws:execute-api:us-*:{ACCOUNT}:*", f"{API}/dev/GET/products", True),
        ("arn:aws:execute-api:us-east-1:*/dev/GET/products", f"{API}/dev/GET/products", False),
        # ``[...]`` is literal in ArnLike; fnmatch read it as a character class.
        (f"{API}/dev/GET/[o]rders", f"{API}/dev/GET/orders", False),
        (f"{API}/dev/GET/[o]rders", f"{API}/dev/GET/[o]rders", True),
        # ``?`` is exactly one character.
        (f"{API}/de?/GET/orders", f"{API}/dev/GET/orders", True),
        (f"{API}/de?/GET/orders", f"{API}/deev/GET/orders", False),
        # Case matters.
        (f"{API}/dev/get/orders", f"{API}/dev/GET/orders", False),
    ],
)
def test_api_gateway_source_arns_match_as_arn_like(pattern: str, request_arn: str, allowed: bool) -> None:
    assert arn_like(request_arn, pattern) is allowed
    verdict = deployment(from_api(pattern)).allows_invoke(FUNCTION, "apigateway.amazonaws.com", request_arn)
    assert verdict is allowed


def test_a_rule_may_invoke_only_through_its_own_permission() -> None:
    granted = deployment({"principal": "events.amazonaws.com", "sourceArn": RULE, "sourceAccount": ACCOUNT})

    assert granted.allows_invoke(FUNCTION, "events.amazonaws.com", RULE)
    assert not granted.allows_invoke(FUNCTION, "events.amazonaws.com", RULE.replace("billing", "warehouse"))
    assert not granted.allows_invoke(FUNCTION, "apigateway.amazonaws.com", RULE), "another service principal"


def test_the_source_account_must_own_the_source() -> None:
    elsewhere = deployment({"principal": "events.amazonaws.com", "sourceArn": None, "sourceAccount": "999999999999"})

    assert not elsewhere.allows_invoke(FUNCTION, "events.amazonaws.com", RULE)


def test_no_source_arn_lets_the_principal_invoke_from_any_source() -> None:
    anywhere = deployment(from_api(None))

    assert anywhere.allows_invoke(FUNCTION, "apigateway.amazonaws.com", f"{API}/dev/DELETE/anything")
    assert not anywhere.allows_invoke(FUNCTION, "events.amazonaws.com", RULE)


def test_only_invoke_actions_count_and_only_for_their_function() -> None:
    other = dataclasses.replace(FUNCTION, name="shop-dev-billing", arn=FUNCTION.arn.replace("orders", "billing"))
    by_arn = deployment(from_api(None, function=FUNCTION.arn))

    assert not deployment(from_api(None, action="lambda:GetFunction")).allows_invoke(FUNCTION, *_API_CALL)
    assert deployment(from_api(None, action="lambda:*")).allows_invoke(FUNCTION, *_API_CALL)
    assert by_arn.allows_invoke(FUNCTION, *_API_CALL), "a permission may name the function by ARN"
    assert not by_arn.allows_invoke(other, *_API_CALL)


def test_each_arn_part_pattern_is_compiled_once_and_keeps_matching_as_arn_like() -> None:
    pattern = f"{API}/*/POST/orders"
    requests = [f"{API}/dev/POST/orders", f"{API}/prod/POST/orders", f"{API}/dev/GET/orders"]
    first = [arn_like(request, pattern) for request in requests]

    assert deployment_module._glob("abc123/*/POST/orders") is deployment_module._glob("abc123/*/POST/orders")
    assert [arn_like(request, pattern) for request in requests] == first == [True, True, False]
