"""The local API over HTTP on 127.0.0.1, plus the local-only endpoints under ``/_local``.

POST /_local/clock/advance  {"seconds": N}   move the clock (retries, schedules) and say what is pending
GET  /_local/outbox                           customer notifications published (the outbox queue)
GET  /_local/dlq                              dead-lettered messages per queue
GET  /_local/trace?orderId=...                the trace of one order (or everything, without orderId)
GET  /_local/openapi.json                     the API's OpenAPI 3.1 document (docs/openapi.json)
POST /_local/faults {"seed": N, "faults": [...]}  replace the active fault set (400 naming each bad field)
GET  /_local/faults                           the active fault set;  DELETE /_local/faults clears it
GET  /_local/alarms                           the alarms' states and every state change
POST /_local/users {"email": ..., "password"?: ...}  a confirmed customer: {"customerId", "email", "idToken"}
GET  /_local/endpoints                        {"api", "websocket", "storefront"}; the storefront is served at /
POST /_local/cognito-idp/                     Cognito's InitiateAuth (JSON protocol), for the storefront's sign-in
"""

from __future__ import annotations

import functools
import json
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from devtools import openapi
from localcloud.api import ApiResponse
from localcloud.cloud import LocalCloud
from localcloud.storefront import LocalStorefront, publish_endpoints


@dataclass(frozen=True)
class LocalRequest:
    query: dict[str, str]
    body: Any


#: API Gateway answers any method the API does not define, on any path, with this 403 (also TRACE, CONNECT,
#: OPTIONS without CORS, PROPFIND, lower-case methods...): JSON, never http.server's HTML 501.
MISSING_TOKEN = ApiResponse(403, json.dumps({"message": "Missing Authentication Token"}))
#: How often a background server looks for a shutdown request: ``shutdown()`` blocks up to this long (http.server's
#: default half second, paid by every test module that stops its server).
SHUTDOWN_POLL_SECONDS = 0.02


def _local_routes(cloud: LocalCloud) -> dict[tuple[str, str], Callable[[LocalRequest], Any]]:
    def advance(request: LocalRequest) -> Any:
        seconds = float((request.body or {}).get("seconds", request.query.get("seconds", 0)))
        now = cloud.clock.advance(seconds)
        return {"now": now, "offsetSeconds": cloud.clock.offset, "pendingTimers": cloud.clock.pending}

    def outbox(_: LocalRequest) -> Any:
        return {"messages": cloud.outbox()}

    def dlq(_: LocalRequest) -> Any:
        return {"queues": cloud.dead_letters()}

    def trace(request: LocalRequest) -> Any:
        entries = cloud.trace.entries(order_id=request.query.get("orderId"))
        return {"entries": [entry.as_dict() for entry in entries]}

    def openapi_document(_: LocalRequest) -> Any:
        return openapi.build()

    def set_faults(request: LocalRequest) -> Any:
        cloud.set_faults(request.body)  # a FaultSetError (a ValueError) answers 400 naming each problem
        return cloud.faults.describe()

    def create_user(request: LocalRequest) -> Any:
        return cloud.identity.create_user(request.body).as_dict()  # a UserError answers 400 naming the field

    def clear_faults(_: LocalRequest) -> Any:
        cloud.faults.clear()
        return cloud.faults.describe()

    return {
        ("GET", "/_local/openapi.json"): openapi_document,
        ("POST", "/_local/faults"): set_faults,
        ("GET", "/_local/faults"): lambda _: cloud.faults.describe(),
        ("DELETE", "/_local/faults"): clear_faults,
        ("GET", "/_local/alarms"): lambda _: cloud.alarms.describe(),
        ("POST", "/_local/clock/advance"): advance,
        ("GET", "/_local/outbox"): outbox,
        ("GET", "/_local/dlq"): dlq,
        ("GET", "/_local/trace"): trace,
        ("POST", "/_local/users"): create_user,
    }


def make_server(cloud: LocalCloud, host: str = "127.0.0.1", port: int = 8080) -> ThreadingHTTPServer:
    """A threading HTTP server answering the API contract and ``/_local``; ``port=0`` picks a free one.

    Every method reaches ``handle`` (API Gateway routes any method, and answers JSON for the ones the API
    does not define), and every error http.server raises itself (a malformed request line, headers too
    long) answers JSON too.
    """
    local = _local_routes(cloud)
    site = LocalStorefront(cloud)

    def handle(self: BaseHTTPRequestHandler) -> None:
        parsed = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            _send(self, ApiResponse(400, json.dumps({"message": "Content-Length is not a number"})))
            return
        raw = self.rfile.read(length) if length > 0 else b""
        route = local.get((self.command, parsed.path))
        page = site.answer(self.command, parsed.path, dict(self.headers.items()), raw)
        if page is not None:
            response = page
        elif route is not None:
            response = _local_answer(route, query, raw)
        elif parsed.path.startswith("/_local/"):
            response = MISSING_TOKEN
        else:
            headers = dict(self.headers.items())
            response = cloud.api.request(self.command, parsed.path, raw or None, headers, query)
        _send(self, response)

    def dispatch_any_method(self: BaseHTTPRequestHandler, name: str) -> Any:
        if name.startswith("do_"):
            return lambda: handle(self)
        raise AttributeError(name)

    def send_error(
        self: BaseHTTPRequestHandler, code: int, message: str | None = None, explain: str | None = None
    ) -> None:
        self.close_connection = True
        _send(self, ApiResponse(code, json.dumps({"message": message or explain or "Bad request"})))

    # http.server dispatches on do_<METHOD>; the trace already records every request, so no access log.
    members: dict[str, Any] = {"__getattr__": dispatch_any_method, "send_error": send_error}
    members |= {"server_version": "eventshop-localcloud", "log_message": _no_access_log}
    handler = type("LocalCloudHandler", (BaseHTTPRequestHandler,), members)
    server = ThreadingHTTPServer((host, port), handler)
    publish_endpoints(cloud, server)
    return server


def _local_answer(route: Callable[[LocalRequest], Any], query: dict[str, str], raw: bytes) -> ApiResponse:
    try:
        body = json.loads(raw.decode("utf-8")) if raw else None
        return ApiResponse(200, json.dumps(route(LocalRequest(query, body)), default=str))
    except UnicodeDecodeError:
        return ApiResponse(400, json.dumps({"message": "Request body is not valid UTF-8"}))
    except (ValueError, TypeError, AttributeError) as error:
        return ApiResponse(400, json.dumps({"message": str(error)}))


def _send(handler: BaseHTTPRequestHandler, response: ApiResponse) -> None:
    """Write ``response``; a HEAD request gets the headers only. An HTTP/0.9 or unparsable request line
    still gets a status line and headers (http.server would send a bare body)."""
    if handler.request_version == "HTTP/0.9":
        handler.request_version = "HTTP/1.0"
    payload = response.body.encode()
    handler.send_response(response.status)
    for key, value in response.headers.items():
        if key.lower() != "content-length":
            handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(payload)


def _no_access_log(*_: Any) -> None:
    return None


def serve_in_background(cloud: LocalCloud, port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    server = make_server(cloud, port=port)
    serve = functools.partial(server.serve_forever, poll_interval=SHUTDOWN_POLL_SECONDS)
    threading.Thread(target=serve, name="localcloud-http", daemon=True).start()
    host, bound = server.server_address[:2]
    return server, f"http://{host!s}:{bound}"
