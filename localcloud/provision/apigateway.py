"""API Gateway REST APIs: resources, models, validators, methods, integrations and their responses, gateway
responses, deployments, stages and method settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from localcloud.provision.base import Context, Declared, Provisioned, Provisioner, as_int


def _method(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The API, resource and HTTP method a method-level resource belongs to (boto3's names)."""
    return {"restApiId": inputs["restApi"], "resourceId": inputs["resourceId"], "httpMethod": inputs["httpMethod"]}


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
    kwargs: dict[str, Any] = {**_method(inputs), "authorizationType": inputs.get("authorization") or "NONE"}
    if inputs.get("requestParameters"):
        kwargs["requestParameters"] = {k: bool(v) for k, v in inputs["requestParameters"].items()}
    if inputs.get("requestModels"):
        kwargs["requestModels"] = dict(inputs["requestModels"])
    if inputs.get("requestValidatorId"):
        kwargs["requestValidatorId"] = inputs["requestValidatorId"]
    if inputs.get("authorizerId"):
        kwargs["authorizerId"] = inputs["authorizerId"]
    kwargs["apiKeyRequired"] = bool(inputs.get("apiKeyRequired"))
    ctx.client("apigateway").put_method(**kwargs)
    return f"agm-{inputs['restApi']}-{inputs['resourceId']}-{inputs['httpMethod']}", {}


def api_integration(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    kwargs: dict[str, Any] = {**_method(inputs), "type": inputs["type"]}
    optional = {
        "integrationHttpMethod": "integrationHttpMethod",
        "uri": "uri",
        "credentials": "credentials",
        "passthroughBehavior": "passthroughBehavior",
    }
    kwargs |= {aws_key: inputs[key] for key, aws_key in optional.items() if inputs.get(key)}
    if inputs.get("requestTemplates"):
        kwargs["requestTemplates"] = ctx.mapping(inputs["requestTemplates"])
    ctx.client("apigateway").put_integration(**kwargs)
    return f"agi-{inputs['restApi']}-{inputs['resourceId']}-{inputs['httpMethod']}", {}


def method_response(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    ctx.client("apigateway").put_method_response(**_method(inputs), statusCode=str(inputs["statusCode"]))
    return f"agmr-{inputs['restApi']}-{inputs['resourceId']}-{inputs['httpMethod']}-{inputs['statusCode']}", {}


def integration_response(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    kwargs: dict[str, Any] = {**_method(inputs), "statusCode": str(inputs["statusCode"])}
    if inputs.get("responseTemplates"):
        kwargs["responseTemplates"] = ctx.mapping(inputs["responseTemplates"])
    if inputs.get("selectionPattern") is not None:
        kwargs["selectionPattern"] = inputs["selectionPattern"]
    ctx.client("apigateway").put_integration_response(**kwargs)
    return f"agir-{inputs['restApi']}-{inputs['resourceId']}-{inputs['httpMethod']}-{inputs['statusCode']}", {}


def gateway_response(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    kwargs: dict[str, Any] = {"restApiId": inputs["restApiId"], "responseType": inputs["responseType"]}
    if inputs.get("statusCode"):
        kwargs["statusCode"] = str(inputs["statusCode"])
    if inputs.get("responseTemplates"):
        kwargs["responseTemplates"] = ctx.mapping(inputs["responseTemplates"])
    ctx.client("apigateway").put_gateway_response(**kwargs)
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
