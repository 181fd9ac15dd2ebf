"""Writes the public API's OpenAPI 3.1 document (docs/openapi.json) from services/api_routes.py.

The routes, request models, parameter rules and answers are the data the REST API is built from
(services/public_api.py hands them to components/rest_api.py), so the document cannot describe an API other
than the one deployed. The request bodies are the draft-04 contracts API Gateway validates with, as JSON Schema
2020-12 (OpenAPI 3.1's dialect, which reads them the same: they use no draft-04-only keyword).

python -m devtools.openapi            print the document
python -m devtools.openapi --write    refresh docs/openapi.json
python -m devtools.openapi --check    exit 1 if docs/openapi.json is stale
"""

from __future__ import annotations

import json
import sys
from typing import Any

from devtools.generated import document_command
from devtools.program import ROOT
from services.api_routes import JSON, MODELS, ROUTES, Answer, Parameter, Route, load_contract
from services.public_api import STAGE

DOCUMENT = ROOT / "docs" / "openapi.json"
_DRAFT_04_ONLY = frozenset({"id", "exclusiveMinimum", "exclusiveMaximum", "dependencies", "definitions"})

_MONEY = {"type": "number", "minimum": 0, "description": "In the currency's major unit, two decimals."}
_STATUS = {"type": "string", "enum": ["PLACED", "PAID", "RESERVED", "SHIPPED", "PAYMENT_FAILED", "CANCELLED"]}
_STRING = {"type": "string"}
_POSITIVE = {"type": "integer", "minimum": 1}
#: What every view of an order starts with.
_ORDER_SUMMARY = {"orderId": _STRING, "status": _STATUS, "total": _MONEY, "currency": _STRING}


def _closed_object(
    properties: dict[str, Any], required: list[str] | None = None, description: str | None = None
) -> dict[str, Any]:
    """An object with exactly these properties (no others), all of them required unless ``required`` says."""
    return {
        "type": "object",
        **({"description": description} if description else {}),
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
        "properties": properties,
    }


def _array_of(items: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    return {"type": "array", **({"description": description} if description else {}), "items": items}


#: The bodies the routes answer with (the request bodies are the contracts).
RESPONSE_SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": _closed_object(
        {
            "message": _STRING,
            "errors": _array_of({"anyOf": [_STRING, _closed_object({"field": _STRING, "message": _STRING})]}),
        },
        required=["message"],
        description="Every error. errors names each problem: API Gateway lists strings, the API function "
        "lists {field, message}.",
    ),
    "Message": _closed_object({"message": {"type": "string", "const": "message received"}}),
    "Products": _array_of(
        _closed_object(
            {"sku": _STRING, "name": _STRING, "price": _MONEY, "currency": _STRING, "inStock": {"type": "boolean"}}
        )
    ),
    "OrderAccepted": _closed_object({"orderId": _STRING, "status": {"type": "string", "const": "PLACED"}}),
    "Order": _closed_object(
        {
            **_ORDER_SUMMARY,
            "items": _array_of(
                _closed_object({"sku": _STRING, "name": _STRING, "quantity": _POSITIVE, "unitPrice": _MONEY})
            ),
            "history": _array_of(_closed_object({"status": _STATUS, "at": _STRING, "event": _STRING})),
        }
    ),
    "OrderPage": _closed_object(
        {
            "orders": _array_of(
                _closed_object(
                    {**_ORDER_SUMMARY, "createdAt": _STRING, "itemCount": _POSITIVE},
                    required=[*_ORDER_SUMMARY, "createdAt"],
                ),
                description="The caller's orders, newest first.",
            ),
            "nextCursor": {"type": ["string", "null"], "description": "Pass as cursor for the next page."},
        }
    ),
}

#: API Gateway's Cognito user pool authorizer: the ID token in Authorization, raw or after ``Bearer ``.
SECURITY_SCHEMES = {
    "clientKey": {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
        "description": "The API key of a registered client application (the storefront's: stack output "
        "`storefront_api_key`). It identifies the client for its usage plan's limits; it is not a secret and "
        'grants nothing by itself. Missing or unknown: `403 {"message": "Forbidden"}`.',
    },
    "customerIdToken": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "A Cognito ID token of the stack's user pool (`user_pool_id`, app client "
        "`user_pool_client_id`), raw or as `Bearer <token>`. customerId and email are its `sub` and `email` "
        "claims. Missing, expired, from another pool or client, or not an RS256-signed ID token: "
        '`401 {"message": "Unauthorized"}`.',
    },
}

DESCRIPTION = """The eventshop public API, generated from the routes and request models API Gateway is built from.

The edge answers as API Gateway does: a method or path the API does not define answers
`403 {"message": "Missing Authentication Token"}`; a body that is not UTF-8 or breaks its model answers 400 naming
each problem before anything reaches the bus; `cartId` and `X-Correlation-Id` are checked against their rules at
the edge too. API Gateway validates bodies with JSON Schema draft-04, where an integer is written without a fraction
(`2`, not `2.0`). Payment test tokens: `tok_visa` approves, `tok_decline` declines.

Every route needs a registered client application's API key (`clientKey`, per-client limits of the usage plan);
every route but `GET /products` needs the customer's ID token too (`customerIdToken`); the customer and their
email address come from its claims, and a body naming `customerId` or `email` is a 400."""


def as_2020_12(schema: dict[str, Any], where: str) -> dict[str, Any]:
    """A draft-04 contract as JSON Schema 2020-12: ``$schema`` goes; a draft-04-only keyword is refused."""
    found = _DRAFT_04_ONLY & set(_keys(schema))
    if found:
        raise ValueError(f"{where} uses draft-04-only keywords {sorted(found)}: convert them for OpenAPI 3.1")
    return {key: value for key, value in schema.items() if key != "$schema"}


def _keys(schema: Any) -> list[str]:
    if isinstance(schema, dict):
        nested = [key for value in schema.get("properties", {}).values() for key in _keys(value)]
        nested += _keys(schema.get("items"))
        return [*schema, *nested]
    return []


def _parameter(parameter: Parameter) -> dict[str, Any]:
    schema = {key: value for key, value in parameter.schema.items() if key not in ("$schema", "title", "description")}
    return {
        "name": parameter.name,
        "in": parameter.location,
        "required": parameter.location == "path",
        "description": parameter.description,
        "schema": schema,
    }


def _response(answer: Answer) -> dict[str, Any]:
    return {
        "description": answer.description,
        "content": {JSON: {"schema": {"$ref": f"#/components/schemas/{answer.schema}"}}},
    }


def _operation(route: Route) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.slug,
        "summary": route.summary,
        "x-eventshop-integration": route.integration,
    }
    # Both schemes in one requirement object: both are needed together.
    operation["security"] = [{"clientKey": []} if route.public else {"clientKey": [], "customerIdToken": []}]
    if route.parameters:
        operation["parameters"] = [_parameter(parameter) for parameter in route.parameters]
    if route.model:
        name = load_contract(route.model)["title"]
        operation["requestBody"] = {
            "required": True,
            "content": {JSON: {"schema": {"$ref": f"#/components/schemas/{name}"}}},
        }
    operation["responses"] = {str(answer.status): _response(answer) for answer in route.answers}
    return operation


def build() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    schemas = {load_contract(model)["title"]: as_2020_12(load_contract(model), model) for model in MODELS}
    return {
        "openapi": "3.1.0",
        "info": {"title": "eventshop", "version": STAGE, "description": DESCRIPTION},
        "servers": [
            {
                "url": "https://{restApiId}.execute-api.{region}.amazonaws.com/" + STAGE,
                "description": "A deployed stack (the stack output api_url).",
                "variables": {"restApiId": {"default": "restApiId"}, "region": {"default": "eu-west-1"}},
            },
            {"url": "http://127.0.0.1:8080", "description": "The local cloud (make serve)."},
        ],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted({**schemas, **RESPONSE_SCHEMAS}.items())),
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


def render() -> str:
    return json.dumps(build(), indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    return document_command(
        argv,
        description=__doc__,
        document=DOCUMENT,
        module="devtools.openapi",
        render=lambda _: render(),
        source=lambda _: "services/api_routes.py",
        per_stack=False,
    )


if __name__ == "__main__":
    sys.exit(main())
