"""The public REST API as deployed: Cognito authorizer on every route but GET /products, the usage plan with
one key per registered client, and the orders table's index for GET /orders; RestApi refuses bad arguments."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest

from components.rest_api import ApiClient, ApiModel, ApiRoute, LambdaProxy, RestApi, RestApiArgs, Throttle
from devtools.program import ProgramRun, run_callable
from services.api_routes import ROUTES
from settings import Settings

METHOD = "aws:apigateway/method:Method"
AUTHORIZER = "aws:apigateway/authorizer:Authorizer"


def test_every_route_but_the_catalog_requires_the_customers_pool(run: ProgramRun) -> None:
    [authorizer] = run.of_type(AUTHORIZER)
    [pool] = run.of_type("aws:cognito/userPool:UserPool")
    assert authorizer.inputs["type"] == "COGNITO_USER_POOLS"
    assert authorizer.inputs["providerArns"] == [pool.outputs["arn"]]
    assert authorizer.inputs["identitySource"] == "method.request.header.Authorization"

    # The CORS preflights (OPTIONS) are tested in test_rest_api_cors.py: no authorization by design.
    methods = {
        m.name.removeprefix("orders-api-method-"): m.inputs
        for m in run.of_type(METHOD)
        if m.inputs["httpMethod"] != "OPTIONS"
    }
    assert set(methods) == {route.slug for route in ROUTES}
    public = {slug for slug, m in methods.items() if m["authorization"] == "NONE"}
    assert public == {"get-products"}
    for slug, method in methods.items():
        if slug not in public:
            assert (method["authorization"], method["authorizerId"]) == ("COGNITO_USER_POOLS", authorizer.id), slug


def test_each_registered_client_has_a_key_in_the_usage_plan_and_every_method_requires_one(
    run: ProgramRun, settings: Settings
) -> None:
    [plan] = run.of_type("aws:apigateway/usagePlan:UsagePlan")
    [stage] = run.of_type("aws:apigateway/stage:Stage")
    assert plan.inputs["apiStages"] == [{"apiId": stage.inputs["restApi"], "stage": stage.inputs["stageName"]}]
    assert plan.inputs["throttleSettings"] == {
        "rateLimit": settings.api.client_rate_limit,
        "burstLimit": settings.api.client_burst_limit,
    }
    keys = {key.inputs["tags"]["client"]: key for key in run.of_type("aws:apigateway/apiKey:ApiKey")}
    assert set(keys) == set(settings.api.clients) == {"storefront"}
    assert "value" not in keys["storefront"].inputs, "API Gateway generates the value; none is written down"
    planned = {k.inputs["keyId"] for k in run.of_type("aws:apigateway/usagePlanKey:UsagePlanKey")}
    assert planned == {key.id for key in keys.values()}
    # Preflights (OPTIONS) carry no key: browsers send none (test_rest_api_cors.py).
    assert all(m.inputs["apiKeyRequired"] is True for m in run.of_type(METHOD) if m.inputs["httpMethod"] != "OPTIONS")
    # The stage's limits stay, and cap every client together.
    [throttling] = run.of_type("aws:apigateway/methodSettings:MethodSettings")
    assert throttling.inputs["settings"]["throttlingBurstLimit"] == settings.api.throttle_burst_limit


def test_get_orders_reads_a_by_customer_index_newest_first(run: ProgramRun) -> None:
    [orders] = [t for t in run.of_type("aws:dynamodb/table:Table") if t.inputs["name"].endswith("-orders")]
    assert orders.inputs["globalSecondaryIndexes"] == [
        {"name": "byCustomer", "hashKey": "customerId", "rangeKey": "createdAt", "projectionType": "ALL"}
    ]


def _function() -> aws.lambda_.Function:
    role = aws.iam.Role("role", assume_role_policy="{}")
    return aws.lambda_.Function("fn", role=role.arn, runtime="python3.13", handler="app.handler")


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (
            lambda fn: {"routes": (ApiRoute("GET", "/a", LambdaProxy(fn)),)},
            "user_pool_arns: routes that are not public",
        ),
        (
            lambda fn: {"routes": (ApiRoute("GET", "/a", LambdaProxy(fn), public=True),) * 2},
            "routes: get-a is declared twice",
        ),
        (
            lambda fn: {"routes": (ApiRoute("POST", "/a", LambdaProxy(fn), model="m", public=True),)},
            "routes: post-a names model 'm', which models does not define",
        ),
        (
            lambda fn: {"routes": (ApiRoute("GET", "/a", LambdaProxy(fn), public=True),), "clients": (ApiClient("x"),)},
            "client_throttle: required when clients are registered",
        ),
    ],
)
def test_rest_api_refuses_arguments_it_cannot_build_and_names_them(args: object, problem: str) -> None:
    def program() -> None:
        RestApi("api", RestApiArgs(throttle=Throttle(1, 1), **args(_function())))  # type: ignore[operator]

    with pytest.raises(Exception, match=problem):
        run_callable(program)


def test_a_rest_api_of_public_routes_has_no_authorizer_and_no_usage_plan() -> None:
    def program() -> None:
        fn = _function()
        RestApi(
            "api",
            RestApiArgs(
                routes=(ApiRoute("POST", "/a", LambdaProxy(fn), model="m", public=True),),
                models={"m": ApiModel("M", {"type": "object"})},
                throttle=Throttle(1, 1),
            ),
            opts=pulumi.ResourceOptions(),
        )

    run = run_callable(program)

    assert run.of_type(AUTHORIZER) == [] and run.of_type("aws:apigateway/usagePlan:UsagePlan") == []
    [method] = run.of_type(METHOD)
    assert (method.inputs["authorization"], method.inputs["apiKeyRequired"]) == ("NONE", False)


def test_the_api_keeps_the_urns_it_had_as_a_service_component() -> None:
    """RestApi was eventshop:services:OrdersApi: the alias carries every child's URN over, so `pulumi up`
    replaces nothing (the engine derives each child's alias from its parent's)."""
    aliases: list[str] = []

    def program() -> None:
        fn = _function()
        api = RestApi(
            "orders-api",
            RestApiArgs(routes=(ApiRoute("GET", "/a", LambdaProxy(fn), public=True),), throttle=Throttle(1, 1)),
        )
        for alias in api._aliases:
            pulumi.Output.from_input(alias).apply(aliases.append)

    run_callable(program)

    assert aliases == ["urn:pulumi:test::eventshop::eventshop:services:OrdersApi::orders-api"]
