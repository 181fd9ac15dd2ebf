"""The order model of the Orders API: pricing lines from the catalog, the stored item, the public view.

Pure functions over plain dicts, so the API module only wires HTTP and AWS calls around them.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from handlers.shared.events import NAMESPACE, event_id
from handlers.shared.wire import money

PLACED = "PLACED"
ORDER_PLACED = "OrderPlaced"
#: How long an unused payment token is kept: the DLQ retention (14 days), so a redriven OrderPlaced can
#: still be charged. Billing deletes the intent as soon as the payment is recorded.
PAYMENT_INTENT_TTL_SECONDS = 14 * 24 * 60 * 60


class PricingError(ValueError):
    """The requested lines cannot be priced; ``errors`` are field-level, as in a 400 body."""

    def __init__(self, message: str, errors: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors


@dataclass(frozen=True)
class PricedOrder:
    """Lines priced from the catalog (never from the client) and their total."""

    items: list[dict[str, Any]]
    total: Decimal
    currency: str


def order_id_for(customer_id: str, idempotency_key: str | None) -> str:
    """A fresh order id, or the same one for every retry of one customer's ``Idempotency-Key``.

    The name hashed is the JSON pair ``[customerId, key]``, so ``("ab", "c")`` and ``("a", "bc")`` differ.
    """
    if idempotency_key is None:
        return str(uuid.uuid4())
    return str(uuid.uuid5(NAMESPACE, json.dumps([customer_id, idempotency_key])))


def request_fingerprint(body: Mapping[str, Any]) -> str:
    """A stable hash of a request body, to refuse an ``Idempotency-Key`` reused for another request."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def merge_lines(lines: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Quantities per sku, in first-seen order (a sku listed twice becomes one line)."""
    merged: dict[str, int] = {}
    for line in lines:
        merged[str(line["sku"])] = merged.get(str(line["sku"]), 0) + int(line["quantity"])
    return merged


def price_lines(requested: Sequence[Mapping[str, Any]], catalog: Mapping[str, Mapping[str, Any]]) -> PricedOrder:
    """Price ``requested`` lines (``{sku, quantity}``) with the catalog rows found for their skus.

    Raises ``PricingError`` naming every unknown sku, or when the lines mix currencies.
    """
    unknown = [
        {"field": f"items[{index}].sku", "message": f"unknown sku {line['sku']!r}"}
        for index, line in enumerate(requested)
        if line["sku"] not in catalog
    ]
    if unknown:
        skus = ", ".join(sorted({str(line["sku"]) for line in requested if line["sku"] not in catalog}))
        raise PricingError(f"Unknown SKU: {skus}", unknown)
    items: list[dict[str, Any]] = [
        {
            "sku": sku,
            "name": str(catalog[sku]["name"]),
            "quantity": quantity,
            "unitPrice": money(catalog[sku]["price"]),
        }
        for sku, quantity in merge_lines(requested).items()
    ]
    currencies = sorted({str(catalog[item["sku"]]["currency"]) for item in items})
    if len(currencies) != 1:
        message = f"Items are priced in different currencies ({', '.join(currencies)}); order them separately"
        raise PricingError(message, [{"field": "items", "message": message}])
    total = money(sum((item["unitPrice"] * item["quantity"] for item in items), Decimal(0)))
    return PricedOrder(items=items, total=total, currency=currencies[0])


def new_order_item(
    *,
    order_id: str,
    body: Mapping[str, Any],
    priced: PricedOrder,
    correlation_id: str,
    now: str,
    fingerprint: str,
) -> dict[str, Any]:
    """The orders-table item of a freshly placed, not yet published order."""
    item: dict[str, Any] = {
        "orderId": order_id,
        "customerId": body["customerId"],
        "email": body["email"],
        "items": priced.items,
        "total": priced.total,
        "currency": priced.currency,
        "status": PLACED,
        "history": [{"status": PLACED, "at": now, "event": ORDER_PLACED}],
        "createdAt": now,
        "published": False,
        "correlationId": correlation_id,
        "requestFingerprint": fingerprint,
        # The projector skips events already applied; the API applied OrderPlaced itself.
        "appliedEventIds": {event_id(order_id, ORDER_PLACED)},
    }
    if body.get("cartId"):
        item["cartId"] = body["cartId"]
    return item


def stored_items(order: Mapping[str, Any]) -> list[dict[str, Any]]:
    """An order's lines as read from DynamoDB (numbers arrive as ``Decimal``)."""
    return [
        {
            "sku": str(line["sku"]),
            "name": str(line["name"]),
            "quantity": int(line["quantity"]),
            "unitPrice": money(line["unitPrice"]),
        }
        for line in order["items"]
    ]


def payment_intent_item(order_id: str, payment_token: str, now_epoch: int) -> dict[str, Any]:
    """The payment-intents row: the token Billing alone reads by order id, gone after the TTL."""
    return {"orderId": order_id, "paymentToken": payment_token, "expiresAt": now_epoch + PAYMENT_INTENT_TTL_SECONDS}


def order_placed_detail(order: Mapping[str, Any]) -> dict[str, Any]:
    """The OrderPlaced detail fields (besides the common ones) of a stored order. No payment token: the
    event reaches five consumers, the archive and the DLQs; Billing reads the token from the intents table."""
    fields: dict[str, Any] = {
        "items": stored_items(order),
        "total": money(order["total"]),
        "currency": str(order["currency"]),
    }
    if order.get("cartId"):
        fields["cartId"] = str(order["cartId"])
    return fields


def public_view(order: Mapping[str, Any]) -> dict[str, Any]:
    """What ``GET /orders/{orderId}`` answers."""
    return {
        "orderId": str(order["orderId"]),
        "status": str(order["status"]),
        "total": money(order["total"]),
        "currency": str(order["currency"]),
        "items": stored_items(order),
        "history": [
            {"status": str(entry["status"]), "at": str(entry["at"]), "event": str(entry["event"])}
            for entry in order.get("history", [])
        ],
    }
