"""Order-status projector on moto: status transitions, final states, duplicates, partial failures."""

from __future__ import annotations

import itertools
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from handlers.orders import model
from handlers.shared.events import MalformedEventError
from tests.handlers.builders import lifecycle_event, sqs_event
from tests.handlers.call_count import counting_calls
from tests.handlers.conftest import FakeLambdaContext, Shop


def place(shop: Shop, order_id: str) -> str:
    """Store an order as the API does (OrderPlaced already applied)."""
    priced = model.PricedOrder(
        items=[{"sku": "SKU-1", "name": "Cup", "quantity": 2, "unitPrice": Decimal("12.00")}],
        total=Decimal("24.00"),
        currency="EUR",
    )
    body = {"customerId": "cust-1", "email": "ada@example.com", "items": [], "paymentToken": "tok_visa"}
    item = model.new_order_item(
        order_id=order_id,
        body=body,
        priced=priced,
        correlation_id="corr-1",
        now="2024-05-01T12:00:00.000Z",
        fingerprint="f",
    )
    shop.table("orders").put_item(Item={**item, "published": True})
    return order_id


@pytest.fixture
def placed(shop: Shop) -> str:
    """An order as the API stores it (OrderPlaced already applied)."""
    return place(shop, "order-1")


def order(shop: Shop, order_id: str) -> dict[str, Any]:
    item: dict[str, Any] = shop.table("orders").get_item(Key={"orderId": order_id})["Item"]
    return item


def history(shop: Shop, order_id: str) -> list[tuple[str, str]]:
    return [(entry["event"], entry["status"]) for entry in order(shop, order_id)["history"]]


def project(projector: ModuleType, context: FakeLambdaContext, *events: dict[str, Any]) -> Any:
    return projector.handler(sqs_event(*events), context)


def test_lifecycle_events_move_the_status_and_grow_the_history(
    projector: ModuleType, shop: Shop, placed: str, context: FakeLambdaContext
) -> None:
    project(projector, context, lifecycle_event("PaymentSucceeded", placed, paymentId="pay_1", amount=Decimal(24)))
    assert order(shop, placed)["status"] == "PAID"
    project(projector, context, lifecycle_event("StockReserved", placed, items=[]))
    project(projector, context, lifecycle_event("OrderShipped", placed, shippingSpeed="express", trackingId="T1"))

    assert order(shop, placed)["status"] == "SHIPPED"
    assert history(shop, placed) == [
        ("OrderPlaced", "PLACED"),
        ("PaymentSucceeded", "PAID"),
        ("StockReserved", "RESERVED"),
        ("OrderShipped", "SHIPPED"),
    ]


def test_orderplaced_already_recorded_by_the_api_is_not_repeated(
    projector: ModuleType, shop: Shop, placed: str, context: FakeLambdaContext
) -> None:
    result = project(projector, context, lifecycle_event("OrderPlaced", placed, items=[], total=Decimal(24)))

    assert result == {"batchItemFailures": []}
    assert history(shop, placed) == [("OrderPlaced", "PLACED")]


def test_final_status_is_kept_and_later_events_only_join_the_history(
    projector: ModuleType, shop: Shop, placed: str, context: FakeLambdaContext
) -> None:
    project(projector, context, lifecycle_event("OutOfStock", placed, items=[], unavailable=["SKU-1"]))
    project(projector, context, lifecycle_event("PaymentSucceeded", placed, paymentId="pay_1", amount=Decimal(24)))
    project(projector, context, lifecycle_event("PaymentRefunded", placed, amount=Decimal(24)))

    assert order(shop, placed)["status"] == "CANCELLED"
    assert history(shop, placed) == [
        ("OrderPlaced", "PLACED"),
        ("OutOfStock", "CANCELLED"),
        ("PaymentSucceeded", "CANCELLED"),
        ("PaymentRefunded", "CANCELLED"),
    ]


def test_redelivered_event_has_one_effect(
    projector: ModuleType, shop: Shop, placed: str, context: FakeLambdaContext
) -> None:
    failed = lifecycle_event("PaymentFailed", placed, reason="card_declined", amount=Decimal(24))
    project(projector, context, failed)
    project(projector, context, failed)

    result = project(projector, context, failed)

    assert result == {"batchItemFailures": []}
    assert order(shop, placed)["status"] == "PAYMENT_FAILED"
    assert history(shop, placed) == [("OrderPlaced", "PLACED"), ("PaymentFailed", "PAYMENT_FAILED")]


def test_only_failing_records_are_reported(
    projector: ModuleType, shop: Shop, placed: str, context: FakeLambdaContext
) -> None:
    no_metadata = lifecycle_event("PaymentSucceeded", placed, paymentId="pay_1", amount=Decimal(24))
    del no_metadata["detail"]["metadata"]
    unknown_order = lifecycle_event("PaymentSucceeded", "ghost", paymentId="pay_2", amount=Decimal(1))
    unsupported = lifecycle_event("CartReminderDue", placed)
    good = lifecycle_event("StockReserved", placed, items=[])

    result = project(projector, context, no_metadata, unknown_order, good, unsupported)

    assert result == {
        "batchItemFailures": [{"itemIdentifier": "msg-0"}, {"itemIdentifier": "msg-1"}, {"itemIdentifier": "msg-3"}]
    }
    assert order(shop, placed)["status"] == "RESERVED"
    assert shop.table("orders").get_item(Key={"orderId": "ghost"}).get("Item") is None


def test_failures_carry_clear_errors(projector: ModuleType, shop: Shop, placed: str) -> None:
    malformed = lifecycle_event("PaymentSucceeded", placed)
    del malformed["detail"]["orderId"], malformed["detail"]["metadata"]
    malformed["source"] = "eventshop.orders"

    with pytest.raises(MalformedEventError) as raised:
        projector.record_handler(SQSRecord(sqs_event(malformed)["Records"][0]))

    message = str(raised.value)
    assert "PaymentSucceeded must come from eventshop.billing, not eventshop.orders" in message
    assert "missing detail.orderId" in message
    assert "missing detail.metadata.eventId" in message


SCENARIOS: dict[str, tuple[tuple[str, dict[str, Any]], ...]] = {
    "approved and shipped": (
        ("PaymentSucceeded", {"paymentId": "pay_1", "amount": Decimal(24)}),
        ("StockReserved", {"items": []}),
        ("OrderShipped", {"shippingSpeed": "express", "trackingId": "T1"}),
    ),
    "captured, then out of stock and refunded": (
        ("PaymentSucceeded", {"paymentId": "pay_1", "amount": Decimal(24)}),
        ("OutOfStock", {"items": [], "unavailable": ["SKU-1"]}),
        ("PaymentRefunded", {"paymentId": "pay_1", "amount": Decimal(24), "reason": "out_of_stock"}),
    ),
    "declined, reserved and released": (
        ("PaymentFailed", {"reason": "card_declined", "amount": Decimal(24)}),
        ("StockReserved", {"items": []}),
        ("StockReleased", {"items": [], "reason": "payment_failed"}),
    ),
    "declined and out of stock": (
        ("PaymentFailed", {"reason": "card_declined", "amount": Decimal(24)}),
        ("OutOfStock", {"items": [], "unavailable": ["SKU-1"]}),
    ),
}
FINAL_BY_SCENARIO = {
    "approved and shipped": "SHIPPED",
    "captured, then out of stock and refunded": "CANCELLED",
    "declined, reserved and released": "PAYMENT_FAILED",
    "declined and out of stock": "CANCELLED",
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_final_status_does_not_depend_on_arrival_order(
    projector: ModuleType, shop: Shop, context: FakeLambdaContext, scenario: str
) -> None:
    for number, order_of_arrival in enumerate(itertools.permutations(SCENARIOS[scenario])):
        order_id = place(shop, f"order-{number}")
        for detail_type, fields in order_of_arrival:
            result = project(projector, context, lifecycle_event(detail_type, order_id, **fields))
            assert result == {"batchItemFailures": []}

        arrived = [detail_type for detail_type, _ in order_of_arrival]
        assert order(shop, order_id)["status"] == FINAL_BY_SCENARIO[scenario], arrived
        assert [event for event, _ in history(shop, order_id)] == ["OrderPlaced", *arrived]


def test_statuses_only_move_forward(projector: ModuleType, shop: Shop, placed: str, context: FakeLambdaContext) -> None:
    project(projector, context, lifecycle_event("StockReserved", placed, items=[]))
    project(projector, context, lifecycle_event("PaymentSucceeded", placed, paymentId="pay_1", amount=Decimal(24)))

    assert order(shop, placed)["status"] == "RESERVED"
    assert history(shop, placed) == [
        ("OrderPlaced", "PLACED"),
        ("StockReserved", "RESERVED"),
        ("PaymentSucceeded", "RESERVED"),
    ]


def test_fulfillment_failed_cancels_a_paid_order_and_a_late_reservation_cannot_revive_it(
    projector: ModuleType, shop: Shop, placed: str, context: FakeLambdaContext
) -> None:
    project(projector, context, lifecycle_event("PaymentSucceeded", placed, paymentId="pay_1", amount=Decimal(24)))
    project(projector, context, lifecycle_event("FulfillmentFailed", placed, reason="States.Timeout"))
    project(projector, context, lifecycle_event("StockReserved", placed, items=[]))

    assert order(shop, placed)["status"] == "CANCELLED"
    assert [event for event, _ in history(shop, placed)] == [
        "OrderPlaced",
        "PaymentSucceeded",
        "FulfillmentFailed",
        "StockReserved",
    ]


def test_an_event_costs_one_conditional_write_and_its_redelivery_one_refused_write(
    projector: ModuleType, shop: Shop, placed: str, context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The write's condition (NOT contains(appliedEventIds, :eventId)) is the projector's only dedupe: no
    # idempotency record is put and completed around it.
    paid = lifecycle_event("PaymentSucceeded", placed, paymentId="pay_1", amount=Decimal(24))
    with counting_calls(monkeypatch) as first:
        assert project(projector, context, paid) == {"batchItemFailures": []}
    with counting_calls(monkeypatch) as again:
        assert project(projector, context, paid) == {"batchItemFailures": []}

    assert first == {"dynamodb:UpdateItem": 1}
    assert again == {"dynamodb:UpdateItem": 1}, "the refused write returns the order: no read follows"
    assert history(shop, placed) == [("OrderPlaced", "PLACED"), ("PaymentSucceeded", "PAID")]
