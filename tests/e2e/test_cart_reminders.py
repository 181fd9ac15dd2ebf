"""Cart reminders on the local cloud: the schedule fires when the clock passes it, unless an order came first."""

from __future__ import annotations

import json
from typing import Any

from localcloud.cloud import LocalCloud
from localcloud.shop import Shopper
from tests.e2e.conftest import events_about, messages_about, settled_order

DELAY_SECONDS = 5 * 60  # eventshop:reminders.delayMinutes in Pulumi.dev.yaml


def schedules(cloud: LocalCloud) -> list[str]:
    client = cloud.clients("scheduler")
    return [s["Name"] for s in client.list_schedules(GroupName="eventshop-dev-reminders")["Schedules"]]


def test_an_abandoned_cart_gets_one_reminder_once_the_clock_passes_its_time(
    cloud: LocalCloud, shopper: Shopper
) -> None:
    shopper.add_to_cart("cart-abandoned", "MUG-LOGO")
    shopper.add_to_cart("cart-abandoned", "STICKER-PACK")
    cloud.wait_idle()
    assert len(schedules(cloud)) == 1, "a second item moves the cart's schedule, it does not add one"
    assert events_about(cloud, "cart-abandoned", "CartReminderDue") == []

    cloud.advance(DELAY_SECONDS + 60)

    [due] = events_about(cloud, "cart-abandoned", "CartReminderDue")
    assert due["source"] == "eventshop.reminders"
    assert due["detail"]["email"] == shopper.email
    [message] = messages_about(cloud.outbox(), "cart-abandoned")
    assert message["attributes"]["detailType"] == "CartReminderDue"
    assert schedules(cloud) == [], "a one-time schedule deletes itself after it ran"


def test_an_order_for_the_cart_cancels_its_reminder(cloud: LocalCloud, shopper: Shopper) -> None:
    shopper.add_to_cart("cart-bought", "MUG-LOGO")
    cloud.wait_idle()
    assert len(schedules(cloud)) == 1
    order_id = shopper.place_order([("MUG-LOGO", 1)], cart_id="cart-bought")
    settled_order(cloud, shopper, order_id)
    assert schedules(cloud) == []

    cloud.advance(DELAY_SECONDS + 60)

    assert events_about(cloud, "cart-bought", "CartReminderDue") == []
    assert messages_about(cloud.outbox(), "cart-bought") == []


def redeliver(cloud: LocalCloud, event: dict[str, Any]) -> None:
    """Put an archived event on the bus again, as a retry or a replay delivers it: the same detail, later."""
    response = cloud.clients("events").put_events(
        Entries=[
            {
                "EventBusName": "eventshop-dev",
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
            }
        ]
    )
    assert response["FailedEntryCount"] == 0


def test_an_item_added_delivered_after_the_order_brings_no_reminder_back(cloud: LocalCloud, shopper: Shopper) -> None:
    assert shopper.add_to_cart("cart-late", "MUG-LOGO").status == 202
    cloud.wait_idle()
    [item_added] = events_about(cloud, "cart-late", "ItemAddedToCart")
    order_id = shopper.place_order([("MUG-LOGO", 1)], cart_id="cart-late")
    settled_order(cloud, shopper, order_id)
    assert schedules(cloud) == []

    redeliver(cloud, item_added)  # the item's event, retried after the order
    assert shopper.add_to_cart("cart-late", "STICKER-PACK").status == 202  # and a new one for the ordered cart
    cloud.wait_idle()
    assert schedules(cloud) == [], "an ordered cart gets no schedule back"

    cloud.advance(DELAY_SECONDS + 60)

    assert events_about(cloud, "cart-late", "CartReminderDue") == []
    assert messages_about(cloud.outbox(), "cart-late") == []


def test_a_reminder_that_fires_for_an_ordered_cart_mails_nothing(cloud: LocalCloud, shopper: Shopper) -> None:
    """The schedule fired as the order was being placed: Email asks the cart before it mails."""
    assert shopper.add_to_cart("cart-raced", "MUG-LOGO").status == 202
    cloud.wait_idle()
    client = cloud.clients("scheduler")
    [name] = schedules(cloud)
    pending = client.get_schedule(GroupName="eventshop-dev-reminders", Name=name)
    order_id = shopper.place_order([("MUG-LOGO", 1)], cart_id="cart-raced")
    settled_order(cloud, shopper, order_id)
    # The schedule as it stood before the order deleted it: it fires now.
    fields = ("Name", "GroupName", "ScheduleExpression", "FlexibleTimeWindow", "Target", "ActionAfterCompletion")
    client.create_schedule(**{field: pending[field] for field in fields})

    cloud.advance(DELAY_SECONDS + 60)

    [due] = events_about(cloud, "cart-raced", "CartReminderDue")
    assert due["detail"]["cartId"] == "cart-raced"
    assert messages_about(cloud.outbox(), "cart-raced") == []
