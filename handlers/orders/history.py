"""``GET /orders``: the caller's orders, newest first, a page at a time, from the orders table's
``byCustomer`` index (``customerId``, ``createdAt``).

The cursor is opaque to clients: base64url of the last order of the page (``createdAt``, ``orderId``). It
needs no secret to be safe, because the query's key condition is always the caller's own ``sub``, and a
cursor is accepted only when it names one of the caller's orders with exactly that ``createdAt`` (one
``GetItem``): a cursor edited, or given to another customer, is a 400 naming ``cursor``, and no cursor can
reach another customer's rows.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from typing import Any

from handlers.shared.wire import money

MIN_PAGE, DEFAULT_PAGE, MAX_PAGE = 1, 20, 50
MAX_CURSOR_LENGTH = 1024


class PageRequestError(ValueError):
    """``limit`` or ``cursor`` is invalid; ``field`` names which."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def page_size(raw: str | None) -> int:
    """``limit`` as given in the query string, or the default page size."""
    if raw is None:
        return DEFAULT_PAGE
    if not raw.isascii() or not raw.isdigit() or not MIN_PAGE <= int(raw) <= MAX_PAGE:
        raise PageRequestError("limit", f"must be a whole number from {MIN_PAGE} to {MAX_PAGE}")
    return int(raw)


def encode_cursor(order: Mapping[str, Any]) -> str:
    position = json.dumps({"createdAt": str(order["createdAt"]), "orderId": str(order["orderId"])})
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


def decode_cursor(raw: str) -> dict[str, str]:
    """The position a cursor names (not yet checked against the caller's orders)."""
    bad = PageRequestError("cursor", "is not a cursor this API gave you; start again without it")
    if not raw or len(raw) > MAX_CURSOR_LENGTH or not raw.isascii():
        raise bad
    try:
        position = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise bad from error
    if not isinstance(position, dict) or set(position) != {"createdAt", "orderId"}:
        raise bad
    if not all(isinstance(value, str) and value for value in position.values()):
        raise bad
    return {"createdAt": position["createdAt"], "orderId": position["orderId"]}


def start_key(customer_id: str, position: Mapping[str, str], stored: Mapping[str, Any] | None) -> dict[str, str]:
    """The index's ``ExclusiveStartKey`` for a cursor's position, once the stored order proves it is the
    caller's (``stored``: the order the position names, or ``None`` when there is none)."""
    if stored is None or stored.get("customerId") != customer_id or stored.get("createdAt") != position["createdAt"]:
        raise PageRequestError("cursor", "is not a cursor this API gave you; start again without it")
    return {"customerId": customer_id, "createdAt": position["createdAt"], "orderId": position["orderId"]}


def summary(order: Mapping[str, Any]) -> dict[str, Any]:
    """One order of a page."""
    return {
        "orderId": str(order["orderId"]),
        "status": str(order["status"]),
        "total": money(order["total"]),
        "currency": str(order["currency"]),
        "createdAt": str(order["createdAt"]),
        "itemCount": sum(int(line["quantity"]) for line in order.get("items", [])),
    }


def page(rows: Sequence[Mapping[str, Any]], limit: int) -> dict[str, Any]:
    """The answer for up to ``limit + 1`` rows read newest first: one more than a page means another page."""
    shown = rows[:limit]
    more = len(rows) > limit
    return {"orders": [summary(row) for row in shown], "nextCursor": encode_cursor(shown[-1]) if more else None}
