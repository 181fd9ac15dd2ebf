"""Cart reminders on the local cloud: the schedule fires when the clock passes it, unless an order came first."""

from __future__ import annotations

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
