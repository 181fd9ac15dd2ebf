"""The public API as data: routes, request contracts, parameter rules and every answer a route gives.

One source for API Gateway (``services/public_api.py`` turns it into ``components.rest_api`` routes), the local cloud
(which runs what API Gateway was given) and the OpenAPI document (``devtools/openapi.py``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

#: Shared with the handlers (they validate the same bodies); read at import, so found from this file.
CONTRACTS = Path(__file__).resolve().parent.parent / "handlers" / "shared" / "contracts" / "api"
JSON = "application/json"
CORRELATION_HEADER = "X-Correlation-Id"
IDEMPOTENCY_HEADER = "Idempotency-Key"
#: handlers/orders/api.py's MAX_IDEMPOTENCY_KEY_LENGTH.
MAX_IDEMPOTENCY_KEY_LENGTH = 255
#: handlers/orders/history.py's page sizes (GET /orders?limit=).
MIN_PAGE, DEFAULT_PAGE, MAX_PAGE = 1, 20, 50
_WHOLE_CHARACTER_CLASS = re.compile(r"^\^(\[[^\]']+\])\+\$$")


def load_contract(name: str) -> dict[str, Any]:
    """A JSON Schema (draft-04, as API Gateway models require) from the shared API contracts."""
    path = CONTRACTS / f"{name}.json"
    try:
        schema: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError as error:
        raise FileNotFoundError(f"request contract {path} is missing") from error
    return schema


@dataclass(frozen=True)
class Parameter:
    """A path parameter or request header, with the JSON Schema its value must satisfy."""

    name: str
    location: Literal["path", "header", "query"]
    description: str
    schema: dict[str, Any]

    @property
    def rule(self) -> str:
        """What a valid value looks like, in words (for error messages)."""
        schema = self.schema
        if "pattern" not in schema:
            return f"must be 1 to {schema.get('maxLength', 'any number of')} characters"
        charset = whole_string_regex(schema).split("{")[0][1:-1]
        if charset.startswith("A-Za-z0-9"):
            charset = "letters, digits and " + " ".join(charset.removeprefix("A-Za-z0-9"))
        return f"must be {schema['minLength']} to {schema['maxLength']} characters: {charset}"


def whole_string_regex(schema: dict[str, Any]) -> str:
    """The schema's ``^[class]+$`` pattern and its lengths as one whole-string regex, ``[class]{min,max}``.

    Java's ``String.matches`` (in a mapping template) matches the whole string, so the anchors go and the
    lengths join the pattern; a single-quoted Velocity string cannot hold ``'``, so the class must not.
    """
    match = _WHOLE_CHARACTER_CLASS.match(str(schema.get("pattern", "")))
    if match is None:
        raise ValueError(f"a checked parameter's pattern must be ^[characters]+$, not {schema.get('pattern')!r}")
    return f"{match.group(1)}{{{schema['minLength']},{schema['maxLength']}}}"


def _property(contract: str, name: str) -> dict[str, Any]:
    schema: dict[str, Any] = load_contract(contract)["properties"][name]
    return schema


def _standalone(contract: str) -> dict[str, Any]:
    return {key: value for key, value in load_contract(contract).items() if key not in ("$schema", "title")}


PARAMETERS = {
    "cartId": Parameter("cartId", "path", "The cart, as an order's body names it.", _property("place_order", "cartId")),
    "orderId": Parameter("orderId", "path", "The order id POST /orders answered.", {"type": "string", "minLength": 1}),
    CORRELATION_HEADER: Parameter(
        CORRELATION_HEADER,
        "header",
        "Carried into every event of the request (metadata.correlationId); the request id when absent.",
        _standalone("parameters/correlation_id"),
    ),
    IDEMPOTENCY_HEADER: Parameter(
        IDEMPOTENCY_HEADER,
        "header",
        "Makes retries safe: the same key and body answer the same order (IETF httpapi Idempotency-Key).",
        {"type": "string", "minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY_LENGTH},
    ),
    "limit": Parameter(
        "limit",
        "query",
        f"How many orders a page holds, {MIN_PAGE} to {MAX_PAGE} (default {DEFAULT_PAGE}).",
        {"type": "integer", "minimum": MIN_PAGE, "maximum": MAX_PAGE, "default": DEFAULT_PAGE},
    ),
    "cursor": Parameter(
        "cursor",
        "query",
        "The previous page's nextCursor, as it was given (opaque; only valid for the customer it was given to).",
        {"type": "string", "minLength": 1, "maxLength": 1024},
    ),
}


@dataclass(frozen=True)
class Answer:
    """One status a route answers, what it means, and the name of its body's schema."""

    status: int
    description: str
    schema: str = "Error"


FUNCTION_FAILED = Answer(502, "The API function failed (API Gateway's answer to a failed Lambda proxy call).")
THROTTLED = Answer(429, "Too many requests for the stage's throttling settings.")
UNAUTHORIZED = Answer(401, "No Authorization header, or not a valid, unexpired ID token of the stack's user pool.")
NO_CLIENT_KEY = Answer(403, "No x-api-key of a registered client application (the usage plan's keys).")
BAD_BODY = Answer(400, "The body is not valid JSON, not UTF-8, or breaks the request model; errors names each field.")


@dataclass(frozen=True)
class Route:
    """A method on a path. ``integration`` is ``lambda`` (proxy to the API function) or ``events``
    (API Gateway puts the request on the bus itself, no Lambda). Every route needs a customer's ID token
    unless it is ``public``."""

    method: str
    path: str
    summary: str
    answers: tuple[Answer, ...]
    model: str | None = None
    headers: tuple[str, ...] = ()
    integration: Literal["lambda", "events"] = "lambda"
    query: tuple[str, ...] = ()
    public: bool = False

    @property
    def path_parameters(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)

    @property
    def parameters(self) -> list[Parameter]:
        return [PARAMETERS[name] for name in (*self.path_parameters, *self.query, *self.headers)]

    @property
    def request_parameters(self) -> dict[str, bool]:
        """API Gateway's declaration: path parameters required; query strings and headers optional (the
        validator checks presence only: their rules are checked by the function or the mapping template)."""
        declared = {f"method.request.path.{name}": True for name in self.path_parameters}
        declared |= {f"method.request.querystring.{name}": False for name in self.query}
        declared |= {f"method.request.header.{name}": False for name in self.headers}
        return declared

    @property
    def slug(self) -> str:
        return f"{self.method.lower()}-" + self.path.strip("/").replace("/", "-").replace("{", "").replace("}", "")


PROXY_ROUTES = (
    Route(
        "GET",
        "/products",
        "The catalog, with whether each product is in stock.",
        (Answer(200, "The catalog, sorted by sku.", "Products"), NO_CLIENT_KEY, THROTTLED, FUNCTION_FAILED),
        public=True,
    ),
    Route(
        "POST",
        "/orders",
        "Place an order; prices come from the catalog, never from the client.",
        (
            Answer(202, "Accepted: the order is saved and its OrderPlaced published.", "OrderAccepted"),
            Answer(
                400,
                "The body breaks the request model (customerId and email come from the token: naming "
                "them is an error), names an unknown SKU, or a header is invalid.",
            ),
            UNAUTHORIZED,
            NO_CLIENT_KEY,
            Answer(409, "A request with this Idempotency-Key is still in flight; retry later."),
            Answer(422, "This Idempotency-Key was already used with a different body."),
            THROTTLED,
            FUNCTION_FAILED,
            Answer(503, "The order was saved but not yet confirmed; retry with the same Idempotency-Key."),
        ),
        model="place_order",
        headers=(IDEMPOTENCY_HEADER,),
    ),
    Route(
        "GET",
        "/orders",
        "The caller's orders, newest first, a page at a time.",
        (
            Answer(200, "A page of the caller's orders; nextCursor is null on the last page.", "OrderPage"),
            Answer(400, "limit is not a whole number from 1 to 50, or cursor is not one this API gave the caller."),
            UNAUTHORIZED,
            NO_CLIENT_KEY,
            THROTTLED,
            FUNCTION_FAILED,
        ),
        query=("limit", "cursor"),
    ),
    Route(
        "GET",
        "/orders/{orderId}",
        "One of the caller's orders: its status and history.",
        (
            Answer(200, "The order.", "Order"),
            UNAUTHORIZED,
            NO_CLIENT_KEY,
            Answer(404, "The caller has no order with this id (another customer's order answers the same)."),
            THROTTLED,
            FUNCTION_FAILED,
        ),
    ),
)

CART_ROUTE = Route(
    "POST",
    "/carts/{cartId}/items",
    "Add an item to a cart: API Gateway puts ItemAddedToCart on the bus (no Lambda).",
    (
        Answer(202, "The item is on the bus.", "Message"),
        Answer(400, "The body breaks the request model, or cartId or X-Correlation-Id breaks its rule."),
        UNAUTHORIZED,
        NO_CLIENT_KEY,
        THROTTLED,
        Answer(500, "EventBridge refused a well-formed request (a fault of the deployment, not the caller)."),
        Answer(503, "EventBridge failed or throttled; nothing was recorded, so retry."),
    ),
    model="add_cart_item",
    headers=(CORRELATION_HEADER,),
    integration="events",
)

ROUTES = (*PROXY_ROUTES, CART_ROUTE)
MODELS = tuple(sorted({route.model for route in ROUTES if route.model}))
