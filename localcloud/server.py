"""The local API over HTTP on 127.0.0.1, plus the local-only endpoints under ``/_local``.

POST /_local/clock/advance  {"seconds": N}   move the clock (retries, schedules) and say what is pending
GET  /_local/outbox                           customer notifications published (the outbox queue)
GET  /_local/dlq                              dead-lettered messages per queue
GET  /_local/trace?orderId=...                the trace of one order (or everything, without orderId)
POST /_local/faults {"seed": N, "faults": [...]}  replace the active fault set (400 naming each bad field)
GET  /_local/faults                           the active fault set;  DELETE /_local/faults clears it
GET  /_local/alarms                           the alarms' states and every state change
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from localcloud.api import ApiResponse
from localcloud.cloud import LocalCloud


@dataclass(frozen=True)
class LocalRequest:
    query: dict[str, str]
    body: Any


METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")


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

    def set_faults(request: LocalRequest) -> Any:
        cloud.set_faults(request.body)  # a FaultSetError (a ValueError) answers 400 naming each problem
        return cloud.faults.describe()

    def clear_faults(_: LocalRequest) -> Any:
        cloud.faults.clear()
        return cloud.faults.describe()

    return {
        ("POST", "/_local/faults"): set_faults,
        ("GET", "/_local/faults"): lambda _: cloud.faults.describe(),
        ("DELETE", "/_local/faults"): clear_faults,
        ("GET", "/_local/alarms"): lambda _: cloud.alarms.describe(),
        ("POST", "/_local/clock/advance"): advance,
        ("GET", "/_local/outbox"): outbox,
        ("GET", "/_local/dlq"): dlq,
        ("GET", "/_local/trace"): trace,
    }


def make_server(cloud: LocalCloud, host: str = "127.0.0.1", port: int = 8080) -> ThreadingHTTPServer:
    """A threading HTTP server answering the API contract and ``/_local``; ``port=0`` picks a free one."""
    local = _local_routes(cloud)

    def handle(self: BaseHTTPRequestHandler) -> None:
        parsed = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        route = local.get((self.command, parsed.path))
        if route is not None:
            try:
                body = json.loads(raw) if raw else None
                response = ApiResponse(200, json.dumps(route(LocalRequest(query, body)), default=str))
            except (ValueError, TypeError) as error:
                response = ApiResponse(400, json.dumps({"message": str(error)}))
        else:
            headers = dict(self.headers.items())
            response = cloud.api.request(self.command, parsed.path, raw or None, headers, query)
        payload = response.body.encode()
        self.send_response(response.status)
        for key, value in response.headers.items():
            if key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    # http.server dispatches on do_<METHOD>; the trace already records every request, so no access log.
    members: dict[str, Any] = {f"do_{method}": handle for method in METHODS}
    members |= {"server_version": "eventshop-localcloud", "log_message": _no_access_log}
    handler = type("LocalCloudHandler", (BaseHTTPRequestHandler,), members)
    return ThreadingHTTPServer((host, port), handler)


def _no_access_log(*_: Any) -> None:
    return None


def serve_in_background(cloud: LocalCloud, port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    server = make_server(cloud, port=port)
    threading.Thread(target=server.serve_forever, name="localcloud-http", daemon=True).start()
    host, bound = server.server_address[:2]
    return server, f"http://{host!s}:{bound}"
