"""RestApi: an API Gateway REST API built from routes given as data, validated at the edge, every route but
the public ones behind a Cognito user pool authorizer, throttled per stage and per registered client.

Example:
    api = RestApi("orders-api", RestApiArgs(
        routes=(ApiRoute("GET", "/products", LambdaProxy(fn), public=True),
                ApiRoute("POST", "/orders", LambdaProxy(fn), model="place_order")),
        models={"place_order": ApiModel("PlaceOrder", schema)},
        user_pool_arns=(pool.arn,), throttle=Throttle(20, 40)))
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import pulumi
import pulumi_aws as aws

from components import rest_api_cors as cors
from components.base import Transforms, child, invoke_permission, least_privilege_role, physical_name, region_name
from components.rest_api_args import (
    REST_API_CHILDREN,
    ApiClient,
    ApiModel,
    ApiRoute,
    IntegrationAnswer,
    LambdaProxy,
    RestApiArgs,
    ServiceAction,
    Throttle,
    path_slug,
    validate,
)
from components.rest_api_clients import usage_plan
from components.trust import api_gateway_trust

__all__ = [
    "REST_API_CHILDREN",
    "ApiClient",
    "ApiModel",
    "ApiRoute",
    "IntegrationAnswer",
    "LambdaProxy",
    "RestApi",
    "RestApiArgs",
    "ServiceAction",
    "Throttle",
    "source_arn_path",
]

JSON = "application/json"
COGNITO = "COGNITO_USER_POOLS"
#: Where clients put their ID token (raw, or after ``Bearer ``): README "Sign-in".
IDENTITY_SOURCE = "method.request.header.Authorization"
#: Where clients put their usage plan's API key.
API_KEY_SOURCE = "HEADER"
R = TypeVar("R", bound=pulumi.Resource)


def source_arn_path(method: str, path: str) -> str:
    """The part of a route's execute-api ARN after the stage: every ``{param}`` becomes ``*``."""
    return f"{method}{re.sub(r'[{][^}/]+[}]', '*', path)}"


class RestApi(pulumi.ComponentResource):
    """A REST API from data. Public attributes: ``rest_api``, ``stage``, ``authorizer`` (``None`` when every
    route is public), ``usage_plan``, ``api_keys`` (by client name), ``url``, ``address`` (the same URL, built
    from the id). ``transforms`` adjust the children by role (``REST_API_CHILDREN``); what the API needs to work
    (names, wiring, authorization, validation, throttling, CORS) is applied after them."""

    def __init__(
        self,
        name: str,
        args: RestApiArgs,
        transforms: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        # Was eventshop:services:OrdersApi: the alias keeps every child's URN, so nothing is replaced.
        aliased = pulumi.ResourceOptions.merge(
            pulumi.ResourceOptions(aliases=[pulumi.Alias(type_="eventshop:services:OrdersApi")]), opts
        )
        super().__init__("eventshop:components:RestApi", name, None, aliased)
        validate(name, args, transforms)
        self.name = name
        self.args = args
        self.transforms = transforms
        #: The one origin allowed to call from a browser (checked once known), or None: no CORS.
        self.cors_origin = None if args.cors_origin is None else cors.checked_origin(name, args.cors_origin)
        self.rest_api = self._child(
            aws.apigateway.RestApi,
            f"{name}-rest-api",
            "rest_api",
            defaults={"description": args.description, "endpoint_configuration": {"types": "REGIONAL"}},
            # Per-client limits need the client's key, which clients send in the x-api-key header.
            required={"name": physical_name(name), "api_key_source": API_KEY_SOURCE},
        )
        self.validator = self._child(
            aws.apigateway.RequestValidator,
            f"{name}-validator",
            "validator",
            required={
                "name": "body-and-parameters",
                "rest_api": self.rest_api.id,
                "validate_request_body": True,
                "validate_request_parameters": True,
            },
        )
        self.models = {
            key: self._child(
                aws.apigateway.Model,
                f"{name}-model-{key}",
                "model",
                required={
                    "rest_api": self.rest_api.id,
                    "name": model.name,
                    "content_type": JSON,
                    "schema": json.dumps(model.schema),
                },
            )
            for key, model in args.models.items()
        }
        self.authorizer = (
            self._child(
                aws.apigateway.Authorizer,
                f"{name}-authorizer",
                "authorizer",
                required={
                    "name": physical_name(name, "-customers"),
                    "rest_api": self.rest_api.id,
                    "type": COGNITO,
                    "provider_arns": list(args.user_pool_arns),
                    "identity_source": IDENTITY_SOURCE,
                },
            )
            if args.user_pool_arns
            else None
        )
        self.resources: dict[str, aws.apigateway.Resource] = {}
        self.methods: list[pulumi.Resource] = []
        self.roles: list[aws.iam.Role] = []
        for route in args.routes:
            if isinstance(route.integration, LambdaProxy):
                self._proxy_route(route, route.integration)
            else:
                self._service_route(route, route.integration)
        self.methods += cors.preflights(self._child, name, self.rest_api, self._resource, args, self.cors_origin)
        self.gateway_responses = [
            self._child(
                aws.apigateway.Response,
                f"{name}-response-{response_type.lower().replace('_', '-')}",
                "gateway_response",
                required={
                    "rest_api_id": self.rest_api.id,
                    "response_type": response_type,
                    "status_code": status,
                    "response_templates": {JSON: body},
                    "response_parameters": cors.gateway_response_parameters(self.cors_origin),
                },
            )
            for response_type, (status, body) in cors.gateway_responses(args).items()
        ]
        triggers: dict[str, pulumi.Input[str]] = {"redeployment": self._definition_hash()}
        if self.cors_origin is not None:
            # The origin is deployed too: in the preflights' and the gateway's answers.
            triggers["cors_origin"] = self.cors_origin
        self.deployment = self._child(
            aws.apigateway.Deployment,
            f"{name}-deployment",
            "deployment",
            required={"rest_api": self.rest_api.id, "triggers": triggers},
            opts=pulumi.ResourceOptions(depends_on=[*self.methods, *self.gateway_responses]),
        )
        self.stage = self._child(
            aws.apigateway.Stage,
            f"{name}-stage",
            "stage",
            defaults={"xray_tracing_enabled": True},
            required={"rest_api": self.rest_api.id, "deployment": self.deployment.id, "stage_name": args.stage_name},
        )
        self.method_settings = self._child(
            aws.apigateway.MethodSettings,
            f"{name}-throttling",
            "method_settings",
            defaults={"settings": {"metrics_enabled": True}},
            required={
                "rest_api": self.rest_api.id,
                "stage_name": self.stage.stage_name,
                "method_path": "*/*",
                "settings": {
                    "throttling_rate_limit": args.throttle.rate_limit,
                    "throttling_burst_limit": args.throttle.burst_limit,
                },
            },
        )
        self.usage_plan, self.api_keys = usage_plan(self._child, name, self.rest_api, self.stage, args)
        self.url = self.stage.invoke_url
        #: The stage's invoke URL built from the API's id, known before the stage exists: a site the API
        #: allows (cors_origin) can name the API without waiting for the stage, which waits for the site.
        self.address = pulumi.Output.concat(
            "https://", self.rest_api.id, ".execute-api.", region_name(self), f".amazonaws.com/{args.stage_name}"
        )
        self.register_outputs({"url": self.url})

    def _child(
        self,
        resource: Callable[..., R],
        name: str,
        role: str,
        *,
        defaults: Mapping[str, Any] | None = None,
        required: Mapping[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> R:
        return child(resource, name, self, self.transforms, role, defaults=defaults, required=required, opts=opts)

    def _definition_hash(self) -> str:
        """Changes whenever a route, model, response or authorizer changes, so the stage gets a new deployment."""
        routes = [
            [r.method, r.path, r.model, sorted(r.request_parameters.items()), r.public, type(r.integration).__name__]
            for r in self.args.routes
        ]
        parts = [
            json.dumps(routes),
            json.dumps({key: [m.name, m.schema] for key, m in self.args.models.items()}, sort_keys=True),
            json.dumps(cors.gateway_responses(self.args), sort_keys=True),
            json.dumps([IDENTITY_SOURCE, bool(self.args.user_pool_arns), [c.name for c in self.args.clients]]),
            self.args.revision,
            cors.revision(self.args),
        ]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def _resource(self, path: str) -> pulumi.Input[str]:
        """The API resource for a path, creating its parents on the way."""
        if path == "/":
            return self.rest_api.root_resource_id
        if path not in self.resources:
            parent_path, _, part = path.rpartition("/")
            self.resources[path] = self._child(
                aws.apigateway.Resource,
                f"{self.name}-resource-{path_slug(path)}",
                "resource",
                required={
                    "rest_api": self.rest_api.id,
                    "parent_id": self._resource(parent_path or "/"),
                    "path_part": part,
                },
            )
        return self.resources[path].id

    def _method(self, route: ApiRoute, resource_id: pulumi.Input[str]) -> aws.apigateway.Method:
        authorized = not route.public and self.authorizer is not None
        return self._child(
            aws.apigateway.Method,
            f"{self.name}-method-{route.slug}",
            "method",
            required={
                "rest_api": self.rest_api.id,
                "resource_id": resource_id,
                "http_method": route.method,
                "authorization": COGNITO if authorized else "NONE",
                "authorizer_id": self.authorizer.id if authorized and self.authorizer is not None else None,
                "api_key_required": bool(self.args.clients),
                "request_parameters": dict(route.request_parameters) or None,
                "request_validator_id": self.validator.id,
                "request_models": {JSON: self.models[route.model].name} if route.model else None,
            },
        )

    def _integration(
        self,
        route: ApiRoute,
        resource_id: pulumi.Input[str],
        method: aws.apigateway.Method,
        kind: dict[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> aws.apigateway.Integration:
        """The route's integration: a POST to the backend `kind` names (type, uri, and what that type needs)."""
        at = {"rest_api": self.rest_api.id, "resource_id": resource_id, "http_method": method.http_method}
        name = f"{self.name}-integration-{route.slug}"
        required = at | {"integration_http_method": "POST", **kind}
        return self._child(aws.apigateway.Integration, name, "integration", required=required, opts=opts)

    def _proxy_route(self, route: ApiRoute, proxy: LambdaProxy) -> None:
        resource_id = self._resource(route.path)
        method = self._method(route, resource_id)
        integration = self._integration(
            route, resource_id, method, {"type": "AWS_PROXY", "uri": proxy.function.invoke_arn}
        )
        # Scoped to this stage, method and path (each path parameter a wildcard): the function cannot be
        # invoked through any other route.
        invoke_permission(
            self,
            f"{self.name}-permission-{route.slug}",
            self.transforms,
            function=proxy.function,
            principal="apigateway.amazonaws.com",
            source_arn=pulumi.Output.concat(
                self.rest_api.execution_arn, f"/{self.args.stage_name}/{source_arn_path(route.method, route.path)}"
            ),
        )
        self.methods += [method, integration]

    def _service_route(self, route: ApiRoute, action: ServiceAction) -> None:
        role, policy = least_privilege_role(
            self,
            f"{self.name}-{action.role_key}",
            self.transforms,
            trust=api_gateway_trust(self),
            grants=action.grants,
            policy_name=action.policy_name,
            role_name=physical_name(self.name, f"-{action.role_key}"),
        )
        resource_id = self._resource(route.path)
        method = self._method(route, resource_id)
        integration = self._integration(
            route,
            resource_id,
            method,
            {
                "type": "AWS",
                "uri": pulumi.Output.concat(
                    "arn:aws:apigateway:", region_name(self), f":{action.service}:action/{action.action}"
                ),
                "credentials": role.arn,
                "passthrough_behavior": "NEVER",
                "request_templates": {JSON: action.request_template},
            },
            opts=pulumi.ResourceOptions(depends_on=[policy]),
        )
        default_status = action.statuses[0]
        method_responses = {
            status: self._child(
                aws.apigateway.MethodResponse,
                f"{self.name}-method-response-{route.slug}" + ("" if status == default_status else f"-{status}"),
                "method_response",
                required={
                    "rest_api": self.rest_api.id,
                    "resource_id": resource_id,
                    "http_method": method.http_method,
                    "status_code": status,
                    "response_models": {JSON: "Empty"},
                    "response_parameters": cors.method_response_parameters(self.cors_origin),
                },
            )
            for status in action.statuses
        }
        integration_responses = [
            self._child(
                aws.apigateway.IntegrationResponse,
                f"{self.name}-integration-response-{route.slug}"
                + ("" if answer.selection_pattern is None else f"-{answer.status}"),
                "integration_response",
                required={
                    "rest_api": self.rest_api.id,
                    "resource_id": resource_id,
                    "http_method": method.http_method,
                    "status_code": method_responses[answer.status].status_code,
                    "selection_pattern": answer.selection_pattern,
                    "response_templates": {JSON: answer.template},
                    "response_parameters": cors.integration_response_parameters(self.cors_origin),
                },
                opts=pulumi.ResourceOptions(depends_on=[integration]),
            )
            for answer in action.answers
        ]
        self.roles.append(role)
        self.methods += [method, integration, *method_responses.values(), *integration_responses]
