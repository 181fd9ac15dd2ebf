"""The shop's event catalogue: every detail-type, who produces it, and rule patterns built from it.

Patterns are built from this one table, so a rule can never name a detail-type with the wrong source.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from components import Subscription


@dataclass(frozen=True)
class EventType:
    detail_type: str
    source: str
    producer: str


EVENT_TYPES = {
    event.detail_type: event
    for event in (
        EventType("OrderPlaced", "eventshop.orders", "Orders API function"),
        EventType("ItemAddedToCart", "eventshop.carts", "API Gateway direct PutEvents integration"),
        EventType("PaymentSucceeded", "eventshop.billing", "Billing"),
        EventType("PaymentFailed", "eventshop.billing", "Billing"),
        EventType("PaymentRefunded", "eventshop.billing", "Billing"),
        EventType("StockReserved", "eventshop.warehouse", "Warehouse"),
        EventType("OutOfStock", "eventshop.warehouse", "Warehouse"),
        EventType("StockReleased", "eventshop.warehouse", "Warehouse (compensation)"),
        EventType("OrderShipped", "eventshop.fulfillment", "Fulfillment state machine"),
        EventType("FulfillmentFailed", "eventshop.fulfillment", "Fulfillment state machine (compensation)"),
        EventType("CartReminderDue", "eventshop.reminders", "EventBridge Scheduler one-time schedule"),
        EventType("Object Created", "aws.s3", "S3 invoices bucket (forwarded from the default bus)"),
    )
}

#: Detail-types no rule consumes yet, each on purpose and with the reason. The contract tests fail for a
#: produced detail-type that has no consumer rule and is not listed here, and for a listed one that a
#: rule consumes: wiring a consumer means removing its entry.
UNCONSUMED: dict[str, str] = {}


def source_of(detail_type: str) -> str:
    return EVENT_TYPES[detail_type].source


def subscriptions(*detail_types: str) -> tuple[Subscription, ...]:
    """One rule per producing source, each matching exactly that source's named detail-types.

    The rule key is the source's last word (`eventshop.billing` -> `billing`), stable across edits.
    """
    unknown = [name for name in detail_types if name not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"unknown detail-type(s): {', '.join(unknown)} (known: {', '.join(EVENT_TYPES)})")
    by_source: dict[str, list[str]] = defaultdict(list)
    for name in detail_types:
        by_source[source_of(name)].append(name)
    return tuple(
        Subscription(
            key=source.rsplit(".", 1)[-1],
            pattern={"source": [source], "detail-type": sorted(names)},
        )
        for source, names in sorted(by_source.items())
    )
