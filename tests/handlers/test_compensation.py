"""Saga compensation on moto: Billing refunds on OutOfStock, Warehouse releases on PaymentFailed, and both
compensate on FulfillmentFailed (the order could not ship by its deadline).

Each compensation is exercised with duplicates and with both orders of arrival (the compensating event
before and after the step it undoes): no money stays captured, no stock stays held.
"""

from __future__ import annotations

from decimal import Decimal
from types import ModuleType

import pytest

from handlers.shared.events import event_id
from tests.handlers.builders import lifecycle_event, order_placed, sqs_event
from tests.handlers.conftest import FakeLambdaContext, Shop


def out_of_stock(order_id: str) -> dict[str, object]:
    return lifecycle_event("OutOfStock", order_id, items=[{"sku": "SKU-1", "quantity": 2}], unavailable=["SKU-1"])


def payment_failed(order_id: str) -> dict[str, object]:
    return lifecycle_event("PaymentFailed", order_id, amount=Decimal(24), currency="EUR", reason="card_declined")


def fulfillment_failed(order_id: str) -> dict[str, object]:
    return lifecycle_event("FulfillmentFailed", order_id, reason="States.Timeout")


def forget_idempotency(shop: Shop) -> None:
    """As if the Powertools records had expired: only the tables' own guards remain."""
    for item in shop.table("idempotency").scan()["Items"]:
        shop.table("idempotency").delete_item(Key={"id": item["id"]})


# --- Billing: refund on OutOfStock -------------------------------------------------------------------


def test_out_of_stock_after_capture_refunds_once_and_emits_payment_refunded(
    billing: ModuleType, shop: Shop, context: FakeLambdaContext
) -> None:
    billing.handler(sqs_event(order_placed("order-1", lines=(("SKU-1", 2, "12.00"),))), context)
    [succeeded] = shop.emitted()

    result = billing.handler(sqs_event(out_of_stock("order-1")), context)

    assert result == {"batchItemFailures": []}
    payment = shop.table("payments").get_item(Key={"orderId": "order-1"})["Item"]
    assert payment["status"] == "REFUNDED"
    assert payment["refundId"].startswith("re_")
    [refunded] = shop.emitted()
    assert refunded["source"] == "eventshop.billing"
    assert refunded["detail-type"] == "PaymentRefunded"
    detail = refunded["detail"]
    assert {key: detail[key] for key in ("orderId", "customerId", "email", "currency", "reason")} == {
        "orderId": "order-1",
        "customerId": "cust-1",
        "email": "ada@example.com",
        "currency": "EUR",
        "reason": "out_of_stock",
    }
    assert detail["amount"] == 24
    assert detail["paymentId"] == succeeded["detail"]["paymentId"] == payment["paymentId"]
    assert detail["metadata"]["eventId"] == event_id("order-1", "PaymentRefunded")
    assert detail["metadata"]["correlationId"] == "corr-order-1"


def test_duplicate_out_of_stock_refunds_once(billing: ModuleType, shop: Shop, context: FakeLambdaContext) -> None:
    billing.handler(sqs_event(order_placed("order-2")), context)
    shop.emitted()
    event = out_of_stock("order-2")

    billing.handler(sqs_event(event, event), context)
    forget_idempotency(shop)
    billing.handler(sqs_event(event), context)

    assert shop.table("payments").get_item(Key={"orderId": "order-2"})["Item"]["status"] == "REFUNDED"
    emitted = shop.emitted()
    # A redelivery past the idempotency record announces the refund again under the same event id.
    assert {e["detail-type"] for e in emitted} == {"PaymentRefunded"}
    assert {e["detail"]["metadata"]["eventId"] for e in emitted} == {event_id("order-2", "PaymentRefunded")}
    assert {e["detail"]["refundId"] for e in emitted} == {
        shop.table("payments").get_item(Key={"orderId": "order-2"})["Item"]["refundId"]
    }


def test_out_of_stock_before_the_charge_means_the_order_is_never_charged(
    billing: ModuleType, shop: Shop, context: FakeLambdaContext
) -> None:
    billing.handler(sqs_event(out_of_stock("order-3")), context)
    assert shop.table("payments").get_item(Key={"orderId": "order-3"})["Item"]["status"] == "CANCELLED"

    result = billing.handler(sqs_event(order_placed("order-3")), context)

    assert result == {"batchItemFailures": []}
    assert shop.table("payments").get_item(Key={"orderId": "order-3"})["Item"]["status"] == "CANCELLED"
    assert shop.emitted() == []


def test_cancellation_landing_during_the_charge_refunds_the_charge_at_once(
    billing: ModuleType, shop: Shop, context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    refunds: list[str] = []
    real_charge, real_refund = billing.provider.charge, billing.provider.refund

    def charge_while_cancelled(**kwargs: object) -> object:
        # Another instance handles OutOfStock between this one's check and its conditional put.
        shop.table("payments").put_item(Item={"orderId": "order-4", "status": "CANCELLED", "reason": "out_of_stock"})
        return real_charge(**kwargs)

    def record_refund(**kwargs: object) -> object:
        refunds.append(str(kwargs["payment_id"]))
        return real_refund(**kwargs)

    monkeypatch.setattr(billing.provider, "charge", charge_while_cancelled)
    monkeypatch.setattr(billing.provider, "refund", record_refund)

    billing.handler(sqs_event(order_placed("order-4")), context)

    assert shop.table("payments").get_item(Key={"orderId": "order-4"})["Item"]["status"] == "CANCELLED"
    assert len(refunds) == 1
    assert shop.emitted() == []


def test_declined_payment_has_nothing_to_refund(billing: ModuleType, shop: Shop, context: FakeLambdaContext) -> None:
    billing.handler(sqs_event(order_placed("order-5", payment_token="tok_decline")), context)
    shop.emitted()

    result = billing.handler(sqs_event(out_of_stock("order-5")), context)

    assert result == {"batchItemFailures": []}
    assert shop.table("payments").get_item(Key={"orderId": "order-5"})["Item"]["status"] == "DECLINED"
    assert shop.emitted() == []


def test_redelivered_order_after_a_refund_is_not_charged_or_announced_again(
    billing: ModuleType, shop: Shop, context: FakeLambdaContext
) -> None:
    placed = order_placed("order-6")
    billing.handler(sqs_event(placed), context)
    billing.handler(sqs_event(out_of_stock("order-6")), context)
    shop.emitted()
    forget_idempotency(shop)

    billing.handler(sqs_event(placed), context)

    assert shop.table("payments").get_item(Key={"orderId": "order-6"})["Item"]["status"] == "REFUNDED"
    assert shop.emitted() == []


# --- Warehouse: release on PaymentFailed --------------------------------------------------------------


@pytest.fixture
def stock(shop: Shop) -> Shop:
    shop.seed_product("SKU-1", "Espresso cup", "12.00", available=5)
    shop.seed_product("SKU-2", "Grinder", "99.00", available=1)
    return shop


def test_payment_failed_releases_the_reservation_and_gives_the_stock_back(
    warehouse: ModuleType, stock: Shop, context: FakeLambdaContext
) -> None:
    warehouse.handler(sqs_event(order_placed("order-1", lines=(("SKU-1", 2, "12.00"), ("SKU-2", 1, "99.00")))), context)
    assert (stock.available("SKU-1"), stock.available("SKU-2")) == (3, 0)
    stock.emitted()

    result = warehouse.handler(sqs_event(payment_failed("order-1")), context)

    assert result == {"batchItemFailures": []}
    assert (stock.available("SKU-1"), stock.available("SKU-2")) == (5, 1)
    row = stock.table("reservations").get_item(Key={"orderId": "order-1"})["Item"]
    assert row["status"] == "RELEASED"
    [released] = stock.emitted()
    assert released["source"] == "eventshop.warehouse"
    assert released["detail-type"] == "StockReleased"
    assert released["detail"]["items"] == [{"sku": "SKU-1", "quantity": 2}, {"sku": "SKU-2", "quantity": 1}]
    assert released["detail"]["reason"] == "payment_failed"
    assert released["detail"]["metadata"]["eventId"] == event_id("order-1", "StockReleased")


def test_duplicate_payment_failed_releases_once(warehouse: ModuleType, stock: Shop, context: FakeLambdaContext) -> None:
    warehouse.handler(sqs_event(order_placed("order-2")), context)
    event = payment_failed("order-2")

    warehouse.handler(sqs_event(event, event), context)
    forget_idempotency(stock)
    warehouse.handler(sqs_event(event), context)

    assert stock.available("SKU-1") == 5
    released = [e for e in stock.emitted() if e["detail-type"] == "StockReleased"]
    assert {e["detail"]["metadata"]["eventId"] for e in released} == {event_id("order-2", "StockReleased")}


def test_payment_failed_before_the_reservation_means_no_stock_is_ever_held(
    warehouse: ModuleType, stock: Shop, context: FakeLambdaContext
) -> None:
    warehouse.handler(sqs_event(payment_failed("order-3")), context)
    assert stock.table("reservations").get_item(Key={"orderId": "order-3"})["Item"]["status"] == "PAYMENT_FAILED"

    result = warehouse.handler(sqs_event(order_placed("order-3", lines=(("SKU-1", 2, "12.00"),))), context)

    assert result == {"batchItemFailures": []}
    assert stock.available("SKU-1") == 5
    assert stock.table("reservations").get_item(Key={"orderId": "order-3"})["Item"]["status"] == "PAYMENT_FAILED"
    assert stock.emitted() == []


def test_payment_failed_after_out_of_stock_has_nothing_to_release(
    warehouse: ModuleType, stock: Shop, context: FakeLambdaContext
) -> None:
    warehouse.handler(sqs_event(order_placed("order-4", lines=(("SKU-2", 3, "99.00"),))), context)
    stock.emitted()

    warehouse.handler(sqs_event(payment_failed("order-4")), context)

    assert stock.available("SKU-2") == 1
    assert stock.table("reservations").get_item(Key={"orderId": "order-4"})["Item"]["status"] == "OUT_OF_STOCK"
    assert stock.emitted() == []


def test_redelivered_order_after_a_release_reserves_nothing(
    warehouse: ModuleType, stock: Shop, context: FakeLambdaContext
) -> None:
    placed = order_placed("order-5")
    warehouse.handler(sqs_event(placed), context)
    warehouse.handler(sqs_event(payment_failed("order-5")), context)
    stock.emitted()
    forget_idempotency(stock)

    warehouse.handler(sqs_event(placed), context)

    assert stock.available("SKU-1") == 5
    assert stock.emitted() == []


# --- FulfillmentFailed: the order could not ship by its deadline ---------------------------------------


def test_fulfillment_failed_refunds_the_captured_payment_once_with_its_reason(
    billing: ModuleType, shop: Shop, context: FakeLambdaContext
) -> None:
    billing.handler(sqs_event(order_placed("order-f1", lines=(("SKU-1", 2, "12.00"),))), context)
    shop.emitted()
    event = fulfillment_failed("order-f1")

    assert billing.handler(sqs_event(event, event), context) == {"batchItemFailures": []}

    payment = shop.table("payments").get_item(Key={"orderId": "order-f1"})["Item"]
    assert (payment["status"], payment["refundReason"]) == ("REFUNDED", "fulfillment_failed")
    refunds = [e for e in shop.emitted() if e["detail-type"] == "PaymentRefunded"]
    assert {e["detail"]["reason"] for e in refunds} == {"fulfillment_failed"}
    assert {e["detail"]["metadata"]["eventId"] for e in refunds} == {event_id("order-f1", "PaymentRefunded")}


def test_fulfillment_failed_releases_the_reservation_and_gives_the_stock_back(
    warehouse: ModuleType, stock: Shop, context: FakeLambdaContext
) -> None:
    warehouse.handler(sqs_event(order_placed("order-f2", lines=(("SKU-1", 2, "12.00"),))), context)
    stock.emitted()

    assert warehouse.handler(sqs_event(fulfillment_failed("order-f2")), context) == {"batchItemFailures": []}

    assert stock.available("SKU-1") == 5
    row = stock.table("reservations").get_item(Key={"orderId": "order-f2"})["Item"]
    assert (row["status"], row["releaseReason"]) == ("RELEASED", "fulfillment_failed")
    [released] = stock.emitted()
    assert (released["detail-type"], released["detail"]["reason"]) == ("StockReleased", "fulfillment_failed")


def test_fulfillment_failed_before_the_late_reservation_means_no_stock_is_ever_held(
    warehouse: ModuleType, stock: Shop, context: FakeLambdaContext
) -> None:
    warehouse.handler(sqs_event(fulfillment_failed("order-f3")), context)
    row = stock.table("reservations").get_item(Key={"orderId": "order-f3"})["Item"]
    assert row["status"] == "FULFILLMENT_FAILED"

    warehouse.handler(sqs_event(order_placed("order-f3", lines=(("SKU-1", 2, "12.00"),))), context)

    assert stock.available("SKU-1") == 5
    assert stock.emitted() == []


def test_payment_failed_before_an_order_short_of_stock_still_reports_it_out_of_stock_once(
    warehouse: ModuleType, stock: Shop, context: FakeLambdaContext
) -> None:
    """Otherwise the final status depended on arrival order (found by tests/handlers/test_saga_properties.py)."""
    warehouse.handler(sqs_event(payment_failed("order-5")), context)
    placed = order_placed("order-5", lines=(("SKU-2", 3, "99.00"),))

    warehouse.handler(sqs_event(placed, placed), context)
    forget_idempotency(stock)
    warehouse.handler(sqs_event(placed), context)

    assert stock.available("SKU-2") == 1, "nothing is reserved for a failed payment"
    row = stock.table("reservations").get_item(Key={"orderId": "order-5"})["Item"]
    assert (row["status"], row["unavailable"]) == ("PAYMENT_FAILED", ["SKU-2"])
    emitted = stock.emitted()
    assert {e["detail-type"] for e in emitted} == {"OutOfStock"}
    assert {e["detail"]["metadata"]["eventId"] for e in emitted} == {event_id("order-5", "OutOfStock")}
    assert emitted[0]["detail"]["unavailable"] == ["SKU-2"]
    assert emitted[0]["detail"]["items"] == [{"sku": "SKU-2", "quantity": 3}]
