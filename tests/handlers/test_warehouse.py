"""Warehouse on moto: atomic reservations, out of stock, duplicates, and the last unit under concurrency."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from moto.dynamodb.models import DynamoDBBackend

from handlers.shared.events import event_id
from tests.handlers.builders import order_placed, sqs_event
from tests.handlers.conftest import FakeLambdaContext, Shop


@pytest.fixture
def stock(shop: Shop) -> Shop:
    shop.seed_product("SKU-1", "Espresso cup", "12.00", available=5)
    shop.seed_product("SKU-2", "Grinder", "99.00", available=1)
    return shop


def test_reserves_every_line_and_emits_stock_reserved(
    warehouse: ModuleType, stock: Shop, context: FakeLambdaContext
) -> None:
    placed = order_placed("order-1", lines=(("SKU-1", 2, "12.00"), ("SKU-2", 1, "99.00")))

    result = warehouse.handler(sqs_event(placed), context)

    assert result == {"batchItemFailures": []}
    assert (stock.available("SKU-1"), stock.available("SKU-2")) == (3, 0)
    reservation = stock.table("reservations").get_item(Key={"orderId": "order-1"})["Item"]
    assert reservation["status"] == "RESERVED"
    [event] = stock.emitted()
    assert event["source"] == "eventshop.warehouse"
    assert event["detail-type"] == "StockReserved"
    assert event["detail"]["items"] == [{"sku": "SKU-1", "quantity": 2}, {"sku": "SKU-2", "quantity": 1}]
    assert event["detail"]["metadata"]["eventId"] == event_id("order-1", "StockReserved")


def test_short_sku_cancels_the_whole_reservation_and_emits_out_of_stock(
    warehouse: ModuleType, stock: Shop, context: FakeLambdaContext
) -> None:
    placed = order_placed("order-2", lines=(("SKU-1", 2, "12.00"), ("SKU-2", 3, "99.00"), ("GHOST", 1, "1.00")))

    warehouse.handler(sqs_event(placed), context)

    assert (stock.available("SKU-1"), stock.available("SKU-2")) == (5, 1)
    [event] = stock.emitted()
    assert event["detail-type"] == "OutOfStock"
    assert event["detail"]["unavailable"] == ["SKU-2", "GHOST"]
    assert stock.table("reservations").get_item(Key={"orderId": "order-2"})["Item"]["status"] == "OUT_OF_STOCK"


def test_redelivered_order_decrements_stock_once(
    warehouse: ModuleType, stock: Shop, context: FakeLambdaContext
) -> None:
    placed = order_placed("order-3", lines=(("SKU-1", 2, "12.00"),))

    warehouse.handler(sqs_event(placed), context)
    warehouse.handler(sqs_event(placed), context)

    assert stock.available("SKU-1") == 3
    assert [event["detail-type"] for event in stock.emitted()] == ["StockReserved"]


def test_reservation_found_by_the_table_guard_is_announced_again(
    warehouse: ModuleType, stock: Shop, context: FakeLambdaContext
) -> None:
    placed = order_placed("order-4", lines=(("SKU-1", 2, "12.00"),))
    warehouse.handler(sqs_event(placed), context)
    first = stock.emitted()
    for item in stock.table("idempotency").scan()["Items"]:
        stock.table("idempotency").delete_item(Key={"id": item["id"]})

    warehouse.handler(sqs_event(placed), context)

    again = stock.emitted()
    assert stock.available("SKU-1") == 3
    assert [event["detail-type"] for event in again] == ["StockReserved"]
    assert again[0]["detail"]["metadata"]["eventId"] == first[0]["detail"]["metadata"]["eventId"]


def test_out_of_stock_decision_is_kept_when_stock_arrives_before_a_redelivery(
    warehouse: ModuleType, stock: Shop, context: FakeLambdaContext
) -> None:
    placed = order_placed("order-5", lines=(("SKU-2", 2, "99.00"),))
    warehouse.handler(sqs_event(placed), context)
    stock.table("inventory").put_item(Item={"sku": "SKU-2", "available": 10})
    for item in stock.table("idempotency").scan()["Items"]:
        stock.table("idempotency").delete_item(Key={"id": item["id"]})

    warehouse.handler(sqs_event(placed), context)

    assert stock.available("SKU-2") == 10
    assert [event["detail-type"] for event in stock.emitted()] == ["OutOfStock", "OutOfStock"]


def test_only_the_failing_record_is_reported(warehouse: ModuleType, stock: Shop, context: FakeLambdaContext) -> None:
    malformed = order_placed("order-7")
    del malformed["detail"]["metadata"]

    result = warehouse.handler(sqs_event(order_placed("order-6"), malformed), context)

    assert result == {"batchItemFailures": [{"itemIdentifier": "msg-1"}]}
    assert [event["detail"]["orderId"] for event in stock.emitted()] == ["order-6"]


@pytest.fixture
def atomic_moto_dynamodb(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moto's DynamoDB writes atomic across threads, as DynamoDB itself is.

    moto's ``transact_write_items`` deep-copies the tables it touches, applies the actions one by one
    and, when one fails, assigns the copies back. Two threads interleaving there can each see the last
    unit, and a cancelled transaction's copy can overwrite another thread's committed write. Real
    DynamoDB serialises conflicting transactions (or cancels one with TransactionConflict), so the test
    puts one lock around moto's write operations; the handlers still run concurrently.
    """
    lock = threading.RLock()
    for name in ("transact_write_items", "put_item", "update_item", "delete_item", "get_item"):
        original: Callable[..., Any] = getattr(DynamoDBBackend, name)

        def locked(self: DynamoDBBackend, *args: Any, _original: Callable[..., Any] = original, **kwargs: Any) -> Any:
            with lock:
                return _original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, locked)


@pytest.mark.usefixtures("atomic_moto_dynamodb")
def test_concurrent_orders_for_the_last_unit_reserve_it_once(
    warehouse: ModuleType, stock: Shop, context: FakeLambdaContext
) -> None:
    warehouse.idempotency_config.register_lambda_context(context)
    records = [
        SQSRecord(sqs_event(order_placed(f"race-{index}", lines=(("SKU-2", 1, "99.00"),)))["Records"][0])
        for index in range(8)
    ]
    barrier = threading.Barrier(len(records))

    def reserve(record: SQSRecord) -> dict[str, str]:
        barrier.wait()
        result: dict[str, str] = warehouse.record_handler(record)
        return result

    with ThreadPoolExecutor(max_workers=len(records)) as pool:
        outcomes = [result["outcome"] for result in pool.map(reserve, records)]

    assert sorted(outcomes) == ["OutOfStock"] * 7 + ["StockReserved"]
    assert stock.available("SKU-2") == 0
    emitted = stock.emitted()
    assert sorted(event["detail-type"] for event in emitted) == ["OutOfStock"] * 7 + ["StockReserved"]
    reserved = [item for item in stock.table("reservations").scan()["Items"] if item["status"] == "RESERVED"]
    assert len(reserved) == 1
