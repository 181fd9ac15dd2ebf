"""API Gateway's connection management API (``@connections``) for the local cloud, answered by the WebSocket
server that holds the connections.

moto's ``apigatewaymanagementapi`` accepts any connection id and delivers nothing (``moto-notes.md``). Here its
three operations are routed, by the API id in the endpoint's host, to whatever ``ConnectionRouter`` serves that
API (``localcloud.websocket``): ``PostToConnection`` sends the data to the client, ``GetConnection`` describes it,
``DeleteConnection`` closes it. A connection the router does not hold open, or an API nobody serves, answers
410 ``GoneException``, as AWS does for a connection that has closed.

IAM by use: AWS authorises each call as ``execute-api:ManageConnections`` on
``arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/@connections/<connectionId>``. The client-side
hook (``localcloud.iam``) cannot see the endpoint's API id, so the call is recorded here, against the principal
running on the calling thread, with exactly that ARN.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

from moto.apigatewaymanagementapi.responses import ApiGatewayManagementApiResponse
from moto.core.exceptions import JsonRESTError

from localcloud.iam import current_principal

ACTION = "execute-api:ManageConnections"
#: ``record(principal, action, resource)``: where authorisations are recorded (``CallRecorder.record``).
Record = Callable[[str, str, str], None]


class ConnectionGoneError(LookupError):
    """The connection is not open (closed, or never existed)."""


class ConnectionRouter(Protocol):
    """What serves one API's connections."""

    def post(self, stage: str, connection_id: str, data: bytes) -> None: ...

    def describe(self, stage: str, connection_id: str) -> Mapping[str, Any]: ...

    def close(self, stage: str, connection_id: str) -> None: ...


class GoneError(JsonRESTError):
    """What AWS answers for a connection that is not open: 410 ``GoneException``."""

    code = 410

    def __init__(self, connection_id: str) -> None:
        super().__init__("GoneException", f"Connection {connection_id} is gone")


class _Routes:
    def __init__(self) -> None:
        self.by_api: dict[str, ConnectionRouter] = {}
        self.record: Record | None = None
        self.region = "us-east-1"
        self.account = "123456789012"
        self.installed = False
        self.lock = threading.Lock()


_routes = _Routes()


def serve(api_id: str, router: ConnectionRouter) -> None:
    """Route ``@connections`` calls for ``api_id`` to ``router``."""
    with _routes.lock:
        _routes.by_api[api_id] = router


def stop_serving(api_id: str) -> None:
    with _routes.lock:
        _routes.by_api.pop(api_id, None)


def install(record: Record | None, region: str, account: str) -> None:
    """Patch moto's management API (once per process); ``record`` receives each authorisation."""
    with _routes.lock:
        _routes.record, _routes.region, _routes.account = record, region, account
        if _routes.installed:
            return
        _routes.installed = True
    for operation, replacement in (
        ("post_to_connection", _post),
        ("get_connection", _get),
        ("delete_connection", _delete),
    ):
        _replace(ApiGatewayManagementApiResponse, operation, replacement)


def _replace(owner: object, attribute: str, replacement: Any) -> None:
    setattr(owner, attribute, replacement)


def _call(response: Any, method: str) -> tuple[ConnectionRouter, str, str]:
    """The router, stage and connection id of a call; records its authorisation first."""
    api_id = str(urlparse(response.uri).netloc).split(".", 1)[0]
    stage, _, connection_id = str(response.path).partition("/@connections/")
    stage, connection_id = stage.strip("/"), unquote(connection_id)
    principal = current_principal()
    if _routes.record is not None and principal is not None:
        api = f"arn:aws:execute-api:{_routes.region}:{_routes.account}:{api_id}"
        _routes.record(principal, ACTION, f"{api}/{stage}/{method}/@connections/{connection_id}")
    router = _routes.by_api.get(api_id)
    if router is None:
        raise GoneError(connection_id)
    return router, stage, connection_id


def _post(response: Any) -> str:
    router, stage, connection_id = _call(response, "POST")
    try:
        router.post(stage, connection_id, bytes(response.body or b""))
    except ConnectionGoneError:
        raise GoneError(connection_id) from None
    return "{}"


def _get(response: Any) -> str:
    router, stage, connection_id = _call(response, "GET")
    try:
        return json.dumps(dict(router.describe(stage, connection_id)))
    except ConnectionGoneError:
        raise GoneError(connection_id) from None


def _delete(response: Any) -> str:
    router, stage, connection_id = _call(response, "DELETE")
    try:
        router.close(stage, connection_id)
    except ConnectionGoneError:
        raise GoneError(connection_id) from None
    return "{}"
