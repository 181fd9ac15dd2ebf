"""A simulated, deterministic payment provider.

Test tokens: ``tok_visa`` approves, ``tok_decline`` declines with ``card_declined``, any other token
declines with ``invalid_token``. Like a real provider it takes an idempotency key (the order id): the same
key always gives the same payment id, so charging again after a crash does not charge twice.
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
