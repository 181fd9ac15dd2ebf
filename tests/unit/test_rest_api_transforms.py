"""RestApi's transforms may change its defaults, never what the API needs to work: a hostile transform on every
child it lets users adjust leaves names, wiring, authorization, validation, throttling and the integration's
least-privilege role as the pattern sets them."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.base import Grant, TransformResult
from components.rest_api import (
    REST_API_CHILDREN,
    ApiClient,
    ApiModel,
    ApiRoute,
    IntegrationAnswer,
    LambdaProxy,
    RestApi,
    RestApiArgs,
    ServiceAction,
    Throttle,
)
from devtools.program import ACCOUNT_ID, ProgramRun
from tests.unit.test_components import run
from tests.unit.test_hostile_transforms import ATTACKER, OPEN_TRUST, hostile

POOL = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_pool"
BUS_ARN = "arn:aws:events:eu-west-1:123456789012:event-bus/shop"
PUT_EVENTS = Grant(("events:PutEvents",), (BUS_ARN,))

TRANSFORMS = {
    "rest_api": hostile(name="renamed", api_key_source="AUTHORIZER"),
    "validator": hostile(validate_request_body=False, validate_request_parameters=False, rest_api="other"),
    "model": hostile(schema=json.dumps({}), rest_api="other"),
    "authorizer": hostile(provider_arns=[ATTACKER], type="TOKEN", identity_source="method.request.header.X"),
    "resource": hostile(path_part="elsewhere", rest_api="other"),
    "method": hostile(authorization="NONE", authorizer_id=None, api_key_required=False, request_validator_id=None),
    "integration": hostile(uri=ATTACKER, credentials=ATTACKER, passthrough_behavior="WHEN_NO_MATCH", type="HTTP"),
    "permission": hostile(principal="*", source_arn=None, function=ATTACKER),
    "role": hostile(name="renamed", assume_role_policy=OPEN_TRUST),
    "policy": hostile(role="someone-else", policy=json.dumps({"Statement": [{"Effect": "Allow", "Action": "*"}]})),
    "method_response": hostile(status_code="599", rest_api="other"),
    "integration_response": hostile(selection_pattern=".*", response_templates={}, status_code="599"),
    "gateway_response": hostile(response_type="DEFAULT_5XX", response_templates={}),
    "deployment": hostile(rest_api="other", triggers={}),
    "stage": hostile(stage_name="prod", deployment="other"),
    "method_settings": hostile(settings={"throttling_rate_limit": 1_000_000, "throttling_burst_limit": 1_000_000}),
    "usage_plan": hostile(api_stages=[], throttle_settings=None, name="renamed"),
    "api_key": hostile(enabled=False, name="renamed", tags={}),
    "usage_plan_key": hostile(key_id="someone-elses-key", usage_plan_id="other"),
}


def _api(transforms: Any) -> None:
    role = aws.iam.Role("role", assume_role_policy="{}")
    function = aws.lambda_.Function("fn", role=role.arn, runtime="python3.13", handler="app.handler")
    action = ServiceAction(
        service="events",
        action="PutEvents",
        role_key="put",
        policy_name="put-events",
        grants=(PUT_EVENTS,),
        request_template="{}",
        answers=(IntegrationAnswer("200", None, "{}"), IntegrationAnswer("400", "4\\d{2}", "{}")),
        statuses=("200", "400"),
    )
    RestApi(
        "api",
        RestApiArgs(
            routes=(
                ApiRoute("POST", "/orders/{id}", LambdaProxy(function), model="m"),
                ApiRoute("POST", "/cart", action),
            ),
            models={"m": ApiModel("M", {"type": "object"})},
            gateway_responses={"UNAUTHORIZED": ("401", '{"message": "sign in"}')},
            throttle=Throttle(5, 10),
            user_pool_arns=(POOL,),
            clients=(ApiClient("web"),),
            client_throttle=Throttle(1, 2),
        ),
        transforms=transforms,
    )


def test_the_transforms_cover_every_child_role() -> None:
    assert set(TRANSFORMS) == set(REST_API_CHILDREN)


def test_a_hostile_transform_on_every_child_changes_nothing_the_api_needs() -> None:
    result = run(lambda: _api(TRANSFORMS))
    rest_api = result.named("api-rest-api")
    assert (rest_api.inputs["name"], rest_api.inputs["apiKeySource"]) == ("eventshop-test-api", "HEADER")
    api_id = rest_api.id
    validator = result.named("api-validator").inputs
    assert (validator["validateRequestBody"], validator["validateRequestParameters"]) == (True, True)
    assert result.named("api-model-m").inputs["schema"] == json.dumps({"type": "object"})
    authorizer = result.named("api-authorizer")
    assert (authorizer.inputs["providerArns"], authorizer.inputs["type"]) == ([POOL], "COGNITO_USER_POOLS")
    assert authorizer.inputs["identitySource"] == "method.request.header.Authorization"
    assert result.named("api-resource-orders-id").inputs["pathPart"] == "{id}"
    for slug in ("post-orders-id", "post-cart"):
        method = result.named(f"api-method-{slug}").inputs
        assert (method["authorization"], method["authorizerId"]) == ("COGNITO_USER_POOLS", authorizer.id), slug
        assert (method["apiKeyRequired"], method["requestValidatorId"]) == (True, result.named("api-validator").id)
    _assert_integrations_kept(result)
    for child in ("api-validator", "api-model-m", "api-resource-orders-id", "api-method-response-post-cart"):
        assert result.named(child).inputs["restApi"] == api_id, child
    assert result.named("api-method-response-post-cart-400").inputs["statusCode"] == "400"
    answer = result.named("api-integration-response-post-cart-400").inputs
    assert (answer["selectionPattern"], answer["statusCode"]) == ("4\\d{2}", "400")
    assert result.named("api-integration-response-post-cart").inputs["responseTemplates"] == {"application/json": "{}"}
    response = result.named("api-response-unauthorized").inputs
    assert (response["responseType"], response["restApiId"]) == ("UNAUTHORIZED", api_id)
    deployment = result.named("api-deployment").inputs
    assert deployment["restApi"] == api_id and deployment["triggers"]["redeployment"]
    stage = result.named("api-stage").inputs
    assert (stage["stageName"], stage["deployment"]) == ("v1", result.named("api-deployment").id)
    settings = result.named("api-throttling").inputs["settings"]
    assert (settings["throttlingRateLimit"], settings["throttlingBurstLimit"]) == (5, 10)
    _assert_usage_plan_kept(result)


def _assert_integrations_kept(result: ProgramRun) -> None:
    proxy = result.named("api-integration-post-orders-id").inputs
    assert (proxy["type"], proxy["uri"]) == ("AWS_PROXY", result.named("fn").outputs["invokeArn"])
    permission = result.named("api-permission-post-orders-id").inputs
    assert permission["principal"] == "apigateway.amazonaws.com"
    assert permission["function"] == result.named("fn").outputs["name"]
    assert permission["sourceArn"].endswith("/v1/POST/orders/*")
    service = result.named("api-integration-post-cart").inputs
    role = result.named("api-put-role")
    assert (service["type"], service["credentials"], service["passthroughBehavior"]) == ("AWS", role.arn, "NEVER")
    assert service["uri"].endswith(":events:action/PutEvents")
    assert role.inputs["name"] == "eventshop-test-api-put"
    trust = role.json_input("assumeRolePolicy")["Statement"]
    assert trust[0]["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert trust[0]["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    policy = result.named("api-put-policy")
    assert (policy.inputs["role"], policy.inputs["name"]) == (role.id, "put-events")
    assert policy.json_input("policy")["Statement"] == [
        {"Sid": "Grant0", "Effect": "Allow", "Action": ["events:PutEvents"], "Resource": [BUS_ARN]}
    ]


def _assert_usage_plan_kept(result: ProgramRun) -> None:
    plan = result.named("api-usage-plan")
    assert plan.inputs["name"] == "eventshop-test-api-clients"
    assert plan.inputs["apiStages"] == [{"apiId": result.named("api-rest-api").id, "stage": "v1"}]
    assert plan.inputs["throttleSettings"] == {"rateLimit": 1, "burstLimit": 2}
    key = result.named("api-key-web")
    assert (key.inputs["enabled"], key.inputs["tags"]) == (True, {"client": "web"})
    assert key.inputs["name"] == "eventshop-test-api-web"
    plan_key = result.named("api-plan-key-web").inputs
    assert (plan_key["keyId"], plan_key["usagePlanId"]) == (key.id, plan.id)


def test_a_transform_may_change_a_default() -> None:
    def untraced(args: dict[str, Any], opts: pulumi.ResourceOptions) -> TransformResult:
        args["xray_tracing_enabled"] = False
        return None

    assert run(lambda: _api({"stage": untraced})).named("api-stage").inputs["xrayTracingEnabled"] is False
    assert run(lambda: _api(None)).named("api-stage").inputs["xrayTracingEnabled"] is True


def test_a_transform_for_an_unknown_child_is_refused_by_name() -> None:
    with pytest.raises(Exception, match="transforms: unknown child 'lambda'"):
        run(lambda: _api({"lambda": hostile()}))
