"""The shop's public REST API as data for ``components.rest_api``: the routes of ``services/api_routes.py`` on
the API function, the cart route straight onto the bus (its mapping templates), and the edge's JSON errors.

Every route but ``GET /products`` needs a customer's ID token (the Identity service's pool); the customer is
the token's ``sub`` and their address its ``email`` claim, never the body.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pulumi
import pulumi_aws as aws

from components import BusRef
from components.base import put_events_grant
from components.rest_api import (
    ApiClient,
    ApiModel,
    ApiRoute,
    IntegrationAnswer,
    LambdaProxy,
    RestApiArgs,
    ServiceAction,
    Throttle,
)
from services.api_routes import (
    CART_ROUTE,
    CORRELATION_HEADER,
    MODELS,
    PARAMETERS,
    PROXY_ROUTES,
    Route,
    load_contract,
    whole_string_regex,
)
from settings import ApiSettings

__all__ = ["STAGE", "cart_template", "public_api_args"]

STAGE = "v1"
TEMPLATES = Path(__file__).parent / "templates"
CART_SOURCE = "eventshop.carts"

# Every edge failure answers JSON with a message; a body that fails its model also lists what is wrong.
# A missing or bad token answers 401 {"message": "Unauthorized"} through DEFAULT_4XX.
GATEWAY_RESPONSES: dict[str, tuple[str | None, str]] = {
    "BAD_REQUEST_BODY": (
        "400",
        '{"message": "Invalid request body", "errors": ["$context.error.validationErrorString"]}',
    ),
    "BAD_REQUEST_PARAMETERS": (
        "400",
        '{"message": "Invalid request parameters", "errors": ["$context.error.validationErrorString"]}',
    ),
    "DEFAULT_4XX": (None, '{"message": $context.error.messageString}'),
    "DEFAULT_5XX": (None, '{"message": $context.error.messageString}'),
}

PARAMETER_CHECKS = "add_cart_item.parameters.vtl"
CART_REQUEST_TEMPLATE = "add_cart_item.request.vtl"
#: The cart route's integration responses (status, selectionPattern, template, checks parameters): an AWS
#: integration matches ``selectionPattern`` against EventBridge's HTTP status; the default (no pattern)
#: takes 2xx. Without the 4xx and 5xx ones every EventBridge error answered 202. Each answers JSON.
CART_INTEGRATION_RESPONSES = (
    ("202", None, "add_cart_item.response.vtl", False),
    ("400", r"4\d{2}", "add_cart_item.client-error.vtl", True),
    ("503", r"5\d{2}", "add_cart_item.server-error.vtl", False),
)
#: Every status the cart route's integration can answer (401, 403 and 429 are the gateway's own; the templates
#: override 202/400 to 503/500 where they must).
CART_METHOD_STATUSES = tuple(str(a.status) for a in CART_ROUTE.answers if a.status not in (401, 403, 429))


def template(name: str) -> str:
    return (TEMPLATES / name).read_text()


def cart_template(name: str, bus_name: str = "", *, checks_parameters: bool = False) -> str:
    """A cart route template with the parameter rules (and the bus) filled in from ``services.api_routes``.

    The request template and the 4xx response template both start with the parameter checks
    (``add_cart_item.parameters.vtl``), so the rule is written once; every value put in is checked to be
    safe inside the templates' string literals.
    """
    cart_id, correlation_id = PARAMETERS["cartId"], PARAMETERS[CORRELATION_HEADER]
    values = {
        "__CART_ID_REGEX__": whole_string_regex(cart_id.schema),
        "__CART_ID_RULE__": cart_id.rule,
        "__CORRELATION_ID_REGEX__": whole_string_regex(correlation_id.schema),
        "__CORRELATION_ID_RULE__": correlation_id.rule,
        "__EVENT_BUS_NAME__": bus_name,
    }
    for key, value in values.items():
        if any(char in value for char in "'\"\\$#"):
            raise ValueError(f"{key} {value!r} cannot go inside a mapping template's string literal")
    text = (template(PARAMETER_CHECKS) if checks_parameters else "") + template(name)
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def _templates_revision() -> str:
    """Changes whenever a template changes, so the stage gets a new deployment."""
    parts = [cart_template(CART_REQUEST_TEMPLATE, checks_parameters=True)]
    parts += [cart_template(name, checks_parameters=checks) for _, _, name, checks in CART_INTEGRATION_RESPONSES]
    parts += [json.dumps(CART_INTEGRATION_RESPONSES)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _cart_action(bus: BusRef) -> ServiceAction:
    """API Gateway puts ItemAddedToCart on the bus itself, with a role that may only do that."""
    return ServiceAction(
        service="events",
        action="PutEvents",
        role_key="cart-events",
        policy_name="put-cart-events",
        grants=(put_events_grant(bus, [CART_SOURCE]),),
        request_template=pulumi.Output.from_input(bus.name).apply(
            lambda bus_name: cart_template(CART_REQUEST_TEMPLATE, bus_name, checks_parameters=True)
        ),
        answers=tuple(
            IntegrationAnswer(status, pattern, cart_template(name, checks_parameters=checks))
            for status, pattern, name, checks in CART_INTEGRATION_RESPONSES
        ),
        statuses=CART_METHOD_STATUSES,
    )


def _route(route: Route, integration: LambdaProxy | ServiceAction) -> ApiRoute:
    return ApiRoute(
        method=route.method,
        path=route.path,
        integration=integration,
        model=route.model,
        request_parameters=route.request_parameters,
        public=route.public,
    )


def public_api_args(
    function: aws.lambda_.Function,
    bus: BusRef,
    user_pool_arn: pulumi.Input[str],
    settings: ApiSettings,
    proxy_routes: tuple[Route, ...] = PROXY_ROUTES,
    cors_origin: pulumi.Input[str] | None = None,
) -> RestApiArgs:
    """The public API: ``proxy_routes`` on ``function``, the cart route onto ``bus``, tokens of one pool;
    browsers may call it from ``cors_origin`` alone (the storefront's)."""
    routes = [_route(route, LambdaProxy(function)) for route in proxy_routes]
    routes.append(_route(CART_ROUTE, _cart_action(bus)))
    # Each registered client application (the storefront) sends its own key, so the usage plan can hold
    # each one to its limits; the stage's limits still cap them all together.
    clients = tuple(ApiClient(name) for name in settings.clients)
    return RestApiArgs(
        routes=routes,
        models={name: ApiModel(name.title().replace("_", ""), load_contract(name)) for name in MODELS},
        gateway_responses=GATEWAY_RESPONSES,
        throttle=Throttle(settings.throttle_rate_limit, settings.throttle_burst_limit),
        stage_name=STAGE,
        description="eventshop public API",
        user_pool_arns=(user_pool_arn,),
        clients=clients,
        client_throttle=Throttle(settings.client_rate_limit, settings.client_burst_limit) if clients else None,
        revision=_templates_revision(),
        cors_origin=cors_origin,
    )
