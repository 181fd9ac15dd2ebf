"""The WebSocket part of docs/asyncapi.yaml: the live order status each customer's connections receive.

Read from the program run (the WebSocket API and its stage) and from the message's one schema,
``handlers/live/contracts/order_status.json`` (the notifier's handler tests validate every push against it).
"""

from __future__ import annotations

import json
from typing import Any

from devtools.program import ROOT, ProgramRun

MESSAGE_SCHEMA = ROOT / "handlers" / "live" / "contracts" / "order_status.json"
SERVER = "live"
CHANNEL = "orderStatus"


def message_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(MESSAGE_SCHEMA.read_text(encoding="utf-8"))
    return schema


def live_parts(run: ProgramRun, region: str) -> dict[str, dict[str, Any]]:
    """``servers``, ``channels``, ``operations``, ``messages`` and ``securitySchemes`` for the WebSocket API
    (all empty when the program has none)."""
    apis = [a for a in run.of_type("aws:apigatewayv2/api:Api") if a.inputs.get("protocolType") == "WEBSOCKET"]
    parts: dict[str, dict[str, Any]] = {
        "servers": {},
        "channels": {},
        "operations": {},
        "messages": {},
        "securitySchemes": {},
    }
    if not apis:
        return parts
    api = apis[0]
    [stage] = [s for s in run.of_type("aws:apigatewayv2/stage:Stage") if s.inputs.get("apiId") == api.id]
    schema = message_schema()
    parts["securitySchemes"]["idToken"] = {
        "type": "httpApiKey",
        "name": "token",
        "in": "query",
        "description": "The customer's Cognito ID token (browsers cannot set headers on a WebSocket); "
        "a missing or invalid token is refused with 401 at the upgrade.",
    }
    parts["servers"][SERVER] = {
        "host": f"{api.id}.execute-api.{region}.amazonaws.com",
        "pathname": f"/{stage.outputs['name']}",
        "protocol": "wss",
        "title": "Live order status (API Gateway WebSocket API)",
        "description": "Clients connect with `?token=<ID token>` and send nothing; the API pushes to them.",
        "security": [{"$ref": "#/components/securitySchemes/idToken"}],
    }
    parts["messages"][CHANNEL] = {
        "name": CHANNEL,
        "title": "Order status",
        "summary": "A status change of one of the customer's orders",
        "contentType": "application/json",
        "payload": {key: value for key, value in schema.items() if key != "examples"},
        "examples": [
            {"name": f"{CHANNEL}-sample", "summary": MESSAGE_SCHEMA.name, "payload": sample}
            for sample in schema.get("examples", [])
        ],
    }
    parts["channels"][CHANNEL] = {
        "address": "/",
        "title": "Live order status",
        "description": "One text message per status change of an order, to every open connection of its owner only.",
        "servers": [{"$ref": f"#/servers/{SERVER}"}],
        "messages": {CHANNEL: {"$ref": f"#/components/messages/{CHANNEL}"}},
        "bindings": {
            "ws": {
                "query": {
                    "type": "object",
                    "required": ["token"],
                    "properties": {"token": {"type": "string", "description": "The customer's Cognito ID token"}},
                },
                "bindingVersion": "0.1.0",
            }
        },
    }
    parts["operations"]["live.sendOrderStatus"] = {
        "action": "send",
        "title": "The status notifier pushes each status change to its owner's connections",
        "channel": {"$ref": f"#/channels/{CHANNEL}"},
        "messages": [{"$ref": f"#/channels/{CHANNEL}/messages/{CHANNEL}"}],
    }
    return parts
