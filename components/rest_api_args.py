"""What a RestApi is built from: routes as data (their integrations), models, throttling, registered clients;
and the one check of them all (``validate``). The component itself is in ``components/rest_api.py``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.base import Grant, Transforms, check_transforms, raise_problems

#: The roles a RestApi's transforms may adjust: one per kind of child.
REST_API_CHILDREN = (
    "rest_api",
    "validator",
    "model",
    "authorizer",
    "resource",
    "method",
    "integration",
    "permission",
    "role",
    "policy",
    "method_response",
    "integration_response",
    "gateway_response",
    "deployment",
    "stage",
    "method_settings",
    "usage_plan",
    "api_key",
    "usage_plan_key",
)


@dataclass(frozen=True)
class LambdaProxy:
    """An ``AWS_PROXY`` integration: API Gateway invokes the function with the proxy event.

    function: the Lambda function the route invokes (it gets a permission scoped to this route).
    """

    function: aws.lambda_.Function


@dataclass(frozen=True)
class IntegrationAnswer:
    """An integration response, chosen by the service's HTTP status.

    status: the method's status this answer returns (one of the action's ``statuses``).
    selection_pattern: a regular expression over the service's HTTP status; ``None`` makes this the answer
    taken when no pattern matches (2xx). Required: say ``None`` explicitly.
    template: the VTL mapping template rendering the answer's body.
    """

    status: str
    selection_pattern: str | None
    template: str


@dataclass(frozen=True)
class ServiceAction:
    """An ``AWS`` integration: API Gateway calls an AWS service's action itself, with a role of its own
    (children ``<api>-<role_key>-role`` / ``-policy``) holding exactly the grants.

    service: the service's API Gateway name (``events``, ``sqs``, ...). action: the service's action.
    role_key: names the integration's role and policy children. policy_name: the role's inline policy's name.
    grants: what the role may do, exactly. request_template: the VTL template building the service's request.
    answers: the integration responses (``IntegrationAnswer``). statuses: every status the method answers;
    the first is the status of the answer without a selection pattern.
    """

    service: str
    action: str
    role_key: str
    policy_name: str
    grants: tuple[Grant, ...]
    request_template: pulumi.Input[str]
    answers: tuple[IntegrationAnswer, ...]
    statuses: tuple[str, ...]


def path_slug(path: str) -> str:
    """A resource path as it appears in child names (``/carts/{cartId}/items`` -> ``carts-cartId-items``)."""
    return path.strip("/").replace("/", "-").replace("{", "").replace("}", "")


@dataclass(frozen=True)
class ApiRoute:
    """A method on a path.

    method: the HTTP method. path: the resource path, ``{param}`` for a path parameter.
    integration: what answers (``LambdaProxy`` or ``ServiceAction``).
    model: the key (in the API's models) of the request body's model, default none (no body validated).
    request_parameters: maps ``method.request.<where>.<name>`` to whether it is required, default none.
    public: skips the authorizer, default False; every other route requires a token of the API's user pools.
    """

    method: str
    path: str
    integration: LambdaProxy | ServiceAction
    model: str | None = None
    request_parameters: Mapping[str, bool] = field(default_factory=dict)
    public: bool = False

    @property
    def slug(self) -> str:
        return f"{self.method.lower()}-{path_slug(self.path)}"


@dataclass(frozen=True)
class ApiModel:
    """A request model.

    name: its name in API Gateway. schema: its JSON Schema (draft-04).
    """

    name: str
    schema: Mapping[str, Any]


@dataclass(frozen=True)
class Throttle:
    """Request limits.

    rate_limit: steady requests per second. burst_limit: requests in a burst.
    """

    rate_limit: float
    burst_limit: int


@dataclass(frozen=True)
class ApiClient:
    """A registered client application: an API key of its own in the API's usage plan.

    name: the client's name (names its key; unique in the API).
    """

    name: str


@dataclass(frozen=True, kw_only=True)
class RestApiArgs:
    """routes: the methods (required). throttle: the stage's limits (required).
    models: request models by key, default none.
    gateway_responses: ``{responseType: (status or None, JSON template)}``, default none.
    stage_name: default ``v1``. description: the API's, default none (empty).
    user_pool_arns: the pools whose ID tokens the authorizer accepts (needed as soon as a route is not
    public), default none.
    clients: the client applications with an API key, default none.
    client_throttle: each client's limits in the usage plan (needed with clients), default none.
    revision: anything else that changes what is deployed (templates), default none (empty).
    cors_origin: the one origin (``https://<host>``, never ``*``) whose pages may call the API from a browser:
    every resource with routes answers its preflight, and every answer the API builds itself (gateway
    responses, service integration responses) carries the origin; default none (no CORS).
    """

    routes: Sequence[ApiRoute]
    throttle: Throttle
    models: Mapping[str, ApiModel] = field(default_factory=dict)
    gateway_responses: Mapping[str, tuple[str | None, str]] = field(default_factory=dict)
    stage_name: str = "v1"
    description: str = ""
    user_pool_arns: Sequence[pulumi.Input[str]] = ()
    clients: Sequence[ApiClient] = ()
    client_throttle: Throttle | None = None
    revision: str = ""
    cors_origin: pulumi.Input[str] | None = None


#: One origin: https, a host (and port), no path, no wildcard, no credentials.
_ORIGIN = re.compile(r"https://[A-Za-z0-9.-]+(:\d{1,5})?")


def origin_problem(origin: object) -> str | None:
    """What is wrong with a CORS origin, or None: it must be exactly one ``https://host`` (no path, no ``*``)."""
    if isinstance(origin, str) and _ORIGIN.fullmatch(origin):
        return None
    return f"cors_origin: {origin!r} is not one https origin (https://<host>, no path, never *)"


def validate(name: str, args: RestApiArgs, transforms: Transforms | None = None) -> None:
    """Raises one ValueError naming every problem of ``args`` and ``transforms``."""
    problems: list[str] = []
    check_transforms(transforms, REST_API_CHILDREN, problems)
    if not args.routes:
        problems.append("routes: at least one route is needed")
    slugs = [route.slug for route in args.routes]
    problems += [f"routes: {slug} is declared twice" for slug in sorted({s for s in slugs if slugs.count(s) > 1})]
    problems += [
        f"routes: {route.slug} names model {route.model!r}, which models does not define"
        for route in args.routes
        if route.model is not None and route.model not in args.models
    ]
    if any(not route.public for route in args.routes) and not args.user_pool_arns:
        problems.append("user_pool_arns: routes that are not public need at least one user pool")
    if args.clients and args.client_throttle is None:
        problems.append("client_throttle: required when clients are registered")
    names = [client.name for client in args.clients]
    problems += [f"clients: {n!r} is registered twice" for n in sorted({n for n in names if names.count(n) > 1})]
    if args.throttle.rate_limit <= 0 or args.throttle.burst_limit < 1:
        problems.append("throttle: rate_limit and burst_limit must be positive")
    # An Output is checked once known (RestApi); a plain value here, before anything is built.
    if args.cors_origin is not None and not isinstance(args.cors_origin, pulumi.Output):
        problem = origin_problem(args.cors_origin)
        problems += [problem] if problem else []
    raise_problems("RestApi", name, problems)
