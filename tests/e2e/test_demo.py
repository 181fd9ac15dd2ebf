"""The demo's run and its books: a clean mix passes, a message that never gets processed fails the run."""

from __future__ import annotations

from typing import Any

import pytest

from localcloud.cloud import LocalCloud
from localcloud.demo import MIX, run_mix
from localcloud.shop import APPROVE


def test_a_clean_mix_settles_with_the_expected_outcomes_and_balanced_books(cloud: LocalCloud) -> None:
    result = run_mix(cloud, len(MIX))

    assert result.ok, (result.unsettled, result.unexpected, result.lost, result.missing_grants)
    assert dict(result.outcomes) == {"SHIPPED": 7, "PAYMENT_FAILED": 2, "CANCELLED": 1}
    assert result.dead_lettered == 0
    captured = sum(1 for _, _, token in MIX if token == APPROVE)
    shipped = sum(1 for expected, _, _ in MIX if expected == "approved")
    # placed + payment outcome for each order, an invoice for each captured payment, a shipping notice
    # for each shipped order, and for the sold-out order its out-of-stock and refund messages
    assert result.reminders == result.carts == 2  # the mix's abandoned carts, one reminder each
    assert result.notifications == 2 * len(MIX) + captured + shipped + 2 + result.reminders


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
