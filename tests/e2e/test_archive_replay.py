"""Replaying the bus archive after the idempotency window (on the local cloud) mails no one and changes nothing.

Powertools idempotency remembers an event for 24 hours; the archive keeps it for `archiveRetentionDays`.
Here every idempotency record is gone (DynamoDB's TTL removed them a day later), then the whole archive is
replayed onto the bus: orders, payments, stock and the customers' mailboxes must stay as they were, and
no cart is reminded again, nor an ordered cart at all.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from localcloud.cloud import LocalCloud
from localcloud.shop import DECLINE, Shopper
from tests.e2e.conftest import settled_order

DAY_SECONDS = 24 * 60 * 60
DELAY_SECONDS = 5 * 60  # eventshop:reminders.delayMinutes in Pulumi.dev.yaml


def forget_every_idempotency_record(cloud: LocalCloud) -> int:
    """What DynamoDB's TTL does to the Powertools records a day after they expired; returns how many."""
    client = cloud.clients("dynamodb")
    forgotten = 0
    for table in client.list_tables()["TableNames"]:
        if not table.endswith("-idempotency"):
            continue
        for item in client.scan(TableName=table, ProjectionExpression="id")["Items"]:
            client.delete_item(TableName=table, Key={"id": item["id"]})
            forgotten += 1
    return forgotten


def mails(cloud: LocalCloud) -> Counter[tuple[str, str]]:
    """(detail-type, body) of every message the customers received."""
    return Counter((m["attributes"]["detailType"], m["body"]) for m in cloud.outbox())


def books(cloud: LocalCloud) -> dict[str, Any]:
    client = cloud.clients("dynamodb")

    def table(name: str, key: str, *fields: str) -> dict[str, tuple[Any, ...]]:
        items = client.scan(TableName=f"eventshop-dev-{name}")["Items"]
        return {item[key]["S"]: tuple(str(item.get(f)) for f in fields) for item in items}

    return {
        "orders": table("orders", "orderId", "status"),
        "payments": table("payments", "orderId", "status", "refundId"),
        "reservations": table("reservations", "orderId", "status"),
        "inventory": table("inventory", "sku", "available"),
    }


def email_invocations(cloud: LocalCloud, order_id: str) -> int:
    return sum(1 for e in cloud.trace.entries(order_id=order_id, kind="invoke") if e.where.endswith("-email"))


def test_replaying_the_archive_a_day_later_mails_no_one_and_changes_nothing(
    cloud: LocalCloud, shopper: Shopper
) -> None:
    orders = [
        shopper.place_order([("MUG-LOGO", 1)], cart_id="cart-replay-ordered"),
        shopper.place_order([("STICKER-PACK", 1)], token=DECLINE),
        shopper.place_order([("VINYL-SOLDOUT", 1)]),
    ]
    assert shopper.add_to_cart("cart-replay-abandoned", "MUG-LOGO").status == 202
    for order_id in orders:
        settled_order(cloud, shopper, order_id)
    cloud.advance(DELAY_SECONDS + 60)  # the abandoned cart's reminder goes out
    before_mails, before_books = mails(cloud), books(cloud)
    invoked_before = email_invocations(cloud, orders[0])
    assert sum(1 for kind, _ in before_mails if kind == "CartReminderDue") == 1

    cloud.advance(DAY_SECONDS + 60)
    assert forget_every_idempotency_record(cloud) > 0
    events = cloud.clients("events")
    [archive] = events.list_archives(NamePrefix="eventshop-dev")["Archives"]
    bus_arn = events.describe_event_bus(Name="eventshop-dev")["Arn"]
    now = dt.datetime.now(dt.UTC)
    events.start_replay(
        ReplayName="after-a-day",
        EventSourceArn=events.describe_archive(ArchiveName=archive["ArchiveName"])["ArchiveArn"],
        EventStartTime=now - dt.timedelta(days=2),
        EventEndTime=now + dt.timedelta(days=2),
        Destination={"Arn": bus_arn},
    )
    cloud.wait_idle()
    cloud.advance(DELAY_SECONDS + 60)  # any reminder the replay scheduled falls due

    assert email_invocations(cloud, orders[0]) > invoked_before, "the replay reached Email"
    assert mails(cloud) == before_mails, "the replay mailed someone again"
    assert books(cloud) == before_books
