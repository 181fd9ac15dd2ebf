"""WebSocketApi: an API Gateway WebSocket API whose `$connect` a Lambda (REQUEST) authorizer guards."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import (
    Grant,
    Transforms,
    account_id,
    check_transforms,
    child,
    create_log_group,
    invoke_permission,
    physical_name,
    raise_problems,
    region_name,
)

WEBSOCKET_API_CHILDREN = ("api", "authorizer", "integration", "route", "permission", "stage", "access_log")
#: The routes API Gateway itself raises; custom route keys are matched on `route_selection_expression`.
CONNECT, DISCONNECT, DEFAULT = "$connect", "$disconnect", "$default"
_ROUTE_KEY = re.compile(r"^(\$connect|\$disconnect|\$default|[A-Za-z0-9_.-]{1,128})$")
_STAGE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
#: What each access log line records: who, which route, how it ended. Never the query string (it holds the token).
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "connectionId": "$context.connectionId",
        "routeKey": "$context.routeKey",
        "eventType": "$context.eventType",
        "status": "$context.status",
        "principalId": "$context.authorizer.principalId",
        "authorizerError": "$context.authorizer.error",
        "integrationError": "$context.integrationErrorMessage",
        "requestTime": "$context.requestTimeEpoch",
        "sourceIp": "$context.identity.sourceIp",
    },
    sort_keys=True,
)


@dataclass(frozen=True, kw_only=True)
class Throttling:
    """Stage-wide limits on messages and connection requests.

    rate_limit: steady requests per second. burst_limit: requests allowed at once above the rate.
    """

    rate_limit: float
    burst_limit: int


@dataclass(frozen=True, kw_only=True)
class WebSocketApiArgs:
    """routes: route key -> the function that handles it (AWS_PROXY); `$connect` is required.
    authorizer: the function that authorizes `$connect` (a REQUEST Lambda authorizer).
    identity_source: where the authorizer's input is, default `route.request.querystring.token`
        (browsers cannot set headers on a WebSocket); a request without it is refused with 401 unread.
    throttling: stage-wide message and connection limits (`Throttling`).
    log_retention_days: how long the stage's access log is kept.
    stage_name: default "live".
    route_selection_expression: how a message picks a custom route, default `$request.body.action`.
    """

    routes: Mapping[str, aws.lambda_.Function]
    authorizer: aws.lambda_.Function
    throttling: Throttling
    log_retention_days: int
    identity_source: str = "route.request.querystring.token"
    stage_name: str = "live"
    route_selection_expression: str = "$request.body.action"


def _validate(args: WebSocketApiArgs, transforms: Transforms | None) -> list[str]:
    problems: list[str] = []
    check_transforms(transforms, WEBSOCKET_API_CHILDREN, problems)
    if CONNECT not in args.routes:
        problems.append("routes: $connect is required (the authorizer guards it)")
    problems.extend(f"route key {key!r} is not valid" for key in args.routes if not _ROUTE_KEY.match(key))
    if not _STAGE.match(args.stage_name):
        problems.append(f"stage_name {args.stage_name!r} is not valid")
    if not args.identity_source.startswith(("route.request.querystring.", "route.request.header.")):
        problems.append(f"identity_source {args.identity_source!r} must name a query string parameter or header")
    if args.throttling.rate_limit <= 0 or args.throttling.burst_limit < 1:
        problems.append("throttling: rate_limit must be positive and burst_limit at least 1")
    if args.log_retention_days < 1:
        problems.append(f"log_retention_days must be at least 1, got {args.log_retention_days}")
    return problems


def _slug(route_key: str) -> str:
    return route_key.lstrip("$").replace(".", "-").replace("_", "-").lower()


class WebSocketApi(pulumi.ComponentResource):
    """A WebSocket API: each route integrated with a function (AWS_PROXY), `$connect` behind a Lambda
    authorizer, one auto-deployed stage with throttling and JSON access logs, and invoke permissions
    scoped to this API's routes. `manage_connections` is the one grant a backend needs to push to the
    API's connections: `execute-api:ManageConnections` on this stage's `POST/@connections/*`.

        live = WebSocketApi("live", WebSocketApiArgs(
            routes={"$connect": connect.function, "$disconnect": disconnect.function},
            authorizer=authorizer.function, throttling=Throttling(rate_limit=50, burst_limit=100),
            log_retention_days=14,
        ))
        live.url, live.management_endpoint, live.manage_connections
    """

    api: aws.apigatewayv2.Api
    authorizer: aws.apigatewayv2.Authorizer
    integrations: dict[str, aws.apigatewayv2.Integration]
    routes: dict[str, aws.apigatewayv2.Route]
    permissions: list[aws.lambda_.Permission]
    access_log: aws.cloudwatch.LogGroup
    stage: aws.apigatewayv2.Stage

    def __init__(
        self,
        name: str,
        args: WebSocketApiArgs,
        transforms: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:components:WebSocketApi", name, None, opts)
        raise_problems("WebSocketApi", name, _validate(args, transforms))
        self.api = child(
            aws.apigatewayv2.Api,
            f"{name}-api",
            self,
            transforms,
            "api",
            required={
                "name": physical_name(name),
                "protocol_type": "WEBSOCKET",
                "route_selection_expression": args.route_selection_expression,
            },
        )
        self.authorizer = child(
            aws.apigatewayv2.Authorizer,
            f"{name}-authorizer",
            self,
            transforms,
            "authorizer",
            required={
                "api_id": self.api.id,
                "name": physical_name(name, "-authorizer"),
                "authorizer_type": "REQUEST",
                "authorizer_uri": args.authorizer.invoke_arn,
                "identity_sources": [args.identity_source],
            },
        )
        self.permissions = [
            self._permission(
                f"{name}-authorizer-permission",
                args.authorizer,
                pulumi.Output.concat(self.api.execution_arn, "/authorizers/", self.authorizer.id),
                transforms,
            )
        ]
        self.integrations = {}
        self.routes = {}
        for route_key, function in args.routes.items():
            self._route(name, route_key, function, args, transforms)
        # API Gateway writes a stage's access log wherever the stage says: the pattern names it after the API.
        self.access_log = create_log_group(
            self,
            name,
            transforms,
            args.log_retention_days,
            f"/aws/apigateway/{physical_name(name)}",
            suffix="-access-log",
            role="access_log",
        )
        self.stage = child(
            aws.apigatewayv2.Stage,
            f"{name}-stage",
            self,
            transforms,
            "stage",
            defaults={
                "default_route_settings": {
                    "throttling_rate_limit": args.throttling.rate_limit,
                    "throttling_burst_limit": args.throttling.burst_limit,
                    "data_trace_enabled": False,
                    "detailed_metrics_enabled": True,
                },
            },
            required={
                "api_id": self.api.id,
                "name": args.stage_name,
                "auto_deploy": True,
                "access_log_settings": {
                    "destination_arn": self.access_log.arn,
                    "format": ACCESS_LOG_FORMAT,
                },
            },
            # Auto-deploy snapshots the routes that exist: the stage comes after every one of them.
            opts=pulumi.ResourceOptions(depends_on=list(self.routes.values())),
        )
        region = region_name(self)
        self.url = self.stage.invoke_url
        self.management_endpoint = pulumi.Output.format(
            "https://{0}.execute-api.{1}.amazonaws.com/{2}", self.api.id, region, args.stage_name
        )
        #: Only this API's stage, only posting to its connections (IAM: "Control access to ManageConnections").
        self.connections_arn = pulumi.Output.format(
            "arn:aws:execute-api:{0}:{1}:{2}/{3}/POST/@connections/*",
            region,
            account_id(self),
            self.api.id,
            args.stage_name,
        )
        self.manage_connections = Grant(actions=("execute-api:ManageConnections",), resources=(self.connections_arn,))
        self.register_outputs(
            {"url": self.url, "management_endpoint": self.management_endpoint, "connections_arn": self.connections_arn}
        )

    def _route(
        self,
        name: str,
        route_key: str,
        function: aws.lambda_.Function,
        args: WebSocketApiArgs,
        transforms: Transforms | None,
    ) -> None:
        slug = _slug(route_key)
        integration = child(
            aws.apigatewayv2.Integration,
            f"{name}-integration-{slug}",
            self,
            transforms,
            "integration",
            required={
                "api_id": self.api.id,
                "integration_type": "AWS_PROXY",
                "integration_method": "POST",
                "integration_uri": function.invoke_arn,
                "content_handling_strategy": "CONVERT_TO_TEXT",
            },
        )
        authorized = route_key == CONNECT
        required: dict[str, object] = {
            "api_id": self.api.id,
            "route_key": route_key,
            "target": pulumi.Output.concat("integrations/", integration.id),
            "authorization_type": "CUSTOM" if authorized else "NONE",
        }
        if authorized:
            required["authorizer_id"] = self.authorizer.id
        self.routes[route_key] = child(
            aws.apigatewayv2.Route, f"{name}-route-{slug}", self, transforms, "route", required=required
        )
        self.integrations[route_key] = integration
        self.permissions.append(
            self._permission(
                f"{name}-permission-{slug}",
                function,
                pulumi.Output.concat(self.api.execution_arn, f"/{args.stage_name}/{route_key}"),
                transforms,
            )
        )

    def _permission(
        self,
        resource_name: str,
        function: aws.lambda_.Function,
        source_arn: pulumi.Input[str],
        transforms: Transforms | None,
    ) -> aws.lambda_.Permission:
        """API Gateway may invoke the function only for this API (its route, or its authorizer)."""
        return invoke_permission(
            self,
            resource_name,
            transforms,
            function=function,
            principal="apigateway.amazonaws.com",
            source_arn=source_arn,
        )
