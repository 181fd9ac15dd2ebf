"""One booted local cloud per test process (per xdist worker), shared by the modules marked ``shared_cloud``.

A boot costs seconds, so the e2e and browser modules whose tests isolate themselves by unique ids (orders,
customers, carts) and leave nothing behind (no faults, no held pollers; the cloud is settled after each module)
share one cloud. A module that changes what every test sees (faults, pauses, global counts, replays of the
whole archive, a served WebSocket API) is not marked and boots its own. moto is process-wide, so only one cloud
runs at a time: the shared cloud is stopped before an unmarked module boots its own, and after the last test of
a run of sharing modules (another cloud, or a test using moto itself, may come next).

Each layer runs the modules booting their own clouds first and its sharing modules last. A module with a cloud
of its own keeps to one worker while the sharing tests go out one by one, so sharing tests at the end of a
layer keep both workers busy to its end. The browser layer goes to one worker as a whole (one Chromium) and is
sent out with the e2e layer's first tests (``run_beside``): while its pages wait on Chromium, the other worker
runs the e2e modules booting many clouds, and the e2e sharing tests, sent one by one last, even out the end.

A layer's conftest binds the fixture under its name, once, at module level: ``cloud = shared_cloud.cloud``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

# The local cloud is imported where used, not here: the xdist controller loads the conftests (and so this file)
# before it starts the workers and runs no test itself.
if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud

#: Marks a module whose tests may share the worker's cloud (see the module docstring).
SHARED_CLOUD = "shared_cloud"


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


def register_marker(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{SHARED_CLOUD}: the module's tests share the worker's booted local cloud (tests/shared_cloud.py)"
    )


def own_clouds_first(items: list[pytest.Item], layer: Path, first: Callable[[pytest.Item], bool] | None = None) -> None:
    """Within the layer (a directory of tests/), the modules booting clouds of their own first (those ``first``
    picks ahead of the others), the modules sharing the cloud last, in a stable sort (the same on every
    worker); the session's other layers keep their places."""

    def running_order(item: pytest.Item) -> tuple[bool, bool]:
        return shares_the_cloud(item), first is None or not first(item)

    here = [index for index, item in enumerate(items) if item.path.is_relative_to(layer)]
    ordered = sorted((items[index] for index in here), key=running_order)
    for index, item in zip(here, ordered, strict=True):
        items[index] = item


def run_beside(items: list[pytest.Item], layer: Path, host: Path) -> None:
    """Moves the tests of ``layer`` (in their order) to just before the first test of the layer ``host``; the
    other tests keep their order. Nothing moves when the session has no test of ``host``."""
    moved = [item for item in items if item.path.is_relative_to(layer)]
    rest = [item for item in items if not item.path.is_relative_to(layer)]
    position = next((index for index, item in enumerate(rest) if item.path.is_relative_to(host)), None)
    if moved and position is not None:
        items[:] = [*rest[:position], *moved, *rest[position:]]


def release_after(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After the last test of a run of sharing modules, stop the shared cloud."""
    if shares_the_cloud(item) and (nextitem is None or not shares_the_cloud(nextitem)):
        _shared.release()


@contextmanager
def own_cloud() -> Iterator[LocalCloud]:
    """A cloud of the module's own, booted once the shared cloud is stopped."""
    from localcloud.cloud import LocalCloud  # noqa: PLC0415 (imported on use: see the note at the imports)

    _shared.release()
    with LocalCloud.boot("dev") as booted:
        yield booted


@pytest.fixture(scope="module")
def cloud(request: pytest.FixtureRequest) -> Iterator[LocalCloud]:
    """The worker's shared cloud for a ``shared_cloud`` module, else a cloud of the module's own."""
    if not shares_the_cloud(request.node):
        with own_cloud() as booted:
            yield booted
        return
    shared = _shared.get()
    yield shared
    # What the next module sees: nothing pending, no fault set, no poller held.
    assert not shared.faults.active.faults, "a module sharing the cloud must not leave faults set"
    shared.settle()
