"""The deployed WebSocket API as the local WebSocket server needs it, read from the program run: its ids, stage,
REQUEST authorizer (and the query parameter it reads) and routes with the functions they integrate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from localcloud.host import CloudHost

API = "aws:apigatewayv2/api:Api"
AUTHORIZER = "aws:apigatewayv2/authorizer:Authorizer"
ROUTE = "aws:apigatewayv2/route:Route"
INTEGRATION = "aws:apigatewayv2/integration:Integration"
STAGE = "aws:apigatewayv2/stage:Stage"
QUERY_SOURCE = "route.request.querystring."


@dataclass(frozen=True)
class WebSocketApiSpec:
    """The deployed WebSocket API, read from the program run: ids, stage, authorizer and routes."""

    api_id: str
    execution_arn: str
    stage: str
    route_selection_key: str | None
    authorizer_id: str | None
    authorizer_function: str | None
    identity_parameter: str | None
    #: route key -> (function name, authorized by the authorizer)
    routes: Mapping[str, tuple[str, bool]]

    @classmethod
    def read(cls, cloud: CloudHost) -> WebSocketApiSpec:
        run, deployment = cloud.deployment.run, cloud.deployment
        apis = [a for a in run.of_type(API) if a.inputs.get("protocolType") == "WEBSOCKET"]
        if len(apis) != 1:
            raise RuntimeError(f"the local WebSocket server serves one WebSocket API; the program has {len(apis)}")
        api = apis[0]
        of_api = [s for s in run.of_type(STAGE) if s.inputs.get("apiId") == api.id]
        if len(of_api) != 1:
            raise RuntimeError(f"WebSocket API {api.name} has {len(of_api)} stages; the local server serves one")

        def function_of(invoke_arn: str) -> str:
            return deployment.function_by_arn(invoke_arn.split("/functions/", 1)[-1].removesuffix("/invocations")).name

        authorizers = [a for a in run.of_type(AUTHORIZER) if a.inputs.get("apiId") == api.id]
        authorizer = authorizers[0] if authorizers else None
        sources = list(authorizer.inputs.get("identitySources") or []) if authorizer else []
        parameter = next((s.removeprefix(QUERY_SOURCE) for s in sources if s.startswith(QUERY_SOURCE)), None)
        integrations = {i.id: i.inputs for i in run.of_type(INTEGRATION) if i.inputs.get("apiId") == api.id}
        routes: dict[str, tuple[str, bool]] = {}
        for route in (r for r in run.of_type(ROUTE) if r.inputs.get("apiId") == api.id):
            integration = integrations[str(route.inputs["target"]).removeprefix("integrations/")]
            authorized = route.inputs.get("authorizationType") == "CUSTOM"
            routes[str(route.inputs["routeKey"])] = (function_of(str(integration["integrationUri"])), authorized)
        expression = str(api.inputs.get("routeSelectionExpression") or "")
        return cls(
            api_id=str(api.id),
            execution_arn=str(api.outputs["executionArn"]),
            stage=str(of_api[0].outputs["name"]),
            route_selection_key=expression.removeprefix("$request.body.")
            if expression.startswith("$request.body.")
            else None,
            authorizer_id=str(authorizer.id) if authorizer else None,
            authorizer_function=function_of(str(authorizer.inputs["authorizerUri"])) if authorizer else None,
            identity_parameter=parameter,
            routes=routes,
        )
