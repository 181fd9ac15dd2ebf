"""Reminders on moto: a cart's one schedule is created, moved, cancelled, and duplicates change nothing."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from types import ModuleType
from typing import Any

import pytest

from handlers.shared.events import SCHEMA_VERSION, parse_event
from tests.handlers.builders import envelope, lifecycle_event, sqs_event
from tests.handlers.conftest import FakeLambdaContext, Shop, load_handler, set_up_clients
from tests.handlers.shop_state import ACCOUNT, BUS, REGION

GROUP = "eventshop-test-reminders"
BUS_ARN = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{BUS}"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/eventshop-test-reminders-scheduler-role"
DLQ_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:eventshop-test-reminders-schedules-dlq"


@pytest.fixture
def reminders(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    set_up_clients().scheduler.create_schedule_group(Name=GROUP)
    return load_handler(
        "handlers.reminders.app",
        monkeypatch,
        {
            "POWERTOOLS_SERVICE_NAME": "reminders",
            "SCHEDULE_GROUP": GROUP,
            "EVENT_BUS_ARN": BUS_ARN,
            "SCHEDULER_ROLE_ARN": ROLE_ARN,
            "SCHEDULER_DLQ_ARN": DLQ_ARN,
            "DELAY_MINUTES": "30",
            "CARTS_TABLE": shop.tables["carts"],
        },
    )


def item_added(cart_id: str, customer_id: str = "cust-1") -> dict[str, Any]:
    return envelope(
        "ItemAddedToCart",
        {
            "cartId": cart_id,
            "customerId": customer_id,
            "email": "ada@example.com",
            "sku": "MUG-LOGO",
            "quantity": 1,
            "metadata": {"eventId": str(uuid.uuid4()), "correlationId": f"corr-{cart_id}", "schemaVersion": "1"},
        },
    )


def schedules() -> list[dict[str, Any]]:
    client = set_up_clients().scheduler
    return [
        client.get_schedule(GroupName=GROUP, Name=summary["Name"])
        for summary in client.list_schedules(GroupName=GROUP)["Schedules"]
    ]


def at(schedule: dict[str, Any]) -> dt.datetime:
    expression = schedule["ScheduleExpression"]
    assert expression.startswith("at(") and expression.endswith(")")
    return dt.datetime.fromisoformat(expression[3:-1]).replace(tzinfo=dt.UTC)


def test_an_item_added_creates_the_carts_one_time_reminder_on_the_bus(
    reminders: ModuleType, context: FakeLambdaContext
) -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    result = reminders.handler(sqs_event(item_added("cart-1")), context)

    assert result == {"batchItemFailures": []}
    [schedule] = schedules()
    assert schedule["Name"] == reminders.schedule_name("cart-1")
    assert before + dt.timedelta(minutes=30) <= at(schedule) <= before + dt.timedelta(minutes=31)
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    target = schedule["Target"]
    assert (target["Arn"], target["RoleArn"]) == (BUS_ARN, ROLE_ARN)
    assert target["EventBridgeParameters"] == {"DetailType": "CartReminderDue", "Source": "eventshop.reminders"}
    assert target["DeadLetterConfig"] == {"Arn": DLQ_ARN}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    detail = json.loads(target["Input"])
    assert (detail["cartId"], detail["customerId"], detail["email"]) == ("cart-1", "cust-1", "ada@example.com")
    assert detail["metadata"]["correlationId"] == "corr-cart-1"
    assert detail["metadata"]["schemaVersion"] == SCHEMA_VERSION


def test_another_item_moves_the_pending_reminder_instead_of_adding_one(
    reminders: ModuleType, context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    reminders.handler(sqs_event(item_added("cart-2")), context)
    [first] = schedules()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
    monkeypatch.setattr(reminders, "now", lambda: later)

    reminders.handler(sqs_event(item_added("cart-2")), context)

    [moved] = schedules()
    assert at(moved) - at(first) >= dt.timedelta(minutes=9)
    assert (
        json.loads(moved["Target"]["Input"])["metadata"]["eventId"]
        != json.loads(first["Target"]["Input"])["metadata"]["eventId"]
    )


def test_a_duplicate_delivery_leaves_one_schedule(reminders: ModuleType, context: FakeLambdaContext) -> None:
    event = item_added("cart-3")
    assert reminders.handler(sqs_event(event, event), context) == {"batchItemFailures": []}
    assert [s["Name"] for s in schedules()] == [reminders.schedule_name("cart-3")]


def test_carts_get_separate_schedules_with_valid_names(reminders: ModuleType, context: FakeLambdaContext) -> None:
    reminders.handler(sqs_event(item_added("cart-a"), item_added("cart:b/with odd chars")), context)
    names = sorted(s["Name"] for s in schedules())
    assert len(names) == 2
    assert all(len(name) <= 64 and all(c.isalnum() or c in "-_." for c in name) for name in names)


def test_an_order_for_the_cart_cancels_its_reminder_and_a_repeat_is_fine(
    reminders: ModuleType, context: FakeLambdaContext
) -> None:
    reminders.handler(sqs_event(item_added("cart-4"), item_added("cart-5")), context)
    placed = lifecycle_event("OrderPlaced", "order-4", cartId="cart-4")

    assert reminders.handler(sqs_event(placed), context) == {"batchItemFailures": []}
    assert reminders.handler(sqs_event(placed), context) == {"batchItemFailures": []}

    assert [s["Name"] for s in schedules()] == [reminders.schedule_name("cart-5")]
    assert reminders.cancel(event=parse_event(placed))["action"] == "none pending"


def test_an_order_without_a_cart_touches_no_schedule(reminders: ModuleType, context: FakeLambdaContext) -> None:
    reminders.handler(sqs_event(item_added("cart-6")), context)
    assert reminders.handler(sqs_event(lifecycle_event("OrderPlaced", "order-6")), context) == {"batchItemFailures": []}
    assert len(schedules()) == 1


def test_an_item_added_without_an_email_fails_only_its_record(
    reminders: ModuleType, context: FakeLambdaContext
) -> None:
    bad = item_added("cart-7")
    del bad["detail"]["email"]
    result = reminders.handler(sqs_event(bad, item_added("cart-8")), context)
    assert len(result["batchItemFailures"]) == 1
    assert [s["Name"] for s in schedules()] == [reminders.schedule_name("cart-8")]


# --- Cart state: an ordered cart is never reminded, whatever order its events arrive in ----------------


def placed_for(cart_id: str, order_id: str = "order-9") -> dict[str, Any]:
    return lifecycle_event("OrderPlaced", order_id, cartId=cart_id)


@pytest.mark.parametrize(
    "arrivals",
    [
        ("item", "placed"),
        ("placed", "item"),
        ("item", "placed", "item"),  # a retried ItemAddedToCart delivered after the order
        ("placed", "item", "item", "placed"),
        ("item", "item", "placed", "placed", "item"),
    ],
)
@pytest.mark.parametrize("batched", [False, True])
def test_an_ordered_cart_keeps_no_reminder_whatever_the_delivery_order(
    reminders: ModuleType, shop: Shop, context: FakeLambdaContext, arrivals: tuple[str, ...], batched: bool
) -> None:
    item = item_added("cart-20")  # one event, delivered as often as `arrivals` says
    events = {"item": item, "placed": placed_for("cart-20")}
    bodies = [events[arrival] for arrival in arrivals]

    if batched:
        assert reminders.handler(sqs_event(*bodies), context) == {"batchItemFailures": []}
    else:
        for body in bodies:
            assert reminders.handler(sqs_event(body), context) == {"batchItemFailures": []}

    assert schedules() == []
    cart = shop.table("carts").get_item(Key={"cartId": "cart-20"})["Item"]
    assert cart["orderId"] == "order-9"


def test_an_item_added_after_the_order_reports_the_cart_as_ordered(
    reminders: ModuleType, context: FakeLambdaContext
) -> None:
    reminders.handler(sqs_event(placed_for("cart-21")), context)
    assert reminders.remind(event=parse_event(item_added("cart-21")))["action"] == "ordered"
    assert schedules() == []


def test_a_second_order_for_the_cart_keeps_the_first_as_the_one_that_ordered_it(
    reminders: ModuleType, shop: Shop, context: FakeLambdaContext
) -> None:
    reminders.handler(sqs_event(placed_for("cart-22", "order-a"), placed_for("cart-22", "order-b")), context)
    assert shop.table("carts").get_item(Key={"cartId": "cart-22"})["Item"]["orderId"] == "order-a"


def test_an_order_placed_while_the_schedule_is_being_created_still_leaves_none(
    reminders: ModuleType, context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The order lands between the cart check and CreateSchedule: its delete found nothing to delete."""
    real_create = reminders.client("scheduler").create_schedule

    def order_then_create(**kwargs: Any) -> Any:
        reminders.cancel(event=parse_event(placed_for("cart-23")))
        return real_create(**kwargs)

    monkeypatch.setattr(reminders.client("scheduler"), "create_schedule", order_then_create)

    result = reminders.handler(sqs_event(item_added("cart-23")), context)

    assert result == {"batchItemFailures": []}
    assert schedules() == []


def test_an_abandoned_cart_records_its_last_item_and_no_order(
    reminders: ModuleType, shop: Shop, context: FakeLambdaContext
) -> None:
    reminders.handler(sqs_event(item_added("cart-24")), context)
    cart = shop.table("carts").get_item(Key={"cartId": "cart-24"})["Item"]
    assert set(cart) == {"cartId", "lastItemAt"}
    assert len(schedules()) == 1
