"""Provisioners for API Gateway v2 (the WebSocket API): the API, its authorizer, integrations, routes and stage.

moto stores them (calling them is the local
WebSocket server's job, ``localcloud.websocket``). Outputs follow the provider: an API's ``apiEndpoint`` is
``wss://<id>.execute-api.<region>.amazonaws.com`` and its ``executionArn`` ``arn:aws:execute-api:<region>:
<account>:<id>``; a stage's ``invokeUrl`` is the endpoint plus ``/<stage>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from localcloud.provision.base import Context, Declared, Provisioned, Provisioner


def _endpoint(ctx: Context, api_id: str, protocol: str) -> str:
    scheme = "wss" if protocol == "WEBSOCKET" else "https"
    return f"{scheme}://{api_id}.execute-api.{ctx.region}.amazonaws.com"


def api(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    protocol = str(inputs.get("protocolType") or "HTTP")
    kwargs: dict[str, Any] = {"Name": resource.name, "ProtocolType": protocol}
    if inputs.get("routeSelectionExpression"):
        kwargs["RouteSelectionExpression"] = str(inputs["routeSelectionExpression"])
    api_id = ctx.client("apigatewayv2").create_api(**kwargs)["ApiId"]
    return api_id, {
        "arn": f"arn:aws:apigateway:{ctx.region}::/apis/{api_id}",
        "apiEndpoint": _endpoint(ctx, api_id, protocol),
        "executionArn": f"arn:aws:execute-api:{ctx.region}:{ctx.account}:{api_id}",
    }


def authorizer(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    answer = ctx.client("apigatewayv2").create_authorizer(
        ApiId=str(inputs["apiId"]),
        Name=resource.name,
        AuthorizerType=str(inputs["authorizerType"]),
        AuthorizerUri=str(inputs.get("authorizerUri") or ""),
        IdentitySource=list(inputs.get("identitySources") or []),
    )
    return answer["AuthorizerId"], {}


def _parameters(inputs: Mapping[str, Any], *given: str, **defaults: str) -> dict[str, str]:
    """The call's parameters from the inputs of the same name (boto3 spells ``apiId`` ``ApiId``): each input of
    ``given`` the program set, and each of ``defaults``, the program's value or else API Gateway's default."""
    parameters = {name: inputs.get(name) for name in given if inputs.get(name)}
    parameters |= {name: inputs.get(name) or default for name, default in defaults.items()}
    return {name[0].upper() + name[1:]: str(value) for name, value in parameters.items()}


def integration(ctx: Context, resource: Declared) -> Provisioned:
    given = ("apiId", "integrationType", "contentHandlingStrategy")
    kwargs = _parameters(resource.inputs, *given, integrationUri="", integrationMethod="POST")
    return ctx.client("apigatewayv2").create_integration(**kwargs)["IntegrationId"], {}


def route(ctx: Context, resource: Declared) -> Provisioned:
    kwargs = _parameters(resource.inputs, "apiId", "routeKey", "authorizerId", target="", authorizationType="NONE")
    return ctx.client("apigatewayv2").create_route(**kwargs)["RouteId"], {}


def stage(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    api_id, name = str(inputs["apiId"]), str(inputs.get("name") or resource.name)
    settings = inputs.get("defaultRouteSettings") or {}
    logs = inputs.get("accessLogSettings") or {}
    kwargs: dict[str, Any] = {"ApiId": api_id, "StageName": name, "AutoDeploy": bool(inputs.get("autoDeploy"))}
    if settings:
        kwargs["DefaultRouteSettings"] = {
            "ThrottlingRateLimit": float(settings.get("throttlingRateLimit") or 0),
            "ThrottlingBurstLimit": int(float(settings.get("throttlingBurstLimit") or 0)),
        }
    if logs:
        kwargs["AccessLogSettings"] = {"DestinationArn": str(logs["destinationArn"]), "Format": str(logs["format"])}
    ctx.client("apigatewayv2").create_stage(**kwargs)
    protocol = ctx.client("apigatewayv2").get_api(ApiId=api_id)["ProtocolType"]
    return name, {
        "arn": f"arn:aws:apigateway:{ctx.region}::/apis/{api_id}/stages/{name}",
        "invokeUrl": f"{_endpoint(ctx, api_id, protocol)}/{name}",
        "executionArn": f"arn:aws:execute-api:{ctx.region}:{ctx.account}:{api_id}/{name}",
    }


PROVISIONERS: dict[str, Provisioner] = {
    "aws:apigatewayv2/api:Api": api,
    "aws:apigatewayv2/authorizer:Authorizer": authorizer,
    "aws:apigatewayv2/integration:Integration": integration,
    "aws:apigatewayv2/route:Route": route,
    "aws:apigatewayv2/stage:Stage": stage,
}
