"""End-to-end tests on the local cloud: the real program deployed into moto, the real handlers running.

Modules marked ``shared_cloud`` share one cloud per test process; the others boot their own
(tests/shared_cloud.py). The modules booting many clouds run first in this layer, then the other modules
booting their own, then the sharing modules. Nothing here sleeps for a fixed time: tests wait until the cloud
is idle (nothing running, nothing queued) and move the local clock forward to run retries instead of waiting
for them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests import shared_cloud

# The local cloud, moto's parsers and Playwright are imported where used, not here: the xdist controller loads
# this file before it starts the workers and runs no test itself.
if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud
    from localcloud.shop import Shopper

#: Marks a module that boots many clouds of its own: it keeps to one worker for long, so it starts first in the
#: layer, and the other worker meanwhile takes the other modules instead of idling at the end.
MANY_BOOTS = "many_boots"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MANY_BOOTS}: the module boots many clouds; it starts early in its layer (tests/e2e/conftest.py)"
    )


def boots_many_clouds(item: pytest.Item) -> bool:
    return item.get_closest_marker(MANY_BOOTS) is not None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Within this layer, the modules booting many clouds first, then the other modules booting their own, then
    the modules sharing the cloud (tests/shared_cloud.py)."""
    shared_cloud.own_clouds_first(items, Path(__file__).parent, first=boots_many_clouds)


#: The worker's shared cloud for a ``shared_cloud`` module, else a cloud of the module's own.
cloud = shared_cloud.cloud


@pytest.fixture(scope="module")
def shopper(cloud: LocalCloud) -> Shopper:
    from localcloud.shop import Shopper  # noqa: PLC0415 (imported on use: see the note at the imports)

    return Shopper(cloud.api)


def settled_order(cloud: LocalCloud, shopper: Shopper, order_id: str) -> dict[str, Any]:
    """The order once the cloud is idle; fails if it did not settle."""
    from localcloud.shop import is_settled  # noqa: PLC0415 (imported on use: see the note at the imports)

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
