"""What every layer's test process shares, and how one pytest session runs several layers.

`make test` runs every layer (a directory of tests/) in one session, in the order it names them, so the test
processes start and import the world once and each stack's whole-program run is shared by the layers that
read it. Two rules keep what running layer by layer gave:

- the layer gate: once a test of a layer fails, the tests of the layers after it are skipped, naming the
  layer that failed (tests already under way finish); the session then fails.
- a module with a module-scoped fixture of its own (a booted local cloud, a program run) keeps to one xdist
  worker under ``--dist loadgroup``, so the fixture is built once; other tests spread one by one, in the
  session's order.

Both live in tests/layer_session.py. A worker leaves without finalizing its interpreter (tests/worker_exit.py).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

# The package only (it installs the provider SDK's lazy import before anything imports that SDK); the local
# cloud's modules are imported where used: the xdist controller, and the small pytest runs tests/ci makes, load
# this file and run no test that needs them.
import localcloud  # noqa: F401
from tests import shared_cloud
from tests.layer_session import LayerGate
from tests.worker_exit import WorkerExit

if TYPE_CHECKING:
    from devtools.graph import StackGraph
    from devtools.program import ProgramRun


def pytest_configure(config: pytest.Config) -> None:
    # A test process holds a large, long-lived heap (the SDKs, moto, each stack's program run) and its tests
    # allocate plenty: at CPython's default (a full collection every 10 middle-generation ones) each `make test`
    # worker ran 25 full collections, 6.3 s of its CPU. At the local cloud's own setting while it runs: 10 a
    # worker, 3.4 s; `make test` 57 -> 55 s.
    from localcloud import boot_heap  # noqa: PLC0415 (imported on use: see the note at the imports)

    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, boot_heap.MIDDLE_COLLECTIONS_PER_FULL)
    config.pluginmanager.register(LayerGate.for_process(config), "layer-gate")
    config.pluginmanager.register(WorkerExit(), "worker-exit")
    shared_cloud.register_marker(config)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """The shared local cloud of the e2e and browser layers stops after the last test of a run of modules
    sharing it (tests/shared_cloud.py)."""
    try:
        return (yield)
    finally:
        shared_cloud.release_after(item, nextitem)


@pytest.fixture(autouse=True, scope="session")
def shared_botocore_data() -> None:
    """moto's ``mock_aws`` starts every test on a fresh default boto3 session, whose new loader parses
    botocore's endpoints and each service model again: about a quarter of a handler test's time. The data is
    read-only, so the test process parses it once, as the local cloud does (``localcloud.botocore_cache``);
    sessions, clients, their hooks and credentials stay per test."""
    from localcloud import botocore_cache  # noqa: PLC0415 (imported on use: see the note at the imports)

    botocore_cache.install()


@pytest.fixture(scope="session")
def stack_graphs() -> dict[str, StackGraph]:
    """Each stack's whole program under Pulumi mocks, fed from the real stack files, with every resource's URN,
    parent, aliases and dependencies recorded as it registers (``devtools.graph``; the recording adds ~4% to an
    evaluation): run once per test process and read by the unit, contract and policy tests alike (none may change
    it; a test that breaks a resource works on a copy). Imported here, not above: a process that runs no program
    does not load Pulumi."""
    from devtools.graph import stack_graph  # noqa: PLC0415
    from devtools.program import STACKS  # noqa: PLC0415

    return {stack: stack_graph(stack) for stack in STACKS}


@pytest.fixture(scope="session")
def runs(stack_graphs: dict[str, StackGraph]) -> dict[str, ProgramRun]:
    """Each stack's whole-program run (``stack_graphs``)."""
    return {stack: graph.run for stack, graph in stack_graphs.items()}
