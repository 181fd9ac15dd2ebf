"""The storefront in the local cloud: the page at ``/`` on the API's port, its config, and Cognito sign-in.

GET  /, /index.html, /app.js, /styles.css   the files of ``storefront/``, with the security headers and CSP
                                            CloudFront sends (components/security_headers.py)
GET  /config.json                           built from ``cloud.endpoints`` and ``cloud.identity``
GET  /_local/endpoints                      ``{"api", "websocket", "storefront"}`` (null where none runs)
POST /_local/cognito-idp/                   Cognito's JSON protocol (InitiateAuth), forwarded to moto, errors
                                            answered as Cognito answers them (``{"__type", "message"}``)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http.server import HTTPServer
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError, ParamValidationError

from components.security_headers import security_headers
from components.site_files import CACHE_CONTROL, site_files
from devtools.program import ROOT
from localcloud.api import ApiResponse
from services.storefront_config import (
    CONFIG_FILE,
    StorefrontConfig,
    storefront_api_key,
    storefront_config,
    storefront_csp,
)

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud

SITE = ROOT / "storefront"
COGNITO_PATH = "/_local/cognito-idp/"
ENDPOINTS_PATH = "/_local/endpoints"
AMZ_JSON = "application/x-amz-json-1.1"
TARGET_PREFIX = "AWSCognitoIdentityProviderService."
#: The operations the page uses; anything else answers as Cognito answers an unknown one.
OPERATIONS = {"InitiateAuth": "initiate_auth"}
INITIATE_AUTH_FIELDS = frozenset({"AuthFlow", "ClientId", "AuthParameters", "ClientMetadata", "AnalyticsMetadata"})


def publish_endpoints(cloud: LocalCloud, server: HTTPServer) -> str:
    """Records the server's URLs in ``cloud.endpoints`` (``api``, ``storefront``) and answers the API's."""
    host, port = server.server_address[:2]
    url = f"http://{host!s}:{port}"
    cloud.endpoints["api"] = url
    cloud.endpoints["storefront"] = f"{url}/"
    return url


class LocalStorefront:
    """Answers the storefront's paths; ``answer`` returns None for every other request."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self.files = {f"/{item.key}": item for item in site_files(SITE, exclude=frozenset({CONFIG_FILE}))}
        self.files["/"] = self.files["/index.html"]

    def config(self) -> StorefrontConfig:
        api = self.cloud.endpoints.get("api")
        if api is None:
            raise RuntimeError("the local API is not being served yet: cloud.endpoints has no 'api'")
        identity = self.cloud.identity
        return storefront_config(
            api_url=api,
            websocket_url=self.cloud.endpoints.get("websocket"),
            region=self.cloud.region,
            user_pool_id=identity.user_pool_id,
            client_id=identity.client_id,
            cognito=f"{api}{COGNITO_PATH}",
            api_key=storefront_api_key(self.cloud.api.client_keys),
        )

    def headers(self, content_type: str) -> dict[str, str]:
        return {
            "Content-Type": content_type,
            "Cache-Control": CACHE_CONTROL,
            **security_headers(storefront_csp(self.config())),
        }

    def endpoints(self) -> dict[str, str | None]:
        return {name: self.cloud.endpoints.get(name) for name in ("api", "websocket", "storefront")}

    def answer(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> ApiResponse | None:
        if method in ("GET", "HEAD"):
            if path == f"/{CONFIG_FILE}":
                return ApiResponse(200, json.dumps(self.config()), self.headers("application/json"))
            if path in self.files:
                site_file = self.files[path]
                return ApiResponse(200, site_file.path.read_text(), self.headers(site_file.content_type))
            if path == ENDPOINTS_PATH:
                return ApiResponse(200, json.dumps(self.endpoints()))
        if method == "POST" and path in (COGNITO_PATH, COGNITO_PATH.rstrip("/")):
            return self.cognito(headers, body)
        return None

    def cognito(self, headers: Mapping[str, str], body: bytes) -> ApiResponse:
        """One call in Cognito's JSON protocol: the operation in ``X-Amz-Target``, the request as JSON."""
        target = next((value for key, value in headers.items() if key.lower() == "x-amz-target"), "")
        operation = target.removeprefix(TARGET_PREFIX) if target.startswith(TARGET_PREFIX) else ""
        if operation not in OPERATIONS:
            return cognito_error(400, "UnknownOperationException", f"Unknown operation {target!r}")
        request = _cognito_request(body)
        if isinstance(request, ApiResponse):
            return request
        try:
            result = getattr(self.cloud.clients("cognito-idp"), OPERATIONS[operation])(**request)
        except ParamValidationError as error:
            return cognito_error(400, "InvalidParameterException", str(error))
        except ClientError as error:
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400)
            details = error.response.get("Error", {})
            return cognito_error(status, str(details.get("Code")), str(details.get("Message") or ""))
        answer = {key: value for key, value in result.items() if key != "ResponseMetadata"}
        return ApiResponse(200, json.dumps(answer, default=str), {"Content-Type": AMZ_JSON})


def _cognito_request(body: bytes) -> dict[str, Any] | ApiResponse:
    """The request's fields, or the error Cognito answers for a body it cannot read."""
    try:
        request = json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return cognito_error(400, "SerializationException", "The request body is not valid JSON")
    if not isinstance(request, dict):
        return cognito_error(400, "SerializationException", "The request body must be a JSON object")
    unknown = sorted(set(request) - INITIATE_AUTH_FIELDS)
    if unknown:
        return cognito_error(400, "InvalidParameterException", f"Unknown field(s): {', '.join(unknown)}")
    return request


def cognito_error(status: int, code: str, message: str) -> ApiResponse:
    body: dict[str, Any] = {"__type": code, "message": message}
    return ApiResponse(status, json.dumps(body), {"Content-Type": AMZ_JSON})
