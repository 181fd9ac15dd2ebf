"""Live order status in the program graph: the WebSocket API, its authorizer, the connections table, and the
notifier whose ManageConnections grant covers this API's connections and nothing else."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.python_layer import PYTHON_LAYER_CHILDREN, PythonLayer, PythonLayerArgs
from components.websocket_api import WEBSOCKET_API_CHILDREN, Throttling, WebSocketApi, WebSocketApiArgs
from devtools.program import ACCOUNT_ID, ProgramRun
from tests.unit.graph import FUNCTION, MAPPING, PERMISSION, TABLE, Graph
from tests.unit.test_components import run as run_component
from tests.unit.test_hostile_transforms import hostile

WEBSOCKET_API = "aws:apigatewayv2/api:Api"
REGION = "eu-west-1"


def websocket_api(run: ProgramRun) -> Any:
    [api] = [a for a in run.of_type(WEBSOCKET_API) if a.inputs["protocolType"] == "WEBSOCKET"]
    return api


def function_named(run: ProgramRun, suffix: str) -> Any:
    return run.named(f"{suffix}-fn")


def test_the_notifier_may_manage_only_this_apis_connections(run: ProgramRun) -> None:
    api = websocket_api(run)
    graph = Graph(run)
    statements = [
        statement
        for statement in graph.role_policy_of(function_named(run, "live-notifier"))["Statement"]
        if any(action.startswith("execute-api:") for action in statement["Action"])
    ]
    assert statements == [
        {
            "Sid": statements[0]["Sid"],
            "Effect": "Allow",
            "Action": ["execute-api:ManageConnections"],
            "Resource": [f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{api.id}/live/POST/@connections/*"],
        }
    ]
    [resource] = statements[0]["Resource"]
    api_id, stage, method, path = resource.split(":")[-1].split("/", 3)
    assert (api_id, stage, method, path) == (api.id, "live", "POST", "@connections/*")
    assert "*" not in api_id and "?" not in api_id
    # No other function may touch any API's connections, and no grant names another API.
    apis = {a.id for a in run.of_type(WEBSOCKET_API)} | {a.id for a in run.of_type("aws:apigateway/restApi:RestApi")}
    assert len(apis) >= 2, "the stack has the REST API besides the WebSocket API"
    for function in run.of_type(FUNCTION):
        for action, granted in graph.grants_of(function):
            if action.startswith("execute-api:"):
                assert function.name == "live-notifier-fn", f"{function.name} may {action} on {granted}"
                assert granted.split(":")[-1].split("/")[0] == api.id
                assert not any(other in granted for other in apis - {api.id}), granted


def test_connect_is_authorized_by_the_token_in_the_query_string(run: ProgramRun) -> None:
    api = websocket_api(run)
    routes = {r.inputs["routeKey"]: r.inputs for r in run.of_type("aws:apigatewayv2/route:Route")}
    assert set(routes) == {"$connect", "$disconnect", "$default"}
    [authorizer] = run.of_type("aws:apigatewayv2/authorizer:Authorizer")
    assert authorizer.inputs["authorizerType"] == "REQUEST"
    assert authorizer.inputs["identitySources"] == ["route.request.querystring.token"]
    assert authorizer.inputs["authorizerUri"] == function_named(run, "live-authorizer").outputs["invokeArn"]
    assert routes["$connect"]["authorizationType"] == "CUSTOM"
    assert routes["$connect"]["authorizerId"] == authorizer.id
    for key in ("$disconnect", "$default"):
        assert routes[key]["authorizationType"] == "NONE"  # API Gateway allows an authorizer on $connect only
    integrations = {i.id: i.inputs for i in run.of_type("aws:apigatewayv2/integration:Integration")}
    connections_fn = function_named(run, "live-connections").outputs["invokeArn"]
    for route in routes.values():
        integration = integrations[route["target"].removeprefix("integrations/")]
        assert (integration["integrationType"], integration["integrationUri"]) == ("AWS_PROXY", connections_fn)
        assert route["apiId"] == api.id


def test_api_gateway_may_invoke_the_live_functions_only_for_this_api(run: ProgramRun) -> None:
    api = websocket_api(run)
    [authorizer] = run.of_type("aws:apigatewayv2/authorizer:Authorizer")
    live_functions = {function_named(run, f"live-{n}").outputs["name"] for n in ("authorizer", "connections")}
    sources = sorted(p.inputs["sourceArn"] for p in run.of_type(PERMISSION) if p.inputs["function"] in live_functions)
    execution = f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{api.id}"
    assert sources == sorted(
        [
            f"{execution}/authorizers/{authorizer.id}",
            f"{execution}/live/$connect",
            f"{execution}/live/$default",
            f"{execution}/live/$disconnect",
        ]
    )


def test_the_stage_is_throttled_and_logs_every_connection_without_the_token(run: ProgramRun) -> None:
    api = websocket_api(run)
    [stage] = run.of_type("aws:apigatewayv2/stage:Stage")
    settings = stage.inputs["defaultRouteSettings"]
    assert stage.inputs["apiId"] == api.id and stage.inputs["autoDeploy"] is True
    assert settings["throttlingRateLimit"] > 0 and settings["throttlingBurstLimit"] >= 1
    log = stage.inputs["accessLogSettings"]
    group = run.named("live-access-log")
    assert log["destinationArn"] == group.outputs["arn"]
    assert "querystring" not in log["format"].lower() and "token" not in log["format"].lower()
    assert json.loads(log["format"])["connectionId"] == "$context.connectionId"


def test_connections_expire_and_are_found_by_customer(run: ProgramRun) -> None:
    table = next(t for t in run.of_type(TABLE) if t.outputs["name"] == f"eventshop-{run.stack}-connections")
    assert table.inputs["hashKey"] == "connectionId"
    assert table.inputs["ttl"] == {"attributeName": "expiresAt", "enabled": True}
    assert table.inputs["globalSecondaryIndexes"] == [
        {"name": "byCustomer", "hashKey": "customerId", "projectionType": "ALL"}
    ]


def test_the_notifier_is_a_second_consumer_of_the_orders_stream_which_stays_as_it_was(run: ProgramRun) -> None:
    orders = next(t for t in run.of_type(TABLE) if t.outputs["name"] == f"eventshop-{run.stack}-orders")
    assert (orders.inputs["streamEnabled"], orders.inputs["streamViewType"]) == (True, "NEW_IMAGE")
    consumers = {
        str(m.inputs["functionName"]).rsplit(":", 1)[-1].removeprefix(f"eventshop-{run.stack}-"): m.inputs
        for m in run.of_type(MAPPING)
        if m.inputs["eventSourceArn"] == orders.outputs["streamArn"]
    }
    assert set(consumers) == {"orders-outbox", "live-notifier"}
    assert consumers["orders-outbox"]["filterCriteria"] == {"filters": [{"pattern": '{"eventName": ["INSERT"]}'}]}
    assert consumers["live-notifier"]["filterCriteria"] == {
        "filters": [{"pattern": '{"eventName": ["INSERT", "MODIFY"]}'}]
    }
    assert consumers["live-notifier"]["functionResponseTypes"] == ["ReportBatchItemFailures"]


def test_only_the_authorizer_carries_the_jose_layer(run: ProgramRun) -> None:
    layer = run.named("jose-layer")
    assert layer.inputs["compatibleRuntimes"] == ["python3.13"]
    assert layer.inputs["compatibleArchitectures"] == ["arm64"]
    holders = [f.name for f in run.of_type(FUNCTION) if layer.outputs["arn"] in f.inputs["layers"]]
    assert holders == ["live-authorizer-fn"]


def test_an_unbuilt_layer_fails_the_program_naming_the_command(tmp_path: Any) -> None:
    missing = tmp_path / "jose"
    with pytest.raises(ValueError, match=rf"layer '{missing}' is not built .* run `make layers` first"):
        run_component(lambda: PythonLayer("jose", PythonLayerArgs(directory=str(missing), build_command="make layers")))


def _function(name: str) -> aws.lambda_.Function:
    return aws.lambda_.Function(name, role="arn:aws:iam::123456789012:role/r", runtime="python3.13", handler="a.b")


def _api_args(**routes: Any) -> WebSocketApiArgs:
    return WebSocketApiArgs(
        routes=routes or {"$connect": _function("connect")},
        authorizer=_function("authorizer"),
        throttling=Throttling(rate_limit=10, burst_limit=20),
        log_retention_days=7,
    )


def test_a_websocket_api_without_connect_or_with_bad_arguments_names_every_problem() -> None:
    def build() -> None:
        WebSocketApi(
            "bad",
            WebSocketApiArgs(
                routes={"$default": _function("default"), "bad key!": _function("other")},
                authorizer=_function("authorizer"),
                throttling=Throttling(rate_limit=0, burst_limit=0),
                log_retention_days=0,
                identity_source="$request.body.token",
                stage_name="no spaces",
            ),
            transforms={"nope": hostile()},
        )

    with pytest.raises(ValueError, match="WebSocketApi 'bad' has invalid arguments") as error:
        run_component(build)
    message = str(error.value)
    for problem in (
        "$connect is required",
        "route key 'bad key!' is not valid",
        "stage_name 'no spaces' is not valid",
        "identity_source '$request.body.token'",
        "throttling: rate_limit must be positive",
        "log_retention_days must be at least 1",
        "transforms: unknown child 'nope'",
    ):
        assert problem in message


def test_a_hostile_transform_cannot_open_connect_or_widen_the_permissions() -> None:
    transforms = {
        "api": hostile(protocol_type="HTTP", name="renamed"),
        "authorizer": hostile(identity_sources=[], authorizer_type="JWT"),
        "integration": hostile(integration_type="HTTP_PROXY", integration_uri="https://attacker.example"),
        "route": hostile(authorization_type="NONE", target="integrations/elsewhere"),
        "permission": hostile(source_arn="*", principal="*"),
        "access_log": hostile(name="/elsewhere"),
        "stage": hostile(access_log_settings=None, auto_deploy=False),
    }
    assert set(transforms) == set(WEBSOCKET_API_CHILDREN), "a hostile transform on every child"
    urns: list[str] = []

    def build() -> None:
        ws = WebSocketApi("ws", _api_args(), transforms=transforms)
        children = [ws.api, ws.authorizer, *ws.integrations.values(), *ws.routes.values(), *ws.permissions]
        pulumi.Output.all(*(c.urn for c in (*children, ws.access_log, ws.stage))).apply(urns.extend)

    result = run_component(build)
    api = result.named("ws-api")
    assert api.inputs["protocolType"] == "WEBSOCKET"
    assert api.inputs["name"] == "eventshop-test-ws"
    assert result.named("ws-authorizer").inputs["authorizerType"] == "REQUEST"
    assert result.named("ws-authorizer").inputs["identitySources"] == ["route.request.querystring.token"]
    integration = result.named("ws-integration-connect").inputs
    assert (integration["integrationType"], integration["integrationUri"]) == (
        "AWS_PROXY",
        result.named("connect").outputs["invokeArn"],
    )
    route = result.named("ws-route-connect").inputs
    assert route["authorizationType"] == "CUSTOM"
    assert route["target"] == f"integrations/{result.named('ws-integration-connect').id}"
    for permission in result.of_type(PERMISSION):
        assert permission.inputs["principal"] == "apigateway.amazonaws.com"
        assert permission.inputs["sourceArn"].startswith(api.outputs["executionArn"] + "/")
    log_group = result.named("ws-access-log")
    assert log_group.inputs["name"] == "/aws/apigateway/eventshop-test-ws"
    stage = result.named("ws-stage").inputs
    assert stage["autoDeploy"] is True and stage["accessLogSettings"]["destinationArn"] == log_group.outputs["arn"]
    # Whatever options the transforms returned, every child is still the component's.
    children = [r for r in result.custom_resources if r.name.startswith("ws-")]
    assert len(urns) == len(children) and all("::eventshop:components:WebSocketApi$aws:" in urn for urn in urns), urns


def test_a_hostile_transform_cannot_repoint_the_layer(tmp_path: Any) -> None:
    (tmp_path / "jose" / "python").mkdir(parents=True)
    (tmp_path / "jose" / "python" / "jose.py").write_text("")
    args = PythonLayerArgs(directory=str(tmp_path / "jose"), build_command="make layers", description="jose")
    transforms = {
        "layer": hostile(
            layer_name="renamed",
            code=pulumi.FileArchive(str(tmp_path)),
            compatible_runtimes=["python3.8"],
            compatible_architectures=["x86_64"],
        )
    }
    assert set(transforms) == set(PYTHON_LAYER_CHILDREN)
    urns: list[str] = []

    def build() -> None:
        PythonLayer("jose", args, transforms=transforms).layer.urn.apply(urns.append)

    layer = run_component(build).named("jose-layer").inputs
    assert layer["layerName"] == "eventshop-test-jose"
    assert layer["compatibleRuntimes"] == ["python3.13"] and layer["compatibleArchitectures"] == ["arm64"]
    assert "description" not in layer, "the description is a default: the transform may drop it"
    [urn] = urns
    assert "::eventshop:components:PythonLayer$aws:lambda/layerVersion:LayerVersion::jose-layer" in urn


def test_the_grant_names_the_stage_and_the_api_it_was_built_for() -> None:
    grants: list[Any] = []
    resolved: list[str] = []

    def build() -> None:
        api = WebSocketApi("ws", _api_args())
        grants.append(api.manage_connections)
        pulumi.Output.all(*api.manage_connections.resources).apply(resolved.extend)

    result = run_component(build)
    api = result.named("ws-api")
    [grant] = grants
    assert grant.actions == ("execute-api:ManageConnections",)
    assert resolved == [f"arn:aws:execute-api:eu-west-1:{ACCOUNT_ID}:{api.id}/live/POST/@connections/*"]
