"""The shop as a customer sees it through the local API, and what "settled" means for an order.

An order is *settled* once the order-status projector has applied both the billing outcome
(PaymentSucceeded or PaymentFailed) and the warehouse outcome (StockReserved or OutOfStock) to it, and,
when both succeeded, the fulfillment workflow has shipped it (OrderShipped): it then rests at SHIPPED,
PAYMENT_FAILED or CANCELLED.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from devtools.program import project_name
from services.storefront_config import STOREFRONT_CLIENT

if TYPE_CHECKING:
    from localcloud.api import ApiResponse, LocalApi
    from localcloud.deployment import QueueInfo
    from localcloud.identity import LocalIdentity, SignedIn

BILLING_OUTCOMES = frozenset({"PaymentSucceeded", "PaymentFailed"})
WAREHOUSE_OUTCOMES = frozenset({"StockReserved", "OutOfStock"})
SUCCESSES = frozenset({"PaymentSucceeded", "StockReserved"})
FINAL_STATUSES = frozenset({"SHIPPED", "PAYMENT_FAILED", "CANCELLED"})
#: The registered client application shoppers call the API as (its API key goes in x-api-key).
CLIENT = STOREFRONT_CLIENT
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


#: Signing in again this long before a token expires on the cloud's clock, as a client refreshing early would.
REFRESH_MARGIN_SECONDS = 60


@dataclass
class _Account:
    password: str
    signed_in: SignedIn
    expires: float


class Customers:
    """The customers scripts and tests sign in as, one user of the cloud's pool per email address, kept for the
    cloud's life (so two shoppers naming one address are one customer) and signed in again once their ID
    token is about to expire on the cloud's clock."""

    def __init__(self, identity: LocalIdentity) -> None:
        self.identity = identity
        self._accounts: dict[str, _Account] = {}
        #: Who placed each order through a Shopper (the email), so any shopper can read it as its owner.
        self.owners: dict[str, str] = {}
        self._lock = threading.Lock()

    @classmethod
    def of(cls, identity: LocalIdentity) -> Customers:
        with _POOLS_LOCK:
            if identity not in _OF_POOL:
                _OF_POOL[identity] = cls(identity)
            return _OF_POOL[identity]

    def signed_in(self, email: str, now: float) -> SignedIn:
        with self._lock:
            account = self._accounts.get(email)
            if account is None:
                password = f"{secrets.token_urlsafe(18)}Aa1!"
                created = self.identity.create_user({"email": email, "password": password})
                account = self._accounts[email] = _Account(password, created, _expiry(created.id_token))
            elif account.expires - REFRESH_MARGIN_SECONDS <= now:
                account.signed_in = self.identity.sign_in(email, account.password)
                account.expires = _expiry(account.signed_in.id_token)
            return account.signed_in


_OF_POOL: weakref.WeakKeyDictionary[LocalIdentity, Customers] = weakref.WeakKeyDictionary()
_POOLS_LOCK = threading.Lock()


def _expiry(id_token: str) -> float:
    """The ``exp`` of a token this cloud just issued (read, not verified: the API verifies it)."""
    payload = id_token.split(".")[1]
    return float(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"])


@dataclass
class Shopper:
    """Calls the local API the way a client of the public contract would, signed in to the stack's user pool.

    ``customer_id`` names the customer this shopper is by default (their address is ``email``); another name
    passed to a call is another customer (``<name>@example.com``). The API knows each only by the ``sub`` of
    their ID token: ``customer(name).customer_id``.
    """

    api: LocalApi
    customer_id: str = "cust-local"
    email: str = "shopper@example.com"

    @property
    def customers(self) -> Customers:
        return Customers.of(self.api.cloud.identity)

    def email_of(self, name: str | None = None) -> str:
        """The address of the customer called ``name`` (default: this shopper's own)."""
        return self.email if name is None or name == self.customer_id else f"{name}@example.com"

    def customer(self, name: str | None = None) -> SignedIn:
        """The signed-in customer called ``name`` (default: this shopper's own), created on first use."""
        return self.customers.signed_in(self.email_of(name), self.api.cloud.clock.now())

    def auth_headers(self, name: str | None = None, *, email: str | None = None) -> dict[str, str]:
        """``Authorization`` with the raw ID token, as REST API Cognito authorizers expect, and the storefront
        client's API key (``x-api-key``), as the storefront sends them."""
        signed_in = self.customers.signed_in(email or self.email_of(name), self.api.cloud.clock.now())
        return {"Authorization": signed_in.id_token, **self.client_headers()}

    def client_headers(self) -> dict[str, str]:
        """The API key of the client application this shopper uses (the storefront), when one is registered."""
        key = self.api.client_keys.get(CLIENT)
        return {"x-api-key": key} if key else {}

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
            "items": [{"sku": sku, "quantity": quantity} for sku, quantity in items],
            "paymentToken": token,
        }
        if cart_id:
            body["cartId"] = cart_id
        headers = self.auth_headers(customer_id)
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        response = self.api.request("POST", "/orders", body=body, headers=headers)
        if response.status == 202:
            self.customers.owners[str(response.json()["orderId"])] = self.email_of(customer_id)
        return response

    def order(self, order_id: str, *, customer_id: str | None = None) -> dict[str, Any] | None:
        """The order as the customer ``customer_id`` reads it, or ``None`` for a 404; by default as the customer
        who placed it through a shopper of this cloud (else this shopper's own customer)."""
        email = self.email_of(customer_id) if customer_id else self.customers.owners.get(order_id, self.email)
        response = self.api.request("GET", f"/orders/{order_id}", headers=self.auth_headers(email=email))
        if response.status == 404:
            return None
        if response.status != 200:
            raise ApiError(f"GET /orders/{order_id} answered {response.status}: {response.body}")
        found: dict[str, Any] = response.json()
        return found

    def orders(
        self, *, customer_id: str | None = None, limit: int | None = None, cursor: str | None = None
    ) -> ApiResponse:
        """``GET /orders``: one page of the customer's orders, newest first."""
        query = {key: str(value) for key, value in (("limit", limit), ("cursor", cursor)) if value is not None}
        return self.api.request("GET", "/orders", headers=self.auth_headers(customer_id), query=query)

    def add_to_cart(self, cart_id: str, sku: str, quantity: int = 1, *, customer_id: str | None = None) -> ApiResponse:
        body = {"sku": sku, "quantity": quantity}
        return self.api.request("POST", f"/carts/{cart_id}/items", body=body, headers=self.auth_headers(customer_id))
