"""The public REST API of the shop: Lambda proxy routes, a direct EventBridge route, edge validation."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from components import BusRef
from components.base import identity_policy, physical_name, put_events_grant
from components.trust import api_gateway_trust
from settings import ApiSettings

STAGE = "v1"
CONTRACTS = Path("handlers/shared/contracts/api")
TEMPLATES = Path(__file__).parent / "templates"
CART_SOURCE = "eventshop.carts"
JSON = "application/json"

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


@dataclass(frozen=True)
class ProxyRoute:
    """A route answered by the API function."""

    method: str
    path: str
    model: str | None = None


PROXY_ROUTES = (
    ProxyRoute("GET", "/products"),
    ProxyRoute("POST", "/orders", model="place_order"),
    ProxyRoute("GET", "/orders/{orderId}"),
)
CART_ROUTE = ("POST", "/carts/{cartId}/items", "add_cart_item")


def load_contract(name: str) -> dict[str, Any]:
    """A request body's JSON Schema (draft-04, as API Gateway models require), shared with the handler."""
    path = CONTRACTS / f"{name}.json"
    try:
        schema: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError as error:
        raise FileNotFoundError(f"request contract {path} is missing") from error
    return schema


def template(name: str) -> str:
    return (TEMPLATES / name).read_text()


def _definition_hash() -> str:
    """Changes whenever a route, model or template changes, so the stage gets a new deployment."""
    parts = [json.dumps([route.__dict__ for route in PROXY_ROUTES]), json.dumps(CART_ROUTE)]
    parts += [json.dumps(load_contract(name), sort_keys=True) for name in ("place_order", "add_cart_item")]
    parts += [template(name) for name in sorted(p.name for p in TEMPLATES.glob("*.vtl"))]
    parts += [json.dumps(GATEWAY_RESPONSES, sort_keys=True)]
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
            for contract in ("place_order", "add_cart_item")
        }
        self.resources: dict[str, aws.apigateway.Resource] = {}
        self.methods: list[pulumi.Resource] = []
        for route in PROXY_ROUTES:
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
    def _path_parameters(path: str) -> dict[str, bool]:
        names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
        return {f"method.request.path.{name}": True for name in names}

    @staticmethod
    def _slug(method: str, path: str) -> str:
        return f"{method.lower()}-" + path.strip("/").replace("/", "-").replace("{", "").replace("}", "")

    def _proxy_route(self, route: ProxyRoute, function: aws.lambda_.Function) -> None:
        slug = self._slug(route.method, route.path)
        resource_id = self._resource(route.path)
        method = aws.apigateway.Method(
            f"{self.name}-method-{slug}",
            rest_api=self.rest_api.id,
            resource_id=resource_id,
            http_method=route.method,
            authorization="NONE",
            request_parameters=self._path_parameters(route.path) or None,
            request_validator_id=self.validator.id,
            request_models={JSON: self.models[route.model].name} if route.model else None,
            opts=self._child(),
        )
        integration = aws.apigateway.Integration(
            f"{self.name}-integration-{slug}",
            rest_api=self.rest_api.id,
            resource_id=resource_id,
            http_method=method.http_method,
            type="AWS_PROXY",
            integration_http_method="POST",
            uri=function.invoke_arn,
            opts=self._child(),
        )
        # Scoped to this stage, method and path: the function cannot be invoked through any other route.
        aws.lambda_.Permission(
            f"{self.name}-permission-{slug}",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="apigateway.amazonaws.com",
            source_arn=pulumi.Output.concat(
                self.rest_api.execution_arn, f"/{STAGE}/{route.method}{route.path.replace('{orderId}', '*')}"
            ),
            opts=self._child(),
        )
        self.methods += [method, integration]

    def _cart_route(self, bus: BusRef) -> None:
        http_method, path, contract = CART_ROUTE
        slug = self._slug(http_method, path)
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
        resource_id = self._resource(path)
        method = aws.apigateway.Method(
            f"{self.name}-method-{slug}",
            rest_api=self.rest_api.id,
            resource_id=resource_id,
            http_method=http_method,
            authorization="NONE",
            request_parameters=self._path_parameters(path),
            request_validator_id=self.validator.id,
            request_models={JSON: self.models[contract].name},
            opts=self._child(),
        )
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        integration = aws.apigateway.Integration(
            f"{self.name}-integration-{slug}",
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
                    lambda bus_name: template("add_cart_item.request.vtl").replace("__EVENT_BUS_NAME__", bus_name)
                )
            },
            opts=self._child(depends_on=[self.cart_policy]),
        )
        method_response = aws.apigateway.MethodResponse(
            f"{self.name}-method-response-{slug}",
            rest_api=self.rest_api.id,
            resource_id=resource_id,
            http_method=method.http_method,
            status_code="202",
            opts=self._child(),
        )
        integration_response = aws.apigateway.IntegrationResponse(
            f"{self.name}-integration-response-{slug}",
            rest_api=self.rest_api.id,
            resource_id=resource_id,
            http_method=method.http_method,
            status_code=method_response.status_code,
            response_templates={JSON: template("add_cart_item.response.vtl")},
            opts=self._child(depends_on=[integration]),
        )
        self.methods += [method, integration, method_response, integration_response]
