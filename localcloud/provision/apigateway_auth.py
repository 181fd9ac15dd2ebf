"""Who may call the REST API: its Cognito user pool authorizer, and the usage plan with the API keys of its
registered client applications.

moto stores them; the local API enforces them from what the program declared (``localcloud/authorizer.py``,
``localcloud/api.py``).
"""

from __future__ import annotations

from localcloud.provision.base import Context, Declared, Provisioned, Provisioner


def authorizer(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    api_id = str(inputs["restApi"])
    created = ctx.client("apigateway").create_authorizer(
        restApiId=api_id,
        name=str(inputs.get("name") or resource.name),
        type=str(inputs["type"]),
        providerARNs=[str(arn) for arn in inputs.get("providerArns") or []],
        identitySource=str(inputs.get("identitySource") or "method.request.header.Authorization"),
    )
    return created["id"], {"arn": f"arn:aws:apigateway:{ctx.region}::/restapis/{api_id}/authorizers/{created['id']}"}


def usage_plan(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    throttle = inputs.get("throttleSettings") or {}
    created = ctx.client("apigateway").create_usage_plan(
        name=str(inputs.get("name") or resource.name),
        description=str(inputs.get("description") or ""),
        apiStages=[
            {"apiId": str(stage["apiId"]), "stage": str(stage["stage"])} for stage in inputs.get("apiStages") or []
        ],
        throttle={
            "rateLimit": float(throttle.get("rateLimit") or 0),
            "burstLimit": int(throttle.get("burstLimit") or 0),
        },
    )
    return created["id"], {"arn": f"arn:aws:apigateway:{ctx.region}::/usageplans/{created['id']}"}


def api_key(ctx: Context, resource: Declared) -> Provisioned:
    """A key whose value API Gateway generates (never one written in the program)."""
    inputs = resource.inputs
    created = ctx.client("apigateway").create_api_key(
        name=str(inputs.get("name") or resource.name),
        description=str(inputs.get("description") or ""),
        enabled=inputs.get("enabled") is not False,
    )
    return created["id"], {
        "value": created["value"],
        "arn": f"arn:aws:apigateway:{ctx.region}::/apikeys/{created['id']}",
    }


def usage_plan_key(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    created = ctx.client("apigateway").create_usage_plan_key(
        usagePlanId=str(inputs["usagePlanId"]), keyId=str(inputs["keyId"]), keyType=str(inputs["keyType"])
    )
    return f"{inputs['usagePlanId']}/{created['id']}", {}


PROVISIONERS: dict[str, Provisioner] = {
    "aws:apigateway/authorizer:Authorizer": authorizer,
    "aws:apigateway/usagePlan:UsagePlan": usage_plan,
    "aws:apigateway/apiKey:ApiKey": api_key,
    "aws:apigateway/usagePlanKey:UsagePlanKey": usage_plan_key,
}
