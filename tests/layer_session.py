"""One pytest session over several layers of tests/ (each directory is a layer), as `make test` runs them.

- The layer gate: once a test of a layer fails, the tests of later layers are skipped, naming the layer that
  failed (tests already under way finish), and the session fails.
- The layers' order is the order the command line names them (``pytest tests/unit tests/e2e ...``), whatever
  order their tests are collected or sent out in; layers it does not name follow in collection order.
- Under ``--dist loadgroup``, a module with a module-scoped fixture of its own keeps to one worker, so the
  fixture (a booted local cloud, a program run) is built once, and the tests marked
  ``xdist_group(name)`` keep to one worker together (a browser launched once); every other test is a unit of
  its own, and units go out in the session's order, so the layers run fastest first. xdist's own loadgroup
  reads ``xdist_group`` marks by rewriting node ids, which pytest 9.2's node ids no longer allow, so the
  grouping is done here.

The xdist controller collects nothing itself, so its workers tell it through a directory the controller
owns: one empty file per failed layer under ``failed/``, and the modules to keep together under ``modules/``
(one JSON file per worker: each module's unit, the module itself or its ``xdist_group``).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

#: The worker input that carries the controller's directory.
GATE_DIRECTORY = "layer_gate_directory"
#: Layers are the directories of this directory (relative to the rootdir, which holds pyproject.toml).
TESTS = "tests"


def layer_of_nodeid(nodeid: str) -> str | None:
    parts = nodeid.split("::", 1)[0].split("/")
    return parts[1] if len(parts) > 2 and parts[0] == TESTS else None


def module_of_nodeid(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def layer_of_argument(argument: str) -> str | None:
    """The layer a command-line argument names (``tests/e2e``, ``tests/e2e/test_demo.py::test_x``), if any."""
    parts = Path(argument.split("::", 1)[0]).parts
    return parts[1] if len(parts) > 1 and parts[0] == TESTS and not parts[1].endswith(".py") else None


def group_of(item: pytest.Item) -> str | None:
    """The name of the ``xdist_group`` the item is marked with (``xdist_group("x")`` or ``(name="x")``)."""
    marker = item.get_closest_marker("xdist_group")
    if marker is None:
        return None
    name = marker.kwargs.get("name", marker.args[0] if marker.args else None)
    if not isinstance(name, str) or not name:
        raise pytest.UsageError(f"{item.nodeid}: xdist_group needs a name, as xdist_group(name='browser')")
    return name


def units_of(items: Iterable[pytest.Item]) -> dict[str, str]:
    """The modules a worker keeps together and the unit each goes out in: its ``xdist_group`` (every module of
    the group goes to one worker), else the module itself when it uses a module fixture of the tests."""
    units: dict[str, str] = {}
    for item in items:
        module = module_of_nodeid(item.nodeid)
        group = group_of(item)
        if group is not None:
            units[module] = f"xdist_group:{group}"
        elif module not in units and uses_a_module_fixture_of_the_tests(item):
            units[module] = module
    return units


def uses_a_module_fixture_of_the_tests(item: pytest.Item) -> bool:
    """Whether the item uses a module-scoped fixture defined under tests/ (not by pytest or a plugin)."""
    fixture_info = getattr(item, "_fixtureinfo", None)
    if fixture_info is None:
        return False
    return any(
        definition.scope == "module" and definition.baseid.startswith(f"{TESTS}/")
        for definitions in fixture_info.name2fixturedefs.values()
        for definition in definitions
    )


class ModuleFixtureScheduling(LoadScopeScheduling):  # type: ignore[misc]  # xdist ships no type hints
    """xdist's scope scheduling where a scope is the unit the workers named for a module (the module, or its
    ``xdist_group``), and a single test otherwise (``--no-loadscope-reorder`` keeps the session's order: a unit
    goes out where its first test stands)."""

    def __init__(self, config: pytest.Config, log: Any, modules_directory: Path) -> None:
        super().__init__(config, log)
        self.modules_directory = modules_directory
        self._units: dict[str, str] | None = None

    def _split_scope(self, nodeid: str) -> str:
        if self._units is None:  # the first call comes once every worker has collected
            self._units = {}
            for path in sorted(self.modules_directory.iterdir()):
                self._units.update(json.loads(path.read_text()))
        return self._units.get(module_of_nodeid(nodeid), nodeid)


class LayerGate:
    """The session's layers in order and the ones that failed, shared through the controller's directory so
    that every worker sees a failure on any other before its next test."""

    def __init__(self, directory: Path, owns_directory: bool, worker: str | None) -> None:
        self.directory = directory
        self.owns_directory = owns_directory
        self.worker = worker
        self.failed_directory = directory / "failed"
        self.modules_directory = directory / "modules"
        self.order: list[str] = []

    @classmethod
    def for_process(cls, config: pytest.Config) -> LayerGate:
        workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
        if workerinput is not None:
            gate = cls(Path(workerinput[GATE_DIRECTORY]), owns_directory=False, worker=workerinput["workerid"])
        else:
            gate = cls(Path(tempfile.mkdtemp(prefix="layer-gate-")), owns_directory=True, worker=None)
            gate.failed_directory.mkdir()
            gate.modules_directory.mkdir()
        gate._record_order(layer_of_argument(argument) for argument in config.args)
        return gate

    def _record_order(self, layers: Iterable[str | None]) -> None:
        for layer in layers:
            if layer is not None and layer not in self.order:
                self.order.append(layer)

    def failed(self) -> list[str]:
        found = {path.name for path in self.failed_directory.iterdir()}
        return [layer for layer in self.order if layer in found]

    def blocking(self, layer: str) -> str | None:
        """The first failed layer that runs before ``layer``, if any."""
        if layer not in self.order:
            return None
        position = self.order.index(layer)
        return next((failed for failed in self.failed() if self.order.index(failed) < position), None)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """xdist's controller: each worker records in the controller's directory."""
        node.workerinput[GATE_DIRECTORY] = str(self.directory)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, ids: list[str]) -> None:
        """xdist's controller learns the order from its workers."""
        self._record_order(layer_of_nodeid(nodeid) for nodeid in ids)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        if config.getvalue("dist") != "loadgroup":
            return None
        return ModuleFixtureScheduling(config, log, self.modules_directory)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self._record_order(layer_of_nodeid(item.nodeid) for item in items)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """A worker names its units once every hook has ordered and marked the items."""
        if self.worker is not None:
            (self.modules_directory / f"{self.worker}.json").write_text(json.dumps(units_of(session.items)))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        layer = layer_of_nodeid(item.nodeid)
        blocked_by = self.blocking(layer) if layer is not None else None
        if blocked_by is not None:
            pytest.skip(f"{TESTS}/{blocked_by} failed: later layers not run")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        layer = layer_of_nodeid(report.nodeid)
        if report.failed and layer is not None:
            (self.failed_directory / layer).touch()

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        failed = self.failed()
        if failed and failed[0] != self.order[-1]:
            message = f"== {TESTS}/{failed[0]} failed: later layers not run"
            terminalreporter.write_line(message, red=True, bold=True)

    def pytest_unconfigure(self) -> None:
        if self.owns_directory:
            shutil.rmtree(self.directory, ignore_errors=True)
