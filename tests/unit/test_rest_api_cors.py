"""CORS of the public API in both stacks: exactly the storefront's origin, a preflight on every resource with
routes, the origin on every answer the API builds itself and on the Lambda proxy's (its environment), and no
cycle between the storefront and the API although each names the other."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest

from components.forward import ForwardOutputError, forward_output
from components.rest_api import ApiRoute, LambdaProxy, RestApi, RestApiArgs, Throttle
from components.rest_api_cors import ALLOWED_HEADERS, MAX_AGE_SECONDS
from devtools.graph import StackGraph
from devtools.program import ProgramRun, RecordedResource, run_callable

METHOD = "aws:apigateway/method:Method"
INTEGRATION = "aws:apigateway/integration:Integration"
METHOD_RESPONSE = "aws:apigateway/methodResponse:MethodResponse"
INTEGRATION_RESPONSE = "aws:apigateway/integrationResponse:IntegrationResponse"
GATEWAY_RESPONSE = "aws:apigateway/response:Response"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
HEADERS_POLICY = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"
FUNCTION = "aws:lambda/function:Function"
STAGE = "aws:apigateway/stage:Stage"
DEPLOYMENT = "aws:apigateway/deployment:Deployment"
ORIGIN_HEADER = "method.response.header.Access-Control-Allow-Origin"


def storefront_origin(run: ProgramRun) -> str:
    [distribution] = run.of_type(DISTRIBUTION)
    return f"https://{distribution.outputs['domainName']}"


def of_method(run: ProgramRun, typ: str, resource_id: str, http_method: str) -> list[RecordedResource]:
    return [
        r
        for r in run.of_type(typ)
        if r.inputs.get("resourceId") == resource_id and r.inputs.get("httpMethod") == http_method
    ]


def test_every_resource_with_routes_answers_its_preflight_with_exactly_the_storefronts_origin(run: ProgramRun) -> None:
    origin = storefront_origin(run)
    assert origin.startswith("https://d") and origin.endswith(".cloudfront.net")
    routed: dict[str, set[str]] = {}
    for method in run.of_type(METHOD):
        if method.inputs["httpMethod"] != "OPTIONS":
            routed.setdefault(method.inputs["resourceId"], set()).add(method.inputs["httpMethod"])
    assert len(routed) >= 4, "products, orders, orders/{orderId} and cart at least"
    preflighted = {m.inputs["resourceId"] for m in run.of_type(METHOD) if m.inputs["httpMethod"] == "OPTIONS"}
    assert preflighted == set(routed), "a preflight on every resource with routes, and nowhere else"
    for resource_id, methods in routed.items():
        [options] = of_method(run, METHOD, resource_id, "OPTIONS")
        assert options.inputs["authorization"] == "NONE"
        assert "authorizerId" not in options.inputs
        assert options.inputs["apiKeyRequired"] is False
        [mock] = of_method(run, INTEGRATION, resource_id, "OPTIONS")
        assert mock.inputs["type"] == "MOCK"
        assert mock.inputs["requestTemplates"] == {"application/json": '{"statusCode": 204}'}
        [answer] = of_method(run, INTEGRATION_RESPONSE, resource_id, "OPTIONS")
        [declared] = of_method(run, METHOD_RESPONSE, resource_id, "OPTIONS")
        headers = answer.inputs["responseParameters"]
        assert headers == {
            ORIGIN_HEADER: f"'{origin}'",
            "method.response.header.Access-Control-Allow-Methods": f"'{','.join(sorted(methods | {'OPTIONS'}))}'",
            "method.response.header.Access-Control-Allow-Headers": f"'{','.join(ALLOWED_HEADERS)}'",
            "method.response.header.Access-Control-Max-Age": f"'{MAX_AGE_SECONDS}'",
            "method.response.header.Vary": "'Origin'",
        }
        assert declared.inputs["responseParameters"] == dict.fromkeys(headers, True)
        assert answer.inputs["statusCode"] == declared.inputs["statusCode"] == "204"


def test_the_allowed_headers_are_what_the_page_sends() -> None:
    page = (Path(__file__).resolve().parents[2] / "storefront/app.js").read_text()
    for header in ("Idempotency-Key", "Content-Type", "x-api-key", "Authorization"):
        assert header in page and header in ALLOWED_HEADERS


def test_every_gateway_response_and_service_answer_carries_the_origin(run: ProgramRun) -> None:
    """API Gateway's own 401/403/429 inherit DEFAULT_4XX's headers: it must exist and carry the origin."""
    origin = storefront_origin(run)
    responses = run.of_type(GATEWAY_RESPONSE)
    assert {r.inputs["responseType"] for r in responses} >= {"DEFAULT_4XX", "DEFAULT_5XX", "BAD_REQUEST_BODY"}
    for response in responses:
        assert response.inputs["responseParameters"] == {
            "gatewayresponse.header.Access-Control-Allow-Origin": f"'{origin}'",
            "gatewayresponse.header.Vary": "'Origin'",
        }
    service_answers = [r for r in run.of_type(INTEGRATION_RESPONSE) if r.inputs["httpMethod"] != "OPTIONS"]
    assert service_answers, "the cart route's answers"
    for answer in service_answers:
        assert answer.inputs["responseParameters"] == {ORIGIN_HEADER: f"'{origin}'"}
    for declared in run.of_type(METHOD_RESPONSE):
        assert declared.inputs["responseParameters"][ORIGIN_HEADER] is True


def test_the_api_function_is_told_the_storefronts_origin_and_the_page_names_the_stage(run: ProgramRun) -> None:
    origin = storefront_origin(run)
    [api_function] = [f for f in run.of_type(FUNCTION) if f.inputs["handler"] == "handlers.orders.api.handler"]
    assert api_function.inputs["environment"]["variables"]["ALLOWED_ORIGIN"] == origin
    # The page's CSP names the API by its id: the very URL the stage answers at.
    [stage] = run.of_type(STAGE)
    [policy] = run.of_type(HEADERS_POLICY)
    csp = policy.inputs["securityHeadersConfig"]["contentSecurityPolicy"]["contentSecurityPolicy"]
    assert f"{stage.outputs['invokeUrl']}/" in csp.split()
    # A new origin is a new deployment: the preflights and gateway answers carry it.
    [deployment] = run.of_type(DEPLOYMENT)
    assert deployment.inputs["triggers"]["cors_origin"] == origin


def test_the_distribution_waits_for_nothing_that_waits_for_the_origin(stack_graphs: dict[str, StackGraph]) -> None:
    """The page names the API and the API names the page: a cycle among the resources would deadlock
    `pulumi up`. The distribution's dependencies, walked to the end, never lead back to it; the origin's
    readers (preflights, gateway responses, the API function, so the stage) do wait for it."""
    for stack, graph in stack_graphs.items():
        nodes = {node.urn: node for node in graph.nodes.values()}
        [distribution] = [n for n in nodes.values() if n.typ == DISTRIBUTION]
        upstream = graph.waits_for(distribution.urn)
        assert distribution.urn not in upstream, stack
        assert any(nodes[urn].typ == HEADERS_POLICY for urn in upstream if urn in nodes), "the CSP is upstream"
        assert not any(nodes[urn].typ in (STAGE, DEPLOYMENT) for urn in upstream if urn in nodes), stack
        readers = [
            n
            for n in nodes.values()
            if n.typ in (STAGE, GATEWAY_RESPONSE, FUNCTION) or (n.typ == INTEGRATION_RESPONSE and "options" in n.name)
        ]
        waiting = {n.name for n in readers if distribution.urn in graph.waits_for(n.urn)}
        assert {"orders-api-stage", "orders-api-fn"} <= waiting, stack
        assert {n.name for n in readers if n.typ == GATEWAY_RESPONSE} <= waiting, stack
        for reader in readers:
            if distribution.urn in graph.waits_for(reader.urn):
                assert reader.urn not in upstream, f"{stack}: {reader.name} both feeds and reads the origin"


def _proxy_api(origin: str) -> None:
    RestApi(
        "api",
        RestApiArgs(
            routes=(ApiRoute("GET", "/products", LambdaProxy(None), public=True),),  # type: ignore[arg-type]
            throttle=Throttle(1, 1),
            cors_origin=origin,
        ),
    )


@pytest.mark.parametrize(
    "origin",
    ["*", "http://shop.example.com", "https://shop.example.com/", "https://*.example.com", "https://a.com/x", ""],
)
def test_an_origin_that_is_not_one_https_origin_is_refused_naming_it(origin: str) -> None:
    with pytest.raises(ValueError, match=r"cors_origin: .* is not one https origin") as error:
        run_callable(lambda: _proxy_api(origin))
    assert repr(origin) in str(error.value)


def test_an_origin_known_only_at_deployment_is_checked_then() -> None:
    def program() -> None:
        RestApi(
            "api",
            RestApiArgs(
                routes=(ApiRoute("GET", "/products", LambdaProxy(None), public=True),),  # type: ignore[arg-type]
                throttle=Throttle(1, 1),
                cors_origin=pulumi.Output.from_input("https://shop.example.com/path"),
            ),
        )

    with pytest.raises(ValueError, match=r"RestApi 'api'.*\n.*cors_origin: 'https://shop.example.com/path'"):
        run_callable(program)


def test_the_handler_allows_the_same_headers_as_the_preflight() -> None:
    """The Lambda proxy's answers and the gateway's preflights agree (the handler cannot import components)."""
    source = (Path(__file__).resolve().parents[2] / "handlers/orders/api.py").read_text()
    assert f"CORS_ALLOWED_HEADERS = {list(ALLOWED_HEADERS)!r}".replace("'", '"') in source
    assert f"CORS_MAX_AGE_SECONDS = {MAX_AGE_SECONDS}" in source


def test_a_program_failing_before_it_resolves_a_forward_output_ends_with_its_own_error() -> None:
    """Without forward_output the resource reading the origin would wait forever: the run would hang."""

    def program() -> None:
        with forward_output("the origin") as (origin, _resolve):
            _read(origin)
            raise LookupError("the concurrency budget is exceeded")

    with pytest.raises(LookupError, match="concurrency budget"):
        run_callable(program)


def test_a_forward_output_never_resolved_is_an_error_naming_it() -> None:
    def program() -> None:
        with forward_output("the origin") as (origin, _resolve):
            _read(origin)

    with pytest.raises(ForwardOutputError, match="the origin was never resolved"):
        run_callable(program)


def test_a_resolved_forward_output_reaches_its_readers() -> None:
    def program() -> None:
        with forward_output("the origin") as (origin, resolve):
            _read(origin)
            resolve("https://shop.example.com")

    run = run_callable(program)
    assert run.named("reader").inputs["displayName"] == "https://shop.example.com"


def _read(origin: pulumi.Input[str]) -> None:
    """A resource reading the forward output (any would do)."""
    aws.sns.Topic("reader", display_name=origin)
