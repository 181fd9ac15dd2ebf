"""The shop as a customer sees it through the local API, and what "settled" means for an order.

An order is *settled* once the order-status projector has applied both the billing outcome
(PaymentSucceeded or PaymentFailed) and the warehouse outcome (StockReserved or OutOfStock) to it, and,
when both succeeded, the fulfillment workflow has shipped it (OrderShipped): it then rests at SHIPPED,
PAYMENT_FAILED or CANCELLED.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from devtools.program import project_name

if TYPE_CHECKING:
    from localcloud.api import ApiResponse, LocalApi
    from localcloud.deployment import QueueInfo

BILLING_OUTCOMES = frozenset({"PaymentSucceeded", "PaymentFailed"})
WAREHOUSE_OUTCOMES = frozenset({"StockReserved", "OutOfStock"})
SUCCESSES = frozenset({"PaymentSucceeded", "StockReserved"})
FINAL_STATUSES = frozenset({"SHIPPED", "PAYMENT_FAILED", "CANCELLED"})
APPROVE = "tok_visa"
DECLINE = "tok_decline"


#: The queue the Email service publishes customer notifications to, by the end of its name (dev stacks only).
OUTBOX_QUEUE_SUFFIX = "-customer-notifications-outbox"


def function_name(names: Iterable[str], stack: str, name: str) -> str:
    """The deployed function called ``name``, given in full or as the part after ``<project>-<stack>-`` (how the
    program names its functions: ``billing`` is ``eventshop-dev-billing``)."""
    known = list(names)
    for candidate in known:
        if candidate in (name, f"{project_name()}-{stack}-{name}"):
            return candidate
    raise KeyError(f"no function {name!r}; have {sorted(known)}")


def outbox_queue(queues: Iterable[QueueInfo]) -> QueueInfo | None:
    """The customer notifications' outbox queue, if the stack has one."""
    return next((info for info in queues if info.name.endswith(OUTBOX_QUEUE_SUFFIX)), None)


class ApiError(AssertionError):
    """The API answered something other than what the caller expected."""


def history_events(order: Mapping[str, Any]) -> list[str]:
    return [str(entry.get("event")) for entry in order.get("history", [])]


def is_settled(order: Mapping[str, Any] | None) -> bool:
    """Both outcomes applied and, if both succeeded, shipped (see the module docstring)."""
    if not order:
        return False
    if order.get("status") in FINAL_STATUSES:
        # The projector never leaves a final status, whatever order the outcomes arrive in; a
        # compensation still running (a refund, a release) is waited for by the caller's wait_idle.
        return True
    events = set(history_events(order))
    if SUCCESSES.issubset(events):
        return False  # paid and reserved: the fulfillment workflow has yet to ship it
    return bool(events & BILLING_OUTCOMES) and bool(events & WAREHOUSE_OUTCOMES)


def outcome(order: Mapping[str, Any]) -> str:
    """The settled order's result: ``SHIPPED``, ``PAYMENT_FAILED`` or ``CANCELLED`` (``PAID+RESERVED``: not shipped)."""
    status = str(order.get("status"))
    return "PAID+RESERVED" if status in ("PAID", "RESERVED") else status


@dataclass
class Shopper:
    """Calls the local API the way a client of the public contract would."""

    api: LocalApi
    customer_id: str = "cust-local"
    email: str = "shopper@example.com"

    def place_order(
        self,
        items: Sequence[tuple[str, int]] = (("MUG-LOGO", 1),),
        token: str = APPROVE,
        *,
        customer_id: str | None = None,
        idempotency_key: str | None = None,
        cart_id: str | None = None,
    ) -> str:
        response = self.place_order_response(
            items, token, customer_id=customer_id, idempotency_key=idempotency_key, cart_id=cart_id
        )
        if response.status != 202:
            raise ApiError(f"POST /orders answered {response.status}: {response.body}")
        return str(response.json()["orderId"])

    def place_order_response(
        self,
        items: Sequence[tuple[str, int]] = (("MUG-LOGO", 1),),
        token: str = APPROVE,
        *,
        customer_id: str | None = None,
        idempotency_key: str | None = None,
        cart_id: str | None = None,
    ) -> ApiResponse:
        body: dict[str, Any] = {
            "customerId": customer_id or self.customer_id,
            "email": self.email,
            "items": [{"sku": sku, "quantity": quantity} for sku, quantity in items],
            "paymentToken": token,
        }
        if cart_id:
            body["cartId"] = cart_id
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self.api.request("POST", "/orders", body=body, headers=headers)

    def order(self, order_id: str) -> dict[str, Any] | None:
        response = self.api.request("GET", f"/orders/{order_id}")
        if response.status == 404:
            return None
        if response.status != 200:
            raise ApiError(f"GET /orders/{order_id} answered {response.status}: {response.body}")
        found: dict[str, Any] = response.json()
        return found

    def add_to_cart(self, cart_id: str, sku: str, quantity: int = 1) -> ApiResponse:
        body = {"customerId": self.customer_id, "email": self.email, "sku": sku, "quantity": quantity}
        return self.api.request("POST", f"/carts/{cart_id}/items", body=body)
