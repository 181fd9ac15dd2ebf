"""The API rule (policy/rules/api.py): every route but GET /products has an authorizer.

Held against hand-built stacks that break and keep it, and against the whole program of both stacks with one
route's authorizer taken away.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pulumi_policy import PolicyResource

from devtools.program import ProgramRun
from policy.rules.resource_types import API_METHOD, API_RESOURCE
from tests.policy.conftest import stack_policy
from tests.policy.support import UNKNOWN, Finding, findings_for, stack_resource, stack_violations

RULE = "api-routes-authorized"


def api_resource(name: str, part: str, parent: str = "root") -> PolicyResource:
    return stack_resource(API_RESOURCE, name, {"id": name, "pathPart": part, "parentId": parent})


def method(name: str, verb: str, resource: str, **props: Any) -> PolicyResource:
    return stack_resource(API_METHOD, name, {"httpMethod": verb, "resourceId": resource, **props})


COGNITO = {"authorization": "COGNITO_USER_POOLS", "authorizerId": "auth-1"}
TREE = [
    api_resource("products", "products"),
    api_resource("orders", "orders"),
    api_resource("order", "{orderId}", "orders"),
]


def test_a_route_without_an_authorizer_is_reported_by_its_path() -> None:
    found = stack_violations(stack_policy(RULE), [*TREE, method("get-order", "GET", "order", authorization="NONE")])

    assert len(found) == 1
    assert "GET /orders/{orderId} has no authorizer" in found[0]


def test_cognito_authorization_without_an_authorizer_is_reported() -> None:
    found = stack_violations(
        stack_policy(RULE), [*TREE, method("post-orders", "POST", "orders", authorization="COGNITO_USER_POOLS")]
    )

    assert len(found) == 1 and "POST /orders" in found[0]


def test_the_catalog_and_preflights_may_be_public_and_authorized_routes_pass() -> None:
    stack = [
        *TREE,
        method("get-products", "GET", "products", authorization="NONE"),
        method("options-orders", "OPTIONS", "orders", authorization="NONE"),
        method("post-orders", "POST", "orders", **COGNITO),
        method("get-order", "GET", "order", **COGNITO),
    ]

    assert stack_violations(stack_policy(RULE), stack) == []


def test_another_method_on_the_catalog_path_is_not_public() -> None:
    found = stack_violations(
        stack_policy(RULE), [*TREE, method("post-products", "POST", "products", authorization="NONE")]
    )

    assert len(found) == 1 and "POST /products" in found[0]


def test_in_a_preview_the_path_comes_from_the_dependencies() -> None:
    products = api_resource("products", "products")
    public = stack_resource(
        API_METHOD,
        "get-products",
        {"httpMethod": "GET", "resourceId": UNKNOWN, "authorization": "NONE"},
        {"resourceId": [products]},
    )
    orders = api_resource("orders", "orders")
    secret = stack_resource(
        API_METHOD,
        "get-orders",
        {"httpMethod": "GET", "resourceId": UNKNOWN, "authorization": "NONE"},
        {"resourceId": [orders]},
    )

    found = stack_violations(stack_policy(RULE), [products, orders, public, secret])

    assert len(found) == 1 and "GET /orders" in found[0]


def test_the_program_keeps_the_rule_and_would_break_it_without_one_authorizer(
    program_run: ProgramRun, program_findings: list[Finding]
) -> None:
    assert [f for f in program_findings if f.policy == RULE] == []
    resources = list(program_run.resources)
    index = next(
        i for i, r in enumerate(resources) if r.typ == API_METHOD and r.name.endswith("method-get-orders-orderId")
    )
    unguarded = {"authorization": "NONE", "authorizerId": None}
    original = resources[index]
    resources[index] = replace(
        original, inputs={**original.inputs, **unguarded}, outputs={**original.outputs, **unguarded}
    )

    found = [f for f in findings_for(replace(program_run, resources=resources), RULE) if f.policy == RULE]

    assert [f.resource for f in found] == [original.name]
    assert "GET /orders/{orderId} has no authorizer" in found[0].message
