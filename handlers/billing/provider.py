"""A simulated, deterministic payment provider.

Test tokens: ``tok_visa`` approves, ``tok_decline`` declines with ``card_declined``, any other token
declines with ``invalid_token``. Like a real provider it takes an idempotency key (the order id): the same
key always gives the same payment id, so charging again after a crash does not charge twice. Refunds take
an idempotency key too, so refunding again after a crash refunds once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from handlers.shared.events import NAMESPACE

APPROVING_TOKENS = frozenset({"tok_visa"})
DECLINE_REASONS = {"tok_decline": "card_declined"}
UNKNOWN_CARD_REASON = "invalid_token"


@dataclass(frozen=True)
class Charge:
    """The provider's answer: approved with a payment id, or declined with a reason."""

    approved: bool
    payment_id: str
    reason: str | None = None


def charge(*, token: str, amount: Decimal, currency: str, idempotency_key: str) -> Charge:
    """Charge ``amount`` ``currency`` to ``token`` (deterministic; see the module docstring)."""
    payment_id = f"pay_{uuid.uuid5(NAMESPACE, f'payment:{idempotency_key}').hex[:24]}"
    if amount <= 0 or not currency:
        return Charge(approved=False, payment_id=payment_id, reason="invalid_amount")
    if token in APPROVING_TOKENS:
        return Charge(approved=True, payment_id=payment_id)
    return Charge(approved=False, payment_id=payment_id, reason=DECLINE_REASONS.get(token, UNKNOWN_CARD_REASON))


@dataclass(frozen=True)
class Refund:
    """The provider's answer to a refund: the refund id (the same for the same idempotency key)."""

    refund_id: str


def refund(*, payment_id: str, amount: Decimal, currency: str, idempotency_key: str) -> Refund:
    """Refund ``amount`` ``currency`` of ``payment_id`` in full (deterministic and idempotent per key)."""
    if not payment_id.startswith("pay_") or amount <= 0 or not currency:
        raise ValueError(f"Cannot refund {amount} {currency} of payment {payment_id!r}")
    return Refund(refund_id=f"re_{uuid.uuid5(NAMESPACE, f'refund:{idempotency_key}').hex[:24]}")
