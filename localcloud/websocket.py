"""The program's WebSocket API, served locally with the same handler code API Gateway would run.

A ``websockets`` server (asyncio, in a thread of its own) does what API Gateway does for the deployed API:

- on an upgrade it reads the authorizer's identity source (``?token=``); without it the upgrade is refused
  with 401 and nothing runs. Otherwise it runs the deployed REQUEST authorizer with the event API Gateway
  sends; ``Unauthorized`` answers 401, any other failure 500, a policy that does not allow this
  ``$connect`` 403. Then the `$connect` integration runs with the ``requestContext`` (``connectionId``,
  ``routeKey``, the authorizer's context); a non-2xx answer refuses the upgrade with that status.
- a message runs the route its ``route_selection_expression`` picks (else `$default`); as with a proxy
  integration and no route response, nothing is sent back.
- a close runs `$disconnect`.
- ``@connections`` calls from handlers (``PostToConnection``, ``GetConnection``, ``DeleteConnection``) reach
  this server through ``localcloud.connections_api``; a connection that is not open answers 410.

API Gateway checks that it may invoke each function (the Lambda permission's source ARN), and so does this,
with the local cloud's one check (``Deployment.allows_invoke``: ``ArnLike`` on the source ARN).
Every invocation counts as work for ``cloud.wait_idle()``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import fnmatch
import json
import secrets
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlparse

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from localcloud import connections_api
from localcloud.connections_api import ConnectionGoneError
from localcloud.websocket_spec import WebSocketApiSpec

if TYPE_CHECKING:
    from localcloud.host import CloudHost

SEND_TIMEOUT_SECONDS = 10.0
START_TIMEOUT_SECONDS = 10.0


@dataclass
class OpenConnection:
    connection: ServerConnection
    connection_id: str
    authorizer: Mapping[str, Any]
    headers: Mapping[str, str]
    connected_at: int
    source_ip: str
    #: Every text this server sent to the client, in order (what the client received).
    sent: list[str] = field(default_factory=list)


class RefusedError(Exception):
    """The upgrade is answered with ``status`` and nothing is connected."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class LocalWebSocketServer:
    """Serves the program's WebSocket API at ``ws://host:port`` (``start``), until ``stop``."""

    def __init__(self, cloud: CloudHost) -> None:
        self.cloud = cloud
        self.spec = WebSocketApiSpec.read(cloud)
        self.url = ""
        self.open: dict[str, OpenConnection] = {}
        #: Connections whose `$disconnect` has run, with what they were sent.
        self.closed: dict[str, list[str]] = {}
        self._accepted: dict[ServerConnection, OpenConnection] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle --------------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on ``host:port`` (0: any free port); returns the URL clients connect to."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                self._server = loop.run_until_complete(self._listen(host, port))
            except BaseException as error:
                failure.append(error)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="localcloud-websocket", daemon=True)
        self._thread.start()
        if not ready.wait(START_TIMEOUT_SECONDS) or failure or self._server is None:
            raise RuntimeError(f"the local WebSocket server did not start: {failure[0] if failure else 'timeout'}")
        bound = self._server.sockets[0].getsockname()
        self.url = f"ws://{bound[0]}:{bound[1]}"
        connections_api.serve(self.spec.api_id, self)
        self.cloud.trace.add("websocket", self.spec.api_id, f"serving stage {self.spec.stage} at {self.url}")
        return self.url

    async def _listen(self, host: str, port: int) -> Server:
        return await serve(self._handle, host, port, process_request=self._upgrade, ping_interval=None)

    def stop(self) -> None:
        connections_api.stop_serving(self.spec.api_id)
        loop, server = self._loop, self._server
        if loop is None or server is None:
            return

        async def shut() -> None:
            server.close()
            await server.wait_closed()

        asyncio.run_coroutine_threadsafe(shut(), loop).result(timeout=SEND_TIMEOUT_SECONDS)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=SEND_TIMEOUT_SECONDS)

    # --- the upgrade: identity source, authorizer, `$connect` ----------------------------------------

    async def _upgrade(self, connection: ServerConnection, request: Request) -> Response | None:
        try:
            accepted = await asyncio.to_thread(self._connect, connection, request)
        except RefusedError as refusal:
            return connection.respond(refusal.status, f"{refusal}\n")
        with self._lock:
            self._accepted[connection] = accepted
        return None

    def _connect(self, connection: ServerConnection, request: Request) -> OpenConnection:
        url = urlparse(request.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        headers = dict(request.headers.raw_items())
        connection_id = base64.urlsafe_b64encode(secrets.token_bytes(11)).decode()
        source_ip = str(connection.remote_address[0]) if connection.remote_address else "127.0.0.1"
        context = self._request_context("$connect", "CONNECT", connection_id, source_ip)
        with self.cloud.busy():
            authorizer = self._authorize(connection_id, headers, query, context) if self._connect_authorized else {}
            event = {
                "headers": headers,
                "multiValueHeaders": {key: [value] for key, value in headers.items()},
                "queryStringParameters": query or None,
                "multiValueQueryStringParameters": {key: [value] for key, value in query.items()} or None,
                "requestContext": {**context, **({"authorizer": authorizer} if authorizer else {})},
                "isBase64Encoded": False,
            }
            answer = self._integrate("$connect", event, connection_id)
        status = int(answer.get("statusCode") or 200) if isinstance(answer, Mapping) else 200
        if not 200 <= status < 300:
            raise RefusedError(status, "Refused by the $connect integration")
        return OpenConnection(
            connection=connection,
            connection_id=connection_id,
            authorizer=authorizer,
            headers=headers,
            connected_at=int(context["connectedAt"]),
            source_ip=source_ip,
        )

    @property
    def _connect_authorized(self) -> bool:
        route = self.spec.routes.get("$connect")
        return bool(route and route[1] and self.spec.authorizer_function)

    def _authorize(
        self, connection_id: str, headers: Mapping[str, str], query: Mapping[str, str], context: Mapping[str, Any]
    ) -> dict[str, Any]:
        parameter = self.spec.identity_parameter
        if parameter is not None and not query.get(parameter):
            self.cloud.trace.add("refused", self.spec.api_id, f"$connect without ?{parameter}= (401)")
            raise RefusedError(HTTPStatus.UNAUTHORIZED, "Unauthorized")
        function = self.spec.authorizer_function or ""
        method_arn = f"{self.spec.execution_arn}/{self.spec.stage}/$connect"
        source = f"{self.spec.execution_arn}/authorizers/{self.spec.authorizer_id}"
        if not self._may_invoke(function, source):
            self.cloud.trace.add("error", function, f"API Gateway may not invoke the authorizer from {source}")
            raise RefusedError(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal server error")
        event = {
            "type": "REQUEST",
            "methodArn": method_arn,
            "headers": dict(headers),
            "multiValueHeaders": {key: [value] for key, value in headers.items()},
            "queryStringParameters": dict(query),
            "multiValueQueryStringParameters": {key: [value] for key, value in query.items()},
            "stageVariables": {},
            "requestContext": dict(context),
        }
        started = time.perf_counter()
        result = self.cloud.functions[function].invoke(event)
        if not result.ok:
            unauthorized = result.error_message == "Unauthorized"
            self.cloud.trace.add("refused", function, f"$connect {connection_id}: {result.error_type}")
            raise RefusedError(
                HTTPStatus.UNAUTHORIZED if unauthorized else HTTPStatus.INTERNAL_SERVER_ERROR,
                "Unauthorized" if unauthorized else "Internal server error",
            )
        payload = result.payload if isinstance(result.payload, Mapping) else {}
        if not _allows(payload.get("policyDocument"), method_arn):
            self.cloud.trace.add("refused", function, f"$connect {connection_id}: policy does not allow it (403)")
            raise RefusedError(HTTPStatus.FORBIDDEN, "Forbidden")
        latency = int((time.perf_counter() - started) * 1000)
        given = payload.get("context") if isinstance(payload.get("context"), Mapping) else {}
        return {**dict(given or {}), "principalId": payload.get("principalId"), "integrationLatency": latency}

    # --- after the upgrade: messages and the close ----------------------------------------------------

    async def _handle(self, connection: ServerConnection) -> None:
        with self._lock:
            accepted = self._accepted.pop(connection)
            self.open[accepted.connection_id] = accepted
        self.cloud.trace.add("websocket", self.spec.api_id, f"connected {accepted.connection_id}")
        try:
            async for message in connection:
                body = message if isinstance(message, str) else base64.b64encode(message).decode()
                await asyncio.to_thread(self._message, accepted, body, not isinstance(message, str))
        except ConnectionClosed:
            pass
        finally:
            code = connection.close_code or 1006
            await asyncio.to_thread(self._disconnect, accepted, code, connection.close_reason or "")

    def _message(self, accepted: OpenConnection, body: str, binary: bool) -> None:
        route_key = "$default"
        key = self.spec.route_selection_key
        try:
            selected = json.loads(body).get(key) if key and not binary else None
        except (ValueError, AttributeError):
            selected = None
        if isinstance(selected, str) and selected in self.spec.routes:
            route_key = selected
        if route_key not in self.spec.routes:
            return
        context = self._request_context(route_key, "MESSAGE", accepted.connection_id, accepted.source_ip)
        context |= {"messageId": uuid.uuid4().hex[:16], "authorizer": dict(accepted.authorizer)}
        with self.cloud.busy(), contextlib.suppress(RefusedError):  # a failed route only fails that message
            self._integrate(route_key, {"requestContext": context, "body": body, "isBase64Encoded": binary}, None)

    def _disconnect(self, accepted: OpenConnection, code: int, reason: str) -> None:
        with self.cloud.busy():
            with self._lock:
                self.open.pop(accepted.connection_id, None)
            if "$disconnect" in self.spec.routes:
                context = self._request_context("$disconnect", "DISCONNECT", accepted.connection_id, accepted.source_ip)
                context |= {"disconnectStatusCode": code, "disconnectReason": reason}
                if accepted.authorizer:
                    context["authorizer"] = dict(accepted.authorizer)
                event = {"headers": dict(accepted.headers), "requestContext": context, "isBase64Encoded": False}
                with contextlib.suppress(RefusedError):  # the connection is gone either way (the trace has the error)
                    self._integrate("$disconnect", event, accepted.connection_id)
            with self._lock:
                self.closed[accepted.connection_id] = accepted.sent
        self.cloud.trace.add("websocket", self.spec.api_id, f"disconnected {accepted.connection_id} ({code})")

    # --- invoking integrations --------------------------------------------------------------------------

    def _integrate(self, route_key: str, event: Mapping[str, Any], connection_id: str | None) -> Any:
        function, _ = self.spec.routes[route_key]
        source = f"{self.spec.execution_arn}/{self.spec.stage}/{route_key}"
        if not self._may_invoke(function, source):
            self.cloud.trace.add("error", function, f"API Gateway may not invoke {function} from {source}")
            raise RefusedError(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal server error")
        result = self.cloud.functions[function].invoke(dict(event))
        if not result.ok:
            self.cloud.trace.add("error", function, f"{route_key} {connection_id}: {result.error_type}")
            raise RefusedError(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal server error")
        return result.payload

    def _may_invoke(self, function: str, source_arn: str) -> bool:
        """The function's resource policy decides, through the local cloud's one invoke-permission check."""
        deployment = self.cloud.deployment
        return deployment.allows_invoke(deployment.functions[function], "apigateway.amazonaws.com", source_arn)

    def _request_context(self, route_key: str, event_type: str, connection_id: str, source_ip: str) -> dict[str, Any]:
        now = self.cloud.clock.now()
        epoch_ms = int(now * 1000)
        return {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": uuid.uuid4().hex[:16],
            "requestTime": dt.datetime.fromtimestamp(now, dt.UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "messageDirection": "IN",
            "stage": self.spec.stage,
            "connectedAt": epoch_ms,
            "requestTimeEpoch": epoch_ms,
            "identity": {"sourceIp": source_ip},
            "requestId": uuid.uuid4().hex[:16],
            "domainName": urlparse(self.url).netloc,
            "connectionId": connection_id,
            "apiId": self.spec.api_id,
        }

    # --- @connections (localcloud.connections_api.ConnectionRouter) -----------------------------------

    def _open_connection(self, stage: str, connection_id: str) -> OpenConnection:
        with self._lock:
            accepted = self.open.get(connection_id)
        if accepted is None or stage != self.spec.stage:
            raise ConnectionGoneError(connection_id)
        return accepted

    def post(self, stage: str, connection_id: str, data: bytes) -> None:
        accepted = self._open_connection(stage, connection_id)
        try:
            text: str | bytes = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data
        if self._loop is None:
            raise ConnectionGoneError(connection_id)
        try:
            asyncio.run_coroutine_threadsafe(accepted.connection.send(text), self._loop).result(SEND_TIMEOUT_SECONDS)
        except ConnectionClosed:
            raise ConnectionGoneError(connection_id) from None
        if isinstance(text, str):
            accepted.sent.append(text)

    def describe(self, stage: str, connection_id: str) -> Mapping[str, Any]:
        accepted = self._open_connection(stage, connection_id)
        connected = dt.datetime.fromtimestamp(accepted.connected_at / 1000, dt.UTC).isoformat()
        return {
            "ConnectedAt": connected,
            "LastActiveAt": connected,
            "Identity": {"SourceIp": accepted.source_ip, "UserAgent": accepted.headers.get("User-Agent", "")},
        }

    def close(self, stage: str, connection_id: str) -> None:
        accepted = self._open_connection(stage, connection_id)
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(accepted.connection.close(), self._loop)


def _allows(document: Any, method_arn: str) -> bool:
    """Whether an authorizer's policy allows ``execute-api:Invoke`` on the method and denies nothing of it."""
    if not isinstance(document, Mapping):
        return False
    raw = document.get("Statement") or []
    statements = raw if isinstance(raw, list) else [raw]

    def matches(statement: Mapping[str, Any]) -> bool:
        actions = statement.get("Action") or []
        resources = statement.get("Resource") or []
        actions = actions if isinstance(actions, list) else [actions]
        resources = resources if isinstance(resources, list) else [resources]
        return any(fnmatch.fnmatchcase("execute-api:Invoke", str(a)) for a in actions) and any(
            fnmatch.fnmatchcase(method_arn, str(r)) for r in resources
        )

    applicable = [s for s in statements if isinstance(s, Mapping) and matches(s)]
    return any(s.get("Effect") == "Allow" for s in applicable) and not any(
        s.get("Effect") == "Deny" for s in applicable
    )
