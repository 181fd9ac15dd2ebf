"""The README's "Add a service" example handler (tests/unit/fixtures/loyalty) does real work on moto."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from tests.handlers.builders import lifecycle_event, sqs_event
from tests.handlers.conftest import FakeLambdaContext, Shop, load_handler
from tests.handlers.shop_state import _create_table

POINTS_TABLE = "eventshop-test-loyalty-points"


@pytest.fixture
def loyalty(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    _create_table(shop.dynamodb.meta.client, POINTS_TABLE, "customerId")
    return load_handler(
        "tests.unit.fixtures.loyalty.app",
        monkeypatch,
        {
            "POWERTOOLS_SERVICE_NAME": "loyalty",
            "POINTS_TABLE": POINTS_TABLE,
            "IDEMPOTENCY_TABLE": shop.tables["idempotency"],
        },
    )


def shipped(order_id: str) -> dict[str, Any]:
    return lifecycle_event(
        "OrderShipped", order_id, shippingSpeed="express", trackingId=f"trk-{order_id}", customerStatus="new"
    )


def test_each_shipped_order_stamps_the_customers_card_once(loyalty: ModuleType, shop: Shop) -> None:
    first = loyalty.handler(sqs_event(shipped("order-1"), shipped("order-2")), FakeLambdaContext())
    again = loyalty.handler(sqs_event(shipped("order-1")), FakeLambdaContext())

    card = shop.dynamodb.Table(POINTS_TABLE).get_item(Key={"customerId": "cust-1"})["Item"]
    assert first == again == {"batchItemFailures": []}
    assert card["stamps"] == 2
    assert card["orders"] == {"order-1", "order-2"}


def test_a_shipped_event_without_a_customer_fails_only_its_record(loyalty: ModuleType) -> None:
    broken = shipped("order-3")
    del broken["detail"]["customerId"]

    result = loyalty.handler(sqs_event(shipped("order-4"), broken), FakeLambdaContext())

    assert result == {"batchItemFailures": [{"itemIdentifier": "msg-1"}]}
