"""Customer messages: one renderer per detail-type, chosen from a dict."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from handlers.shared.wire import money

#: SNS accepts subjects of at most 100 characters.
MAX_SUBJECT_LENGTH = 100


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


def _amount(detail: Mapping[str, Any], field: str) -> str:
    return f"{money(detail[field])} {detail['currency']}"


def _lines(detail: Mapping[str, Any]) -> str:
    return "\n".join(f"  - {line.get('name', line['sku'])} x {line['quantity']}" for line in detail.get("items", []))


def order_placed(detail: Mapping[str, Any]) -> Message:
    return Message(
        subject=f"We received your order {detail['orderId']}",
        body=f"Thank you for your order {detail['orderId']}.\n\n{_lines(detail)}\n\n"
        f"Total: {_amount(detail, 'total')}\nWe will let you know when it ships.",
    )


def payment_succeeded(detail: Mapping[str, Any]) -> Message:
    return Message(
        subject=f"Payment received for order {detail['orderId']}",
        body=f"We charged {_amount(detail, 'amount')} for order {detail['orderId']} (payment {detail['paymentId']}).",
    )


def payment_failed(detail: Mapping[str, Any]) -> Message:
    reason = str(detail.get("reason", "unknown")).replace("_", " ")
    return Message(
        subject=f"Payment failed for order {detail['orderId']}",
        body=f"We could not charge {_amount(detail, 'amount')} for order {detail['orderId']}: {reason}.\n"
        "Nothing was charged; please place the order again with another card.",
    )


def payment_refunded(detail: Mapping[str, Any]) -> Message:
    return Message(
        subject=f"Refund issued for order {detail['orderId']}",
        body=f"We refunded {_amount(detail, 'amount')} for order {detail['orderId']} (payment {detail['paymentId']}).\n"
        "It may take a few days to appear on your statement.",
    )


def stock_reserved(detail: Mapping[str, Any]) -> Message:
    return Message(
        subject=f"Your order {detail['orderId']} is being prepared",
        body=f"Every item of order {detail['orderId']} is reserved for you.",
    )


def out_of_stock(detail: Mapping[str, Any]) -> Message:
    skus = ", ".join(str(sku) for sku in detail.get("unavailable", []))
    return Message(
        subject=f"Order {detail['orderId']} cancelled: out of stock",
        body=f"Sorry, we cannot ship order {detail['orderId']}: out of stock ({skus}).\n"
        "Any payment taken for it will be refunded.",
    )


def order_shipped(detail: Mapping[str, Any]) -> Message:
    return Message(
        subject=f"Your order {detail['orderId']} has shipped",
        body=f"Order {detail['orderId']} is on its way ({detail.get('shippingSpeed', 'standard')} shipping).\n"
        f"Tracking number: {detail.get('trackingId', 'not available yet')}",
    )


def fulfillment_failed(detail: Mapping[str, Any]) -> Message:
    return Message(
        subject=f"Order {detail['orderId']} cancelled: we could not ship it in time",
        body=f"Sorry, we could not prepare order {detail['orderId']} in time, so we cancelled it.\n"
        "Your payment is being refunded in full; it may take a few days to appear on your statement.",
    )


def invoice_ready(document: Mapping[str, Any]) -> Message:
    """From the invoice document itself (not an event detail)."""
    return Message(
        subject=f"Your invoice for order {document['orderId']} is ready",
        body=f"Your invoice {document.get('invoiceNumber', '')} for order {document['orderId']} "
        f"({money(document['amount'])} {document['currency']}) is ready.",
    )


RENDERERS: Mapping[str, Callable[[Mapping[str, Any]], Message]] = {
    "OrderPlaced": order_placed,
    "PaymentSucceeded": payment_succeeded,
    "PaymentFailed": payment_failed,
    "PaymentRefunded": payment_refunded,
    "StockReserved": stock_reserved,
    "OutOfStock": out_of_stock,
    "OrderShipped": order_shipped,
    "FulfillmentFailed": fulfillment_failed,
}
#: Detail fields each renderer needs (besides orderId), checked before rendering.
REQUIRED_FIELDS: Mapping[str, tuple[str, ...]] = {
    "OrderPlaced": ("total", "currency"),
    "PaymentSucceeded": ("amount", "currency", "paymentId"),
    "PaymentFailed": ("amount", "currency"),
    "PaymentRefunded": ("amount", "currency", "paymentId"),
    "StockReserved": (),
    "OutOfStock": ("unavailable",),
    "OrderShipped": (),
    "FulfillmentFailed": (),
}


def cart_reminder(detail: Mapping[str, Any]) -> Message:
    return Message(
        subject="You left something in your cart",
        body=f"Your cart {detail['cartId']} is still waiting for you.\n"
        "Complete your order whenever you are ready; we keep the items listed until you do.",
    )


#: Cart events (keyed on cartId, not orderId), rendered by the queued reminder consumer.
CART_RENDERERS: Mapping[str, Callable[[Mapping[str, Any]], Message]] = {"CartReminderDue": cart_reminder}
