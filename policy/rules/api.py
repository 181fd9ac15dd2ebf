"""Stack rules on the public REST API: every route but the public catalog needs a signed-in customer.

A method's route is read from the stack itself (its resource's ``pathPart`` up the ``parentId`` chain), so a
route added anywhere, by any component, is held to the rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pulumi_policy import PolicyResource, ReportViolation

from .graph import Stack, refers_to
from .resource_types import API_METHOD, API_RESOURCE
from .values import value_at

PUBLIC_ROUTES: Final = frozenset({"GET /products"})
"""What anyone may call without a token: the catalog. (CORS preflights, OPTIONS, carry no token by design.)"""
AUTHORIZED_TYPES: Final = frozenset({"COGNITO_USER_POOLS", "CUSTOM", "AWS_IAM"})


def _path(stack: Stack, method: PolicyResource) -> str | None:
    """``/orders/{orderId}`` for a method, or ``None`` when its resource cannot be told yet."""
    resources = stack.of_type(API_RESOURCE)
    current = next((r for r in resources if refers_to(method, ("resourceId",), r)), None)
    if current is None:
        return "/"  # on the API's root resource
    parts: list[str] = []
    seen: set[str] = set()
    while current is not None and current.urn not in seen:
        seen.add(current.urn)
        part = value_at(current.props, "pathPart")
        if not isinstance(part, str):  # absent, or UNKNOWN until deployed
            return None
        parts.append(part)
        current = next((r for r in resources if r is not current and refers_to(current, ("parentId",), r)), None)
    return "/" + "/".join(reversed(parts))


def check_routes_have_an_authorizer(
    stack: Stack, _config: Mapping[str, Any], report_violation: ReportViolation
) -> None:
    for method in stack.of_type(API_METHOD):
        verb = value_at(method.props, "httpMethod")
        if verb == "OPTIONS":
            continue
        authorization = value_at(method.props, "authorization")
        authorizer = value_at(method.props, "authorizerId")
        path = _path(stack, method)
        route = f"{verb} {path}"
        if route in PUBLIC_ROUTES:
            continue
        if authorization not in AUTHORIZED_TYPES or (authorization != "AWS_IAM" and authorizer is None):
            report_violation(
                f"Route {route if path else method.name} has no authorizer (authorization {authorization!r}): only "
                f"{', '.join(sorted(PUBLIC_ROUTES))} may be called without a customer's token. Mark the route "
                "public only if anyone may call it; otherwise it gets the API's Cognito authorizer by default "
                "(components/rest_api.py).",
                method.urn,
            )
