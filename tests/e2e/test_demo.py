"""The demo's run and its books: a clean mix passes, a message that never gets processed fails the run."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from localcloud.cloud import LocalCloud
from localcloud.demo import MIX, run_mix


def test_a_clean_mix_settles_with_the_expected_outcomes_and_balanced_books(cloud: LocalCloud) -> None:
    result = run_mix(cloud, len(MIX))

    assert result.ok, (result.unsettled, result.unexpected, result.lost, result.missing_grants)
    assert dict(result.outcomes) == {"SHIPPED": 7, "PAYMENT_FAILED": 2, "CANCELLED": 1}
    assert result.dead_lettered == 0
    assert result.reminders == result.carts == 2  # the mix's abandoned carts, one reminder each
    outbox = cloud.outbox()
    assert result.notifications == len(outbox)
    assert Counter(message["attributes"].get("detailType") for message in outbox) == expected_notifications(
        result.orders, outbox, result.reminders
    )


def expected_notifications(orders: dict[str, str], outbox: list[dict[str, Any]], reminders: int) -> Counter[str]:
    """What the customers are told: each order placed; a payment's outcome, with an invoice for a captured one; a
    shipping notice for each shipped order; for the sold-out order, its out-of-stock message, and a refund if
    Billing had charged it. Billing and Warehouse take OrderPlaced in either order: when the stock is refused
    first, Billing charges nothing, so that order has no payment message at all
    (tests/handlers/test_compensation.py, the out-of-stock-before-the-charge test)."""

    def told(order_id: str, detail_type: str) -> bool:
        return any(
            order_id in message["body"] and message["attributes"].get("detailType") == detail_type
            for message in outbox
        )

    sold_out = [order_id for order_id, kind in orders.items() if kind == "sold out"]
    charged_then_refused = sum(1 for order_id in sold_out if told(order_id, "PaymentSucceeded"))
    approved = sum(1 for kind in orders.values() if kind == "approved")
    declined = sum(1 for kind in orders.values() if kind == "declined")
    expected = Counter(
        {
            "OrderPlaced": len(orders),
            "PaymentSucceeded": approved + charged_then_refused,
            "InvoiceReady": approved + charged_then_refused,
            "PaymentFailed": declined,
            "OrderShipped": approved,
            "OutOfStock": len(sold_out),
            "PaymentRefunded": charged_then_refused,
            "CartReminderDue": reminders,
        }
    )
    return +expected  # the kinds nobody was told of are not in the outbox's count either


def test_an_order_whose_message_is_dead_lettered_fails_the_run(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = cloud.function("warehouse").module

    def always_fails(*, event: Any) -> Any:
        raise RuntimeError(f"warehouse unavailable for {event.order_id}")

    monkeypatch.setattr(warehouse, "HANDLERS", {**warehouse.HANDLERS, "OrderPlaced": always_fails})

    result = run_mix(cloud, 1)

    assert not result.ok
    # Never reserved, the paid order is compensated at its fulfillment deadline: CANCELLED, not SHIPPED.
    assert result.unsettled == []
    [order_id] = result.orders
    assert f"{order_id} (approved): CANCELLED, expected SHIPPED" in result.unexpected
    assert result.dead_lettered == 1
    assert result.lost == []
