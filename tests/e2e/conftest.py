"""End-to-end tests on the local cloud: the real program deployed into moto, the real handlers running.

A boot costs seconds, so modules marked ``shared_cloud`` share one cloud per test process (per xdist
worker): their tests isolate themselves by unique ids (orders, customers, carts) and leave nothing behind
(no faults, no held pollers; the cloud is settled after each module). A module that changes what every
test sees (faults, pauses, global counts such as "no dead letters at all", replays of the whole archive)
is not marked and boots its own cloud. moto is process-wide, so only one cloud runs at a time: the shared
cloud is stopped before an unmarked module boots its own, and marked modules run first in this layer.
Nothing here sleeps for a fixed time: tests wait until the cloud is idle (nothing running, nothing queued)
and move the local clock forward to run retries instead of waiting for them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# The local cloud, moto's parsers and Playwright are imported where used, not here: the xdist controller loads
# this file before it starts the workers and runs no test itself.
if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud
    from localcloud.shop import Shopper

#: Marks a module whose tests may share the worker's cloud (see the module docstring).
SHARED_CLOUD = "shared_cloud"
#: Marks a module that boots many clouds of its own: it keeps to one worker for long, so it starts right after the
#: sharing modules, and the other worker meanwhile takes the short modules instead of idling at the end.
MANY_BOOTS = "many_boots"


class _SharedCloud:
    """The worker's one shared cloud, booted on first use and stopped before any other cloud boots."""

    def __init__(self) -> None:
        self.cloud: LocalCloud | None = None

    def get(self) -> LocalCloud:
        if self.cloud is None or not self.cloud.running:
            from localcloud.cloud import LocalCloud  # noqa: PLC0415 (imported on use: see the note at the imports)

            self.cloud = LocalCloud.boot("dev")
        return self.cloud

    def release(self) -> None:
        if self.cloud is not None:
            self.cloud.stop()
            self.cloud = None


_shared = _SharedCloud()


def shares_the_cloud(node: pytest.Item | pytest.Collector) -> bool:
    return node.get_closest_marker(SHARED_CLOUD) is not None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{SHARED_CLOUD}: the module's tests share the worker's booted local cloud (tests/e2e/conftest.py)",
    )
    config.addinivalue_line(
        "markers", f"{MANY_BOOTS}: the module boots many clouds; it starts early in its layer (tests/e2e/conftest.py)"
    )


def running_order(item: pytest.Item) -> tuple[bool, bool]:
    return not shares_the_cloud(item), item.get_closest_marker(MANY_BOOTS) is None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Within this layer, modules sharing the cloud first, so it boots once, then the modules booting many
    clouds, then the rest (a stable sort, the same on every worker); the session may hold other layers, which
    keep their places."""
    here = [index for index, item in enumerate(items) if item.path.is_relative_to(Path(__file__).parent)]
    ordered = sorted((items[index] for index in here), key=running_order)
    for index, item in zip(here, ordered, strict=True):
        items[index] = item


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After the last test of a run of sharing modules, stop the shared cloud: another cloud (or a test that
    uses moto itself) may come next."""
    try:
        return (yield)
    finally:
        if shares_the_cloud(item) and (nextitem is None or not shares_the_cloud(nextitem)):
            _shared.release()


@pytest.fixture(scope="module")
def cloud(request: pytest.FixtureRequest) -> Iterator[LocalCloud]:
    """The worker's shared cloud for a ``shared_cloud`` module, else a cloud of the module's own."""
    if not shares_the_cloud(request.node):
        from localcloud.cloud import LocalCloud  # noqa: PLC0415 (imported on use: see the note at the imports)

        _shared.release()
        with LocalCloud.boot("dev") as booted:
            yield booted
        return
    shared = _shared.get()
    yield shared
    # What the next module sees: nothing pending, no fault set, no poller held.
    assert not shared.faults.active.faults, "a module sharing the cloud must not leave faults set"
    shared.settle()


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
