"""End-to-end tests on the local cloud: the real program deployed into moto, the real handlers running.

Each module boots its own cloud once (a few seconds) so its orders and stock do not leak into another
module. Nothing here sleeps for a fixed time: tests wait until the cloud is idle (nothing running,
nothing queued) and move the local clock forward to run retries instead of waiting for them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud.cloud import LocalCloud
from localcloud.shop import Shopper, is_settled


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud.boot("dev") as booted:
        yield booted


@pytest.fixture(scope="module")
def shopper(cloud: LocalCloud) -> Shopper:
    return Shopper(cloud.api)


def settled_order(cloud: LocalCloud, shopper: Shopper, order_id: str) -> dict[str, Any]:
    """The order once the cloud is idle; fails if it did not settle."""
    cloud.wait_idle()
    order = shopper.order(order_id)
    assert order is not None, f"order {order_id} does not exist"
    assert is_settled(order), f"order {order_id} did not settle: {json.dumps(order, default=str)}"
    return order


def messages_about(messages: list[dict[str, Any]], order_id: str) -> list[dict[str, Any]]:
    return [message for message in messages if order_id in message["body"]]


def events_about(cloud: LocalCloud, order_id: str, detail_type: str | None = None) -> list[dict[str, Any]]:
    return [
        event
        for event in cloud.archived_events()
        if isinstance(event.get("detail"), dict)
        and (event["detail"].get("orderId") == order_id or event["detail"].get("cartId") == order_id)
        and (detail_type is None or event.get("detail-type") == detail_type)
    ]
