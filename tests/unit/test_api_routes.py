"""The REST API built from services.api_routes: integration responses, parameters, invoke permissions."""

from __future__ import annotations

import re

import pulumi
import pulumi_aws as aws
import pytest

from components import BusRef
from components.rest_api import RestApi, source_arn_path
from devtools.program import ProgramRun, run_callable
from services.api_routes import PARAMETERS, PROXY_ROUTES, Answer, Route, whole_string_regex
from services.public_api import public_api_args
from settings import ApiSettings
from tests.unit.graph import PERMISSION

BUS = BusRef(name="shop-bus", arn="arn:aws:events:eu-west-1:123456789012:event-bus/shop-bus")
CART = "post-carts-cartId-items"


def test_the_cart_route_maps_eventbridge_errors_to_their_own_json_answers(run: ProgramRun) -> None:
    responses = {
        r.inputs.get("selectionPattern"): r.inputs
        for r in run.of_type("aws:apigateway/integrationResponse:IntegrationResponse")
        if CART in r.name
    }

    assert {pattern: spec["statusCode"] for pattern, spec in responses.items()} == {
        None: "202",
        r"4\d{2}": "400",
        r"5\d{2}": "503",
    }
    for spec in responses.values():
        assert "application/json" in spec["responseTemplates"]
    method_statuses = {
        r.inputs["statusCode"] for r in run.of_type("aws:apigateway/methodResponse:MethodResponse") if CART in r.name
    }
    assert method_statuses == {"202", "400", "500", "503"}


def test_the_cart_templates_check_the_parameters_with_the_rules_of_the_contracts(run: ProgramRun) -> None:
    integration = run.named(f"orders-api-integration-{CART}").inputs
    template = integration["requestTemplates"]["application/json"]

    assert f".matches('{whole_string_regex(PARAMETERS['cartId'].schema)}')" in template
    assert f".matches('{whole_string_regex(PARAMETERS['X-Correlation-Id'].schema)}')" in template
    assert "[A-Za-z0-9_.:-]{1,64}" in template, "the same pattern and length as the order body's cartId"
    assert "__" + "CART_ID" not in template and "__EVENT_BUS_NAME__" not in template


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/products", "GET/products"),
        ("/orders/{orderId}", "GET/orders/*"),
        ("/customers/{customerId}/orders/{orderId}", "GET/customers/*/orders/*"),
        ("/carts/{cartId}/items", "GET/carts/*/items"),
    ],
)
def test_a_routes_source_arn_has_a_wildcard_for_each_of_its_path_parameters(path: str, expected: str) -> None:
    assert source_arn_path("GET", path) == expected


def test_a_route_with_another_parameter_name_may_invoke_the_function_through_its_own_path() -> None:
    routes = (
        *PROXY_ROUTES,
        Route("GET", "/customers/{customerId}/orders", "A customer's orders.", (Answer(200, "x"),)),
    )

    def program() -> None:
        role = aws.iam.Role("role", assume_role_policy="{}")
        function = aws.lambda_.Function("fn", role=role.arn, runtime="python3.13", handler="app.handler")
        settings = ApiSettings(
            throttle_rate_limit=1, throttle_burst_limit=1, clients=(), client_rate_limit=1, client_burst_limit=1
        )
        RestApi(
            "orders-api",
            public_api_args(function, BUS, "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/p", settings, routes),
            opts=pulumi.ResourceOptions(),
        )

    run = run_callable(program, stack="test")
    sources = {p.inputs["sourceArn"].split("/v1/", 1)[1] for p in run.of_type(PERMISSION)}

    assert sources == {"GET/products", "POST/orders", "GET/orders", "GET/orders/*", "GET/customers/*/orders"}
    assert not any(re.search(r"[{}]", source) for source in sources)
