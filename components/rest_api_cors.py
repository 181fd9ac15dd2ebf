"""CORS for a RestApi: the preflight (OPTIONS, answered by a MOCK integration without authorizer or API key)
on every resource with routes, and the one allowed origin on every other answer the API builds itself (its
gateway responses, its service integrations' responses). Lambda proxy routes state it in their own answers.

The origin is exactly one (``https://<host>``), never ``*``: the API takes credentials (ID tokens).
API Gateway's own errors (401 UNAUTHORIZED, 403 INVALID_API_KEY / ACCESS_DENIED, 429 THROTTLED) inherit
DEFAULT_4XX's headers unless customised, so DEFAULT_4XX and DEFAULT_5XX always exist with CORS: a page can
read a 401 or a 429 instead of seeing an opaque network error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from components.rest_api_args import RestApiArgs, origin_problem, path_slug

#: What the storefront sends besides the CORS-safelisted headers.
ALLOWED_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key", "X-Correlation-Id", "x-api-key")
#: How long a browser may reuse a preflight's answer.
MAX_AGE_SECONDS = 600
PREFLIGHT_STATUS = "204"
ALLOW_ORIGIN = "Access-Control-Allow-Origin"
METHOD_HEADER = "method.response.header."
GATEWAY_HEADER = "gatewayresponse.header."
#: The responses every 4xx and 5xx the gateway answers itself falls back to.
DEFAULT_RESPONSES: Mapping[str, tuple[str | None, str]] = {
    "DEFAULT_4XX": (None, '{"message": $context.error.messageString}'),
    "DEFAULT_5XX": (None, '{"message": $context.error.messageString}'),
}

#: ``(resource class, name, role, required=..., opts=...)`` -> the child, as ``RestApi._child`` builds it.
ChildBuilder = Callable[..., Any]


def checked_origin(name: str, origin: pulumi.Input[str]) -> pulumi.Output[str]:
    """The origin, failing the deployment with the problem named when (once known) it is not one https origin."""

    def check(value: str) -> str:
        problem = origin_problem(value)
        if problem is not None:
            raise ValueError(f"RestApi {name!r} has invalid arguments:\n  - {problem}")
        return value

    return pulumi.Output.from_input(origin).apply(check)


def quoted(value: pulumi.Input[str]) -> pulumi.Output[str]:
    """A static header value as API Gateway's mappings want it: in single quotes."""
    return pulumi.Output.concat("'", value, "'")


def preflight_headers(origin: pulumi.Input[str], methods: Sequence[str]) -> dict[str, pulumi.Input[str]]:
    """The preflight's answer: header name -> static (quoted) value."""
    allowed_methods = ",".join(sorted({*methods, "OPTIONS"}))
    return {
        ALLOW_ORIGIN: quoted(origin),
        "Access-Control-Allow-Methods": f"'{allowed_methods}'",
        "Access-Control-Allow-Headers": f"'{','.join(ALLOWED_HEADERS)}'",
        "Access-Control-Max-Age": f"'{MAX_AGE_SECONDS}'",
        "Vary": "'Origin'",
    }


def gateway_responses(args: RestApiArgs) -> Mapping[str, tuple[str | None, str]]:
    """The API's gateway responses; with CORS, DEFAULT_4XX and DEFAULT_5XX are added where not given."""
    if args.cors_origin is None:
        return args.gateway_responses
    return {**DEFAULT_RESPONSES, **args.gateway_responses}


def gateway_response_parameters(origin: pulumi.Input[str] | None) -> Mapping[str, pulumi.Input[str]] | None:
    if origin is None:
        return None
    return {GATEWAY_HEADER + ALLOW_ORIGIN: quoted(origin), GATEWAY_HEADER + "Vary": "'Origin'"}


def method_response_parameters(origin: pulumi.Input[str] | None) -> Mapping[str, bool] | None:
    """What a service route's method responses declare, so that its integration responses can set the origin."""
    return None if origin is None else {METHOD_HEADER + ALLOW_ORIGIN: True}


def integration_response_parameters(origin: pulumi.Input[str] | None) -> Mapping[str, pulumi.Input[str]] | None:
    return None if origin is None else {METHOD_HEADER + ALLOW_ORIGIN: quoted(origin)}


def preflight(
    build: ChildBuilder,
    name: str,
    at: Mapping[str, pulumi.Input[str]],
    slug: str,
    origin: pulumi.Input[str],
    methods: Sequence[str],
) -> list[pulumi.Resource]:
    """One resource's OPTIONS method and its MOCK answer (``at``: rest_api and resource_id). Returns them all,
    for the deployment to wait for."""
    headers = {METHOD_HEADER + header: value for header, value in preflight_headers(origin, methods).items()}
    method = build(
        aws.apigateway.Method,
        f"{name}-method-options-{slug}",
        "method",
        required={
            **at,
            "http_method": "OPTIONS",
            # A browser sends its preflight without credentials or headers of the page's: neither a token
            # nor an API key can be asked of it.
            "authorization": "NONE",
            "authorizer_id": None,
            "api_key_required": False,
        },
    )
    on_method = {**at, "http_method": method.http_method}
    integration = build(
        aws.apigateway.Integration,
        f"{name}-integration-options-{slug}",
        "integration",
        required={
            **on_method,
            "type": "MOCK",
            "passthrough_behavior": "NEVER",
            "request_templates": {"application/json": f'{{"statusCode": {PREFLIGHT_STATUS}}}'},
        },
    )
    method_response = build(
        aws.apigateway.MethodResponse,
        f"{name}-method-response-options-{slug}",
        "method_response",
        required={**on_method, "status_code": PREFLIGHT_STATUS, "response_parameters": dict.fromkeys(headers, True)},
    )
    integration_response = build(
        aws.apigateway.IntegrationResponse,
        f"{name}-integration-response-options-{slug}",
        "integration_response",
        required={**on_method, "status_code": method_response.status_code, "response_parameters": headers},
        opts=pulumi.ResourceOptions(depends_on=[integration]),
    )
    return [method, integration, method_response, integration_response]


def preflights(
    build: ChildBuilder,
    name: str,
    rest_api: aws.apigateway.RestApi,
    resource_for: Callable[[str], pulumi.Input[str]],
    args: RestApiArgs,
    origin: pulumi.Input[str] | None,
) -> list[pulumi.Resource]:
    """A preflight on every resource with routes, allowing that resource's methods; none without an origin."""
    if origin is None:
        return []
    built: list[pulumi.Resource] = []
    for path in dict.fromkeys(route.path for route in args.routes):
        methods = [route.method for route in args.routes if route.path == path]
        slug = path_slug(path) or "root"
        at = {"rest_api": rest_api.id, "resource_id": resource_for(path)}
        built += preflight(build, name, at, slug, origin, methods)
    return built


def revision(args: RestApiArgs) -> str:
    """What of CORS the deployment must follow besides the origin (the headers and max age it allows)."""
    return "" if args.cors_origin is None else f"cors {','.join(ALLOWED_HEADERS)} {MAX_AGE_SECONDS}"
