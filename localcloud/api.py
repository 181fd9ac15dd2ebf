"""The REST API as API Gateway would run it, built from the resources the program deployed.

Routes come from the deployed ``Resource``/``Method``/``Integration`` resources; request bodies are
validated against the same models (JSON Schema draft-04, with jsonschema) when the method's request
validator asks for it, and a failure answers with the deployed ``BAD_REQUEST_BODY`` gateway response.
``AWS_PROXY`` integrations invoke the function with the Lambda proxy event (Powertools'
``APIGatewayRestResolver`` routes it); ``AWS`` integrations render the request mapping template with
airspeed, call the service action with the integration's role, and render the integration response.
Methods with a Cognito user pool authorizer answer 401 as API Gateway does unless the token verifies
(``localcloud/authorizer.py``), and hand its claims to the integration. Throttling (``MethodSettings``) is
stored in moto but not enforced locally.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jsonschema

from localcloud import authorizer, cors, usage_plans, vtl
from localcloud.api_services import call_service, select_integration_response
from localcloud.provision.base import mapping as mapping_input
from localcloud.trace import order_id_of

if TYPE_CHECKING:
    from localcloud.host import CloudHost

JSON = "application/json"
_AWS_ACTION = re.compile(r"^arn:aws:apigateway:[^:]+:(?P<service>[^:]+):action/(?P<action>\w+)$")


@dataclass
class ApiResponse:
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": JSON})

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Route:
    method: str
    resource_path: str
    pattern: re.Pattern[str]
    request_models: dict[str, str]
    validator: dict[str, Any] | None
    integration: dict[str, Any]
    integration_responses: list[dict[str, Any]]
    authorizer_id: str | None = None
    api_key_required: bool = False


def _text_of(body: Any) -> tuple[str, str | None]:
    """The body as text, and what is wrong with it when it is bytes that are not UTF-8."""
    if isinstance(body, bytes):
        try:
            return body.decode("utf-8"), None
        except UnicodeDecodeError as error:
            return "", f"Request body is not valid UTF-8: byte 0x{body[error.start]:02x} at position {error.start}"
    if isinstance(body, str):
        return body, None
    return ("" if body is None else json.dumps(body)), None


class LocalApi:
    """The deployed REST API; ``request`` answers one HTTP request."""

    def __init__(self, cloud: CloudHost) -> None:
        self.cloud = cloud
        run = cloud.deployment.run
        apis = run.of_type("aws:apigateway/restApi:RestApi")
        if len(apis) != 1:
            raise ValueError(f"the local API serves exactly one RestApi; the program has {len(apis)}")
        api = apis[0]
        self.api_id = api.id
        self.execution_arn = str(api.outputs["executionArn"])
        stages = run.of_type("aws:apigateway/stage:Stage")
        self.stage = str(stages[0].inputs["stageName"]) if stages else "local"
        #: ``{client: key}``: the registered client applications' API keys (``x-api-key``).
        self.client_keys = usage_plans.client_keys(run, str(api.id), self.stage)
        #: The local storefront's origin stands in for the distribution's (localcloud/cors.py).
        self.origins = cors.StorefrontOrigin(
            cors.deployed_storefront_origin(run), lambda: cors.origin_of(cloud.endpoints.get("storefront"))
        )
        paths = {str(api.outputs["rootResourceId"]): "/"}
        resources = {r.id: r for r in run.of_type("aws:apigateway/resource:Resource")}

        def path_of(resource_id: str) -> str:
            if resource_id not in paths:
                resource = resources[resource_id]
                parent = path_of(str(resource.inputs["parentId"]))
                paths[resource_id] = parent.rstrip("/") + "/" + str(resource.inputs["pathPart"])
            return paths[resource_id]

        self.models = {
            str(m.inputs["name"]): json.loads(m.inputs["schema"]) for m in run.of_type("aws:apigateway/model:Model")
        }
        validators = {v.id: v.inputs for v in run.of_type("aws:apigateway/requestValidator:RequestValidator")}
        self.gateway_responses = {
            str(r.inputs["responseType"]): r.inputs for r in run.of_type("aws:apigateway/response:Response")
        }
        integrations = {
            (str(i.inputs["resourceId"]), str(i.inputs["httpMethod"])): i.inputs
            for i in run.of_type("aws:apigateway/integration:Integration")
        }
        self.authorizers = authorizer.authorizers(run, cloud.clock.now)
        responses: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for r in run.of_type("aws:apigateway/integrationResponse:IntegrationResponse"):
            responses.setdefault((str(r.inputs["resourceId"]), str(r.inputs["httpMethod"])), []).append(r.inputs)
        self.routes: list[Route] = []
        for method in run.of_type("aws:apigateway/method:Method"):
            key = (str(method.inputs["resourceId"]), str(method.inputs["httpMethod"]))
            resource_path = path_of(key[0])
            regex = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(resource_path)) + "/?$"
            validator_id = method.inputs.get("requestValidatorId")
            self.routes.append(
                Route(
                    method=key[1],
                    resource_path=resource_path,
                    pattern=re.compile(regex),
                    request_models=dict(method.inputs.get("requestModels") or {}),
                    validator=dict(validators[validator_id]) if validator_id in validators else None,
                    integration=dict(integrations.get(key, {})),
                    integration_responses=responses.get(key, []),
                    authorizer_id=authorizer.method_authorizer(method.inputs, self.authorizers),
                    api_key_required=bool(method.inputs.get("apiKeyRequired")),
                )
            )

    # --- one request -------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
    ) -> ApiResponse:
        """Answer a request; ``body`` may be text, bytes or anything JSON-serialisable."""
        text, body_problem = _text_of(body)
        headers = self.origins.inbound(headers or {})
        if text and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = JSON
        stage_prefix = f"/{self.stage}"
        if path == stage_prefix or path.startswith(stage_prefix + "/"):
            path = path[len(stage_prefix) :] or "/"
        request_id = str(uuid.uuid4())
        context = self._context(request_id, method, path)
        response = self._answer(method, path, text, headers, dict(query or {}), context, body_problem)
        response.headers = self.origins.outbound(response.headers)
        response.headers.setdefault("x-amzn-RequestId", request_id)
        self.cloud.trace.add(
            "http",
            "api",
            f"{method} {path} -> {response.status}",
            order_id_of(response.body) or order_id_of(text),
        )
        return response

    def _context(self, request_id: str, method: str, path: str) -> dict[str, Any]:
        now = time.time()
        return {
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTimeEpoch": int(now * 1000),
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "stage": self.stage,
            "httpMethod": method,
            "path": f"/{self.stage}{path}",
            "apiId": self.api_id,
            "accountId": self.cloud.account,
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "localcloud"},
            "requestOverride": {"header": {}, "path": {}, "querystring": {}},
            "responseOverride": {"header": {}},
            "error": {},
        }

    def _answer(
        self,
        method: str,
        path: str,
        body: str,
        headers: dict[str, str],
        query: dict[str, str],
        context: dict[str, Any],
        body_problem: str | None = None,
    ) -> ApiResponse:
        route, params = self._match(method, path)
        if route is None:
            return self._gateway_response("MISSING_AUTHENTICATION_TOKEN", context, 403, "Missing Authentication Token")
        context["resourcePath"] = route.resource_path
        refused = self._admit(route, headers, context)
        if refused is not None:
            return refused
        problems = f"[{body_problem}]" if body_problem else self._validate(route, body, headers)
        if problems is not None:
            context["error"]["validationErrorString"] = problems
            return self._gateway_response("BAD_REQUEST_BODY", context, 400, "Invalid request body")
        kind = route.integration.get("type")
        if kind == "AWS_PROXY":
            return self._proxy(route, path, params, body, headers, query, context)
        if kind == "AWS":
            return self._aws_action(route, params, body, headers, query, context)
        return self._mock(route, context)

    def _admit(self, route: Route, headers: Mapping[str, str], context: dict[str, Any]) -> ApiResponse | None:
        """API Gateway's checks before validation: the authorizer (401), then the client's API key (403)."""
        if route.authorizer_id is not None:
            try:
                context["authorizer"] = {"claims": self.authorizers[route.authorizer_id].authorize(headers)}
            except authorizer.UnauthorizedError as refused:
                self.cloud.trace.add("http", "authorizer", f"{route.method} {context['path']} -> 401: {refused.reason}")
                return self._gateway_response("UNAUTHORIZED", context, 401, "Unauthorized")
        if route.api_key_required and not usage_plans.has_valid_key(headers, self.client_keys):
            return self._gateway_response("INVALID_API_KEY", context, 403, "Forbidden")
        return None

    def _match(self, method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        for route in self.routes:
            match = route.pattern.match(path)
            if match and route.method in (method, "ANY"):
                # API Gateway hands templates and functions the decoded path parameters.
                return route, {name: urllib.parse.unquote(value) for name, value in match.groupdict().items()}
        return None, {}

    def _validate(self, route: Route, body: str, headers: Mapping[str, str]) -> str | None:
        """``None`` when valid, else API Gateway's ``validationErrorString`` (every problem, in brackets)."""
        if not route.validator or not route.validator.get("validateRequestBody"):
            return None
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), JSON).split(";")[0]
        model_name = route.request_models.get(content_type) or route.request_models.get(JSON)
        if model_name is None:
            return None
        try:
            document = json.loads(body) if body else None
        except json.JSONDecodeError as bad_json:
            return f"[Invalid JSON in request body: {bad_json.msg}]"
        validator = jsonschema.Draft4Validator(self.models[model_name])
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        if not errors:
            return None
        messages = []
        for error in errors:
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
            messages.append(f"{where or '(body)'}: {error.message}")
        # The string lands inside a JSON string in the gateway response template, so it is escaped for it.
        return "[" + ", ".join(json.dumps(m)[1:-1] for m in messages) + "]"

    def _gateway_response(self, response_type: str, context: dict[str, Any], status: int, message: str) -> ApiResponse:
        context["error"].setdefault("message", message)
        context["error"]["messageString"] = json.dumps(message)
        context["error"].setdefault("responseType", response_type)
        spec = self.gateway_responses.get(response_type)
        if spec is None and response_type != "DEFAULT_4XX" and status < 500:
            spec = self.gateway_responses.get("DEFAULT_4XX")
        elif spec is None and status >= 500:
            spec = self.gateway_responses.get("DEFAULT_5XX")
        if spec is None:
            return ApiResponse(status, json.dumps({"message": message}))
        templates = spec.get("responseTemplates") or {}
        template = templates.get(JSON) if isinstance(templates, Mapping) else None
        body = vtl.render(template, vtl.Input(""), context) if template else json.dumps({"message": message})
        headers = {"Content-Type": JSON, **cors.static_headers(spec.get("responseParameters"), cors.GATEWAY_HEADER)}
        return ApiResponse(int(spec.get("statusCode") or status), body, headers)

    def _mock(self, route: Route, context: dict[str, Any]) -> ApiResponse:
        """A MOCK integration (the CORS preflights): the integration response the request template's status
        selects, with its static headers and no body. Any other integration type is not emulated."""
        kind = route.integration.get("type")
        if kind != "MOCK":
            return self._gateway_response("DEFAULT_5XX", context, 500, f"integration type {kind} is not emulated")
        chosen = select_integration_response(route.integration_responses, cors.mock_status(route.integration))
        if chosen is None:
            return self._gateway_response("DEFAULT_5XX", context, 500, "Internal server error")
        headers = cors.static_headers(chosen.get("responseParameters"), cors.METHOD_HEADER)
        return ApiResponse(int(chosen["statusCode"]), "", headers)

    # --- integrations ----------------------------------------------------------------------------

    def _proxy(
        self,
        route: Route,
        path: str,
        params: dict[str, str],
        body: str,
        headers: dict[str, str],
        query: dict[str, str],
        context: dict[str, Any],
    ) -> ApiResponse:
        uri = str(route.integration["uri"])
        function_arn = uri.split("/functions/", 1)[1].rsplit("/invocations", 1)[0]
        spec = self.cloud.deployment.function_by_arn(function_arn)
        source_arn = f"{self.execution_arn}/{self.stage}/{route.method}{path}"
        if not self.cloud.deployment.allows_invoke(spec, "apigateway.amazonaws.com", source_arn):
            self.cloud.trace.add("error", "api", f"API Gateway may not invoke {spec.name} for {source_arn}")
            return self._gateway_response("DEFAULT_5XX", context, 500, "Internal server error")
        event = {
            "resource": route.resource_path,
            "path": path,
            "httpMethod": route.method,
            "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} or None,
            "pathParameters": params or None,
            "stageVariables": None,
            "requestContext": {
                "resourceId": route.resource_path,
                "resourcePath": route.resource_path,
                "httpMethod": route.method,
                "path": context["path"],
                "stage": self.stage,
                "requestId": context["requestId"],
                "extendedRequestId": context["requestId"],
                "requestTimeEpoch": context["requestTimeEpoch"],
                "requestTime": context["requestTime"],
                "protocol": "HTTP/1.1",
                "identity": {"sourceIp": "127.0.0.1", "userAgent": "localcloud"},
                "accountId": self.cloud.account,
                "apiId": self.api_id,
                "domainName": "127.0.0.1",
                **({"authorizer": context["authorizer"]} if "authorizer" in context else {}),
            },
            "body": body or None,
            "isBase64Encoded": False,
        }
        with self.cloud.busy():
            result = self.cloud.functions[spec.name].invoke(event)
        if not result.ok or not isinstance(result.payload, Mapping) or "statusCode" not in result.payload:
            why = f"{result.error_type}: {result.error_message}" if not result.ok else "malformed proxy response"
            self.cloud.trace.add("error", spec.name, why, order_id_of(body))
            return self._gateway_response("DEFAULT_5XX", context, 502, "Internal server error")
        payload = result.payload
        response_headers = {str(k): str(v) for k, v in (payload.get("headers") or {}).items()}
        for key, values in (payload.get("multiValueHeaders") or {}).items():
            response_headers[str(key)] = ", ".join(str(v) for v in values)
        return ApiResponse(int(payload["statusCode"]), str(payload.get("body") or ""), response_headers)

    def _aws_action(
        self,
        route: Route,
        params: dict[str, str],
        body: str,
        headers: dict[str, str],
        query: dict[str, str],
        context: dict[str, Any],
    ) -> ApiResponse:
        integration = route.integration
        match = _AWS_ACTION.match(str(integration.get("uri", "")))
        if match is None:
            return self._gateway_response(
                "DEFAULT_5XX", context, 500, f"unsupported AWS integration {integration.get('uri')}"
            )
        templates = integration.get("requestTemplates") or {}
        template = templates.get(JSON) if isinstance(templates, Mapping) else None
        if template is None:
            if integration.get("passthroughBehavior") == "NEVER":
                return self._gateway_response("UNSUPPORTED_MEDIA_TYPE", context, 415, "Unsupported Media Type")
            rendered = body
        else:
            rendered = vtl.render(template, vtl.Input(body, params, query, headers), context)
        role = str(integration.get("credentials") or "").rsplit("/", 1)[-1]
        service, action = match.group("service"), match.group("action")
        status, response_text = call_service(self.cloud, service, action, rendered, role, body)
        chosen = select_integration_response(route.integration_responses, status)
        if chosen is None:
            # API Gateway answers 500 when no integration response matches (and none is the default).
            self.cloud.trace.add("error", "api", f"no integration response for {service}:{action} status {status}")
            return self._gateway_response("DEFAULT_5XX", context, 500, "Internal server error")
        response_templates = chosen.get("responseTemplates") or {}
        if isinstance(response_templates, str):
            response_templates = mapping_input(response_templates)
        response_template = response_templates.get(JSON)
        output = (
            vtl.render(response_template, vtl.Input(response_text, params, query, headers), context)
            if response_template
            else response_text
        )
        status = int(context["responseOverride"].get("status") or chosen["statusCode"])
        response_headers = {
            "Content-Type": JSON,
            **cors.static_headers(chosen.get("responseParameters"), cors.METHOD_HEADER),
            **vtl.unhyphen(context["responseOverride"].get("header") or {}),
        }
        return ApiResponse(status, output.strip(), response_headers)
