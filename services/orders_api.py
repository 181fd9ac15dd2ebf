"""The public REST API of the shop: Lambda proxy routes, a direct EventBridge route, edge validation."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from components import BusRef
from components.base import identity_policy, physical_name, put_events_grant
from components.trust import api_gateway_trust
from services.api_routes import (
    CART_ROUTE,
    CORRELATION_HEADER,
    JSON,
    MODELS,
    PARAMETERS,
    PROXY_ROUTES,
    ROUTES,
    Route,
    load_contract,
    whole_string_regex,
)
from settings import ApiSettings

__all__ = ["STAGE", "OrdersApi", "load_contract", "source_arn_path"]

STAGE = "v1"
TEMPLATES = Path(__file__).parent / "templates"
CART_SOURCE = "eventshop.carts"

# Every edge failure answers JSON with a message; a body that fails its model also lists what is wrong.
GATEWAY_RESPONSES = {
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
#: Every status the cart route can answer (the templates override 202/400 to 503/500 where they must).
CART_METHOD_STATUSES = tuple(str(answer.status) for answer in CART_ROUTE.answers if answer.status != 429)


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


def source_arn_path(method: str, path: str) -> str:
    """The part of a route's execute-api ARN after the stage: every ``{param}`` becomes ``*``."""
    return f"{method}{re.sub(r'[{][^}/]+[}]', '*', path)}"


def _definition_hash() -> str:
    """Changes whenever a route, model or template changes, so the stage gets a new deployment."""
    parts = [json.dumps([dataclasses.asdict(route) for route in ROUTES], sort_keys=True)]
    parts += [json.dumps(load_contract(name), sort_keys=True) for name in MODELS]
    parts += [cart_template(CART_REQUEST_TEMPLATE, checks_parameters=True)]
    parts += [cart_template(name, checks_parameters=checks) for _, _, name, checks in CART_INTEGRATION_RESPONSES]
    parts += [json.dumps(GATEWAY_RESPONSES, sort_keys=True), json.dumps(CART_INTEGRATION_RESPONSES)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class OrdersApi(pulumi.ComponentResource):
    """REST API: `/products`, `/orders`, `/orders/{orderId}` on the API function, and
    `/carts/{cartId}/items` straight onto the bus, with JSON-schema models validated at the edge."""

    def __init__(
        self,
        name: str,
        function: aws.lambda_.Function,
        bus: BusRef,
        api_settings: ApiSettings,
        opts: pulumi.ResourceOptions | None = None,
        proxy_routes: Sequence[Route] = PROXY_ROUTES,
    ) -> None:
        super().__init__("eventshop:services:OrdersApi", name, None, opts)
        self.name = name
        self.rest_api = aws.apigateway.RestApi(
            f"{name}-rest-api",
            name=physical_name(name),
            description="eventshop public API",
            endpoint_configuration={"types": "REGIONAL"},
            opts=self._child(),
        )
        self.validator = aws.apigateway.RequestValidator(
            f"{name}-validator",
            name="body-and-parameters",
            rest_api=self.rest_api.id,
            validate_request_body=True,
            validate_request_parameters=True,
            opts=self._child(),
        )
        self.models = {
            contract: aws.apigateway.Model(
                f"{name}-model-{contract}",
                rest_api=self.rest_api.id,
                name=contract.title().replace("_", ""),
                content_type=JSON,
                schema=json.dumps(load_contract(contract)),
                opts=self._child(),
            )
            for contract in MODELS
        }
        self.resources: dict[str, aws.apigateway.Resource] = {}
        self.methods: list[pulumi.Resource] = []
        for route in proxy_routes:
            self._proxy_route(route, function)
        self._cart_route(bus)
        self.gateway_responses = [
            aws.apigateway.Response(
                f"{name}-response-{response_type.lower().replace('_', '-')}",
                rest_api_id=self.rest_api.id,
                response_type=response_type,
                status_code=status,
                response_templates={JSON: body},
                opts=self._child(),
            )
            for response_type, (status, body) in GATEWAY_RESPONSES.items()
        ]
        self.deployment = aws.apigateway.Deployment(
            f"{name}-deployment",
            rest_api=self.rest_api.id,
            triggers={"redeployment": _definition_hash()},
            opts=self._child(depends_on=[*self.methods, *self.gateway_responses]),
        )
        self.stage = aws.apigateway.Stage(
            f"{name}-stage",
            rest_api=self.rest_api.id,
            deployment=self.deployment.id,
            stage_name=STAGE,
            xray_tracing_enabled=True,
            opts=self._child(),
        )
        self.method_settings = aws.apigateway.MethodSettings(
            f"{name}-throttling",
            rest_api=self.rest_api.id,
            stage_name=self.stage.stage_name,
            method_path="*/*",
            settings={
                "metrics_enabled": True,
                "throttling_rate_limit": api_settings.throttle_rate_limit,
                "throttling_burst_limit": api_settings.throttle_burst_limit,
            },
            opts=self._child(),
        )
        self.url = self.stage.invoke_url
        self.register_outputs({"url": self.url})

    def _child(self, **kwargs: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)

    def _resource(self, path: str) -> pulumi.Input[str]:
        """The API resource for a path, creating its parents on the way."""
        if path == "/":
            return self.rest_api.root_resource_id
        if path not in self.resources:
            parent_path, _, part = path.rpartition("/")
            slug = path.strip("/").replace("/", "-").replace("{", "").replace("}", "")
            self.resources[path] = aws.apigateway.Resource(
                f"{self.name}-resource-{slug}",
                rest_api=self.rest_api.id,
                parent_id=self._resource(parent_path or "/"),
                path_part=part,
                opts=self._child(),
            )
        return self.resources[path].id

    @staticmethod
    def _request_parameters(route: Route) -> dict[str, bool]:
        """Path parameters are required; headers the route reads are declared optional (the validator
        checks presence only: their rules are checked by the function or the mapping template)."""
        declared = {f"method.request.path.{name}": True for name in route.path_parameters}
        declared |= {f"method.request.header.{name}": False for name in route.headers}
        return declared

    def _method(self, route: Route, resource_id: pulumi.Input[str]) -> aws.apigateway.Method:
        return aws.apigateway.Method(
            f"{self.name}-method-{route.slug}",
            rest_api=self.rest_api.id,
            resource_id=resource_id,
            http_method=route.method,
            authorization="NONE",
            request_parameters=self._request_parameters(route) or None,
            request_validator_id=self.validator.id,
            request_models={JSON: self.models[route.model].name} if route.model else None,
            opts=self._child(),
        )

    def _proxy_route(self, route: Route, function: aws.lambda_.Function) -> None:
        resource_id = self._resource(route.path)
        method = self._method(route, resource_id)
        integration = aws.apigateway.Integration(
            f"{self.name}-integration-{route.slug}",
            rest_api=self.rest_api.id,
            resource_id=resource_id,
            http_method=method.http_method,
            type="AWS_PROXY",
            integration_http_method="POST",
            uri=function.invoke_arn,
            opts=self._child(),
        )
        # Scoped to this stage, method and path (each path parameter a wildcard): the function cannot be
        # invoked through any other route.
        aws.lambda_.Permission(
            f"{self.name}-permission-{route.slug}",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="apigateway.amazonaws.com",
            source_arn=pulumi.Output.concat(
                self.rest_api.execution_arn, f"/{STAGE}/{source_arn_path(route.method, route.path)}"
            ),
            opts=self._child(),
        )
        self.methods += [method, integration]

    def _cart_route(self, bus: BusRef) -> None:
        route = CART_ROUTE
        self.cart_role = aws.iam.Role(
            f"{self.name}-cart-events-role",
            name=physical_name(self.name, "-cart-events"),
            assume_role_policy=api_gateway_trust(self),
            opts=self._child(),
        )
        self.cart_policy = aws.iam.RolePolicy(
            f"{self.name}-cart-events-policy",
            name="put-cart-events",
            role=self.cart_role.id,
            policy=identity_policy([put_events_grant(bus, [CART_SOURCE])]),
            opts=self._child(),
        )
        resource_id = self._resource(route.path)
        method = self._method(route, resource_id)
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        integration = aws.apigateway.Integration(
            f"{self.name}-integration-{route.slug}",
            rest_api=self.rest_api.id,
            resource_id=resource_id,
            http_method=method.http_method,
            type="AWS",
            integration_http_method="POST",
            uri=pulumi.Output.concat("arn:aws:apigateway:", region, ":events:action/PutEvents"),
            credentials=self.cart_role.arn,
            passthrough_behavior="NEVER",
            request_templates={
                JSON: pulumi.Output.from_input(bus.name).apply(
                    lambda bus_name: cart_template(CART_REQUEST_TEMPLATE, bus_name, checks_parameters=True)
                )
            },
            opts=self._child(depends_on=[self.cart_policy]),
        )
        method_responses = {
            status: aws.apigateway.MethodResponse(
                f"{self.name}-method-response-{route.slug}" + ("" if status == "202" else f"-{status}"),
                rest_api=self.rest_api.id,
                resource_id=resource_id,
                http_method=method.http_method,
                status_code=status,
                response_models={JSON: "Empty"},
                opts=self._child(),
            )
            for status in CART_METHOD_STATUSES
        }
        integration_responses = [
            aws.apigateway.IntegrationResponse(
                f"{self.name}-integration-response-{route.slug}" + ("" if pattern is None else f"-{status}"),
                rest_api=self.rest_api.id,
                resource_id=resource_id,
                http_method=method.http_method,
                status_code=method_responses[status].status_code,
                selection_pattern=pattern,
                response_templates={JSON: cart_template(name, checks_parameters=checks)},
                opts=self._child(depends_on=[integration]),
            )
            for status, pattern, name, checks in CART_INTEGRATION_RESPONSES
        ]
        self.methods += [method, integration, *method_responses.values(), *integration_responses]
