"""API Gateway REST APIs: resources, models, validators, methods, integrations and their responses, gateway
responses, deployments, stages and method settings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from localcloud.provision.base import Context, Declared, Provisioned, Provisioner, as_int


def _method(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The API, resource and HTTP method a method-level resource belongs to (boto3's names)."""
    return {"restApiId": inputs["restApi"], "resourceId": inputs["resourceId"], "httpMethod": inputs["httpMethod"]}


def _method_id(kind: str, inputs: Mapping[str, Any], *more: Any) -> str:
    """The id of a method-level resource: its kind, then its API, resource, HTTP method (and status code)."""
    return "-".join(str(part) for part in (kind, inputs["restApi"], inputs["resourceId"], inputs["httpMethod"], *more))


def _as_given(value: Any) -> Any:
    return value


def _set(inputs: Mapping[str, Any], **converters: Callable[[Any], Any]) -> dict[str, Any]:
    """The optional inputs the program set (an absent or empty one is left to API Gateway's default), each
    converted to what boto3 takes; boto3 names them as the inputs are named."""
    return {name: convert(inputs[name]) for name, convert in converters.items() if inputs.get(name)}


def rest_api(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    apigateway = ctx.client("apigateway")
    created = apigateway.create_rest_api(name=name, description=inputs.get("description") or "")
    api_id = created["id"]
    root = created.get("rootResourceId") or next(
        r["id"] for r in apigateway.get_resources(restApiId=api_id)["items"] if r["path"] == "/"
    )
    return api_id, {
        "arn": f"arn:aws:apigateway:{ctx.region}::/restapis/{api_id}",
        "rootResourceId": root,
        "executionArn": f"arn:aws:execute-api:{ctx.region}:{ctx.account}:{api_id}",
    }


def api_resource(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    created = ctx.client("apigateway").create_resource(
        restApiId=inputs["restApi"], parentId=inputs["parentId"], pathPart=inputs["pathPart"]
    )
    return created["id"], {"path": created["path"]}


def api_model(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    created = ctx.client("apigateway").create_model(
        restApiId=inputs["restApi"],
        name=inputs["name"],
        contentType=inputs["contentType"],
        schema=ctx.json_text(inputs["schema"]),
    )
    return created["id"], {}


def request_validator(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    created = ctx.client("apigateway").create_request_validator(
        restApiId=inputs["restApi"],
        name=name,
        validateRequestBody=bool(inputs.get("validateRequestBody")),
        validateRequestParameters=bool(inputs.get("validateRequestParameters")),
    )
    return created["id"], {}


def api_method(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    ctx.client("apigateway").put_method(
        **_method(inputs),
        authorizationType=inputs.get("authorization") or "NONE",
        apiKeyRequired=bool(inputs.get("apiKeyRequired")),
        **_set(
            inputs,
            requestParameters=lambda parameters: {name: bool(required) for name, required in parameters.items()},
            requestModels=dict,
            requestValidatorId=_as_given,
            authorizerId=_as_given,
        ),
    )
    return _method_id("agm", inputs), {}


def api_integration(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    ctx.client("apigateway").put_integration(
        **_method(inputs),
        type=inputs["type"],
        **_set(
            inputs,
            integrationHttpMethod=_as_given,
            uri=_as_given,
            credentials=_as_given,
            passthroughBehavior=_as_given,
            requestTemplates=ctx.mapping,
        ),
    )
    return _method_id("agi", inputs), {}


def method_response(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    ctx.client("apigateway").put_method_response(**_method(inputs), statusCode=str(inputs["statusCode"]))
    return _method_id("agmr", inputs, inputs["statusCode"]), {}


def integration_response(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    kwargs = {**_method(inputs), "statusCode": str(inputs["statusCode"]), **_set(inputs, responseTemplates=ctx.mapping)}
    if inputs.get("selectionPattern") is not None:
        kwargs["selectionPattern"] = inputs["selectionPattern"]
    ctx.client("apigateway").put_integration_response(**kwargs)
    return _method_id("agir", inputs, inputs["statusCode"]), {}


def gateway_response(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    ctx.client("apigateway").put_gateway_response(
        restApiId=inputs["restApiId"],
        responseType=inputs["responseType"],
        **_set(inputs, statusCode=str, responseTemplates=ctx.mapping),
    )
    return f"aggr-{inputs['restApiId']}-{inputs['responseType']}", {}


def deployment(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    created = ctx.client("apigateway").create_deployment(restApiId=inputs["restApi"])
    return created["id"], {}


def stage(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    api_id, stage_name = inputs["restApi"], inputs["stageName"]
    ctx.client("apigateway").create_stage(
        restApiId=api_id,
        stageName=stage_name,
        deploymentId=inputs["deployment"],
        tracingEnabled=bool(inputs.get("xrayTracingEnabled")),
    )
    return f"ags-{api_id}-{stage_name}", {
        "arn": f"arn:aws:apigateway:{ctx.region}::/restapis/{api_id}/stages/{stage_name}",
        "invokeUrl": f"https://{api_id}.execute-api.{ctx.region}.amazonaws.com/{stage_name}",
        "executionArn": f"arn:aws:execute-api:{ctx.region}:{ctx.account}:{api_id}/{stage_name}",
    }


def method_settings(ctx: Context, resource: Declared) -> Provisioned:
    """Throttling and metrics are stage settings moto stores but the local API does not enforce."""
    inputs = resource.inputs
    settings = inputs.get("settings") or {}
    path = str(inputs["methodPath"])
    operations = [
        {
            "op": "replace",
            "path": f"/{path}/throttling/rateLimit",
            "value": str(settings.get("throttlingRateLimit", 0)),
        },
        {
            "op": "replace",
            "path": f"/{path}/throttling/burstLimit",
            "value": str(as_int(settings.get("throttlingBurstLimit", 0))),
        },
    ]
    ctx.client("apigateway").update_stage(
        restApiId=inputs["restApi"], stageName=inputs["stageName"], patchOperations=operations
    )
    return f"{inputs['restApi']}-{inputs['stageName']}-{path}", {}


PROVISIONERS: dict[str, Provisioner] = {
    "aws:apigateway/restApi:RestApi": rest_api,
    "aws:apigateway/resource:Resource": api_resource,
    "aws:apigateway/model:Model": api_model,
    "aws:apigateway/requestValidator:RequestValidator": request_validator,
    "aws:apigateway/method:Method": api_method,
    "aws:apigateway/integration:Integration": api_integration,
    "aws:apigateway/methodResponse:MethodResponse": method_response,
    "aws:apigateway/integrationResponse:IntegrationResponse": integration_response,
    "aws:apigateway/response:Response": gateway_response,
    "aws:apigateway/deployment:Deployment": deployment,
    "aws:apigateway/stage:Stage": stage,
    "aws:apigateway/methodSettings:MethodSettings": method_settings,
}
