"""What a RestApi is built from: routes as data (their integrations), models, throttling, registered clients;
and the one check of them all (``validate``). The component itself is in ``components/rest_api.py``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.base import Grant, raise_problems


@dataclass(frozen=True)
class LambdaProxy:
    """An ``AWS_PROXY`` integration: API Gateway invokes ``function`` with the proxy event."""

    function: aws.lambda_.Function


@dataclass(frozen=True)
class IntegrationAnswer:
    """An integration response: ``status`` when the service's HTTP status matches ``selection_pattern``
    (``None``: the default, taken for 2xx), rendered by ``template``."""

    status: str
    selection_pattern: str | None
    template: str


@dataclass(frozen=True)
class ServiceAction:
    """An ``AWS`` integration: API Gateway calls ``service``'s ``action`` itself, with a role of its own
    (children ``<api>-<role_key>-role`` / ``-policy``) holding exactly ``grants``.

    ``statuses`` lists every status the method answers; the first is the default answer's.
    """

    service: str
    action: str
    role_key: str
    policy_name: str
    grants: tuple[Grant, ...]
    request_template: pulumi.Input[str]
    answers: tuple[IntegrationAnswer, ...]
    statuses: tuple[str, ...]


@dataclass(frozen=True)
class ApiRoute:
    """A method on a path. ``public`` routes skip the authorizer; every other one requires a token of the
    API's user pools. ``request_parameters`` maps ``method.request.<where>.<name>`` to whether it is required.
    """

    method: str
    path: str
    integration: LambdaProxy | ServiceAction
    model: str | None = None
    request_parameters: Mapping[str, bool] = field(default_factory=dict)
    public: bool = False

    @property
    def slug(self) -> str:
        return f"{self.method.lower()}-" + self.path.strip("/").replace("/", "-").replace("{", "").replace("}", "")


@dataclass(frozen=True)
class ApiModel:
    """A request model: its name in API Gateway and its JSON Schema (draft-04)."""

    name: str
    schema: Mapping[str, Any]


@dataclass(frozen=True)
class Throttle:
    """Steady requests per second and burst."""

    rate_limit: float
    burst_limit: int


@dataclass(frozen=True)
class ApiClient:
    """A registered client application: an API key of its own in the API's usage plan."""

    name: str


@dataclass(frozen=True, kw_only=True)
class RestApiArgs:
    """routes: the methods (required). models: request models by key, default none. gateway_responses:
    ``{responseType: (status or None, JSON template)}``, default none. throttle: the stage's limits
    (required). stage_name: default ``v1``. description: the API's, default ``""``. user_pool_arns: the
    pools whose ID tokens the authorizer accepts; required as soon as a route is not public. clients: the
    client applications with an API key, default none; client_throttle: each one's limits in the usage
    plan, required with clients. revision: anything else that changes what is deployed (templates),
    default ``""``.
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


def validate(name: str, args: RestApiArgs) -> None:
    """Raises one ValueError naming every problem of ``args``."""
    problems: list[str] = []
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
    raise_problems("RestApi", name, problems)
