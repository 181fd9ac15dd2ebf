"""`make test`'s one session over every layer keeps what running layer by layer gave (tests/conftest.py).

A throwaway tree with tests/conftest.py and a few small layers runs under pytest with two xdist workers, as
`make test` runs them: the gate skips the layers after a failing one (in the command line's order), naming it;
a module with a module-scoped fixture keeps to one worker, so the fixture is built once; and the tests of an
``xdist_group`` keep to one worker together.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.ci.throwaway_sessions import NO_BOTOCORE_DATA, make_tree, run_layers

FAILING = """
def test_breaks():
    assert 1 == 2

def test_holds():
    assert True
"""
#: The other worker's test of the failing layer finishes only once the failure is recorded, so neither worker
#: can start a later layer's test before the gate is shut, whatever the scheduling.
FAILING_ACROSS_WORKERS = """
import pathlib
import time

def test_breaks():
    assert 1 == 2

def test_finishes_once_the_failure_is_recorded(request):
    failed = pathlib.Path(request.config.workerinput["layer_gate_directory"]) / "failed" / "broken"
    deadline = time.monotonic() + 120
    while not failed.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert failed.exists()
"""
PASSING = """
import pytest

@pytest.mark.parametrize("n", range(4))
def test_holds(n):
    assert n >= 0
"""
MODULE_FIXTURE = """
import os
import pytest

@pytest.fixture(scope="module")
def booted(tmp_path_factory):
    with open(os.environ["BUILDS_FILE"], "a") as builds:
        builds.write(os.environ.get("PYTEST_XDIST_WORKER", "main") + "\\n")
    return True

@pytest.mark.parametrize("n", range(12))
def test_uses_the_fixture(booted, n):
    assert booted
"""


def test_a_failing_layer_skips_the_later_layers_naming_it(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        {"fast": {"test_fast.py": PASSING}, "broken": {"test_broken.py": FAILING}, "slow": {"test_slow.py": PASSING}},
    )
    run = run_layers(tmp_path, ["fast", "broken", "slow"])

    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed, 5 passed, 4 skipped" in run.stdout, run.stdout
    assert "SKIPPED [4] " in run.stdout and "tests/broken failed: later layers not run" in run.stdout, run.stdout
    assert "== tests/broken failed: later layers not run" in run.stdout


def test_a_failure_on_one_worker_shuts_the_gate_for_the_other(tmp_path: Path) -> None:
    make_tree(tmp_path, {"broken": {"test_broken.py": FAILING_ACROSS_WORKERS}, "slow": {"test_slow.py": PASSING}})
    run = run_layers(tmp_path, ["broken", "slow"], "-n", "2", "--dist", "loadgroup", "--no-loadscope-reorder")

    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed, 1 passed, 4 skipped" in run.stdout, run.stdout
    assert "== tests/broken failed: later layers not run" in run.stdout


def test_without_a_failure_every_layer_runs_and_the_last_layers_failure_blocks_nothing(tmp_path: Path) -> None:
    make_tree(tmp_path, {"fast": {"test_fast.py": PASSING}, "broken": {"test_broken.py": FAILING}})
    run = run_layers(tmp_path, ["fast", "broken"])

    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed, 5 passed in" in run.stdout, run.stdout
    assert "later layers not run" not in run.stdout


#: A layer whose tests are collected ahead of every other layer's (its conftest moves them to the front).
COLLECTED_FIRST = (
    NO_BOTOCORE_DATA
    + """

def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: "/late/" not in str(item.path))
"""
)


def test_the_layers_order_is_the_command_lines_even_when_a_later_layer_is_collected_first(tmp_path: Path) -> None:
    make_tree(
        tmp_path, {"fast": {"test_fast.py": PASSING}, "late": {"conftest.py": COLLECTED_FIRST, "test_late.py": FAILING}}
    )
    run = run_layers(tmp_path, ["fast", "late"], "-n", "2", "--dist", "loadgroup", "--no-loadscope-reorder")

    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed, 5 passed in" in run.stdout, run.stdout
    assert "later layers not run" not in run.stdout


GROUPED = """
import os
import pytest

pytestmark = pytest.mark.xdist_group(name="one-browser")

@pytest.mark.parametrize("n", range(3))
def test_in_the_group(n):
    with open(os.path.join(os.path.dirname(os.environ["BUILDS_FILE"]), "group-workers"), "a") as workers:
        workers.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
"""


@pytest.fixture(scope="module")
def grouping_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """One throwaway session for both grouping rules (each of its test processes costs CPU): the group's tests
    are collected first, so spread one by one they would land on both workers."""
    tree = tmp_path_factory.mktemp("grouping")
    layers = {
        "grouped": {"test_a.py": GROUPED, "test_b.py": GROUPED},
        "spread": {"test_spread.py": PASSING},
        "booting": {"test_booting.py": MODULE_FIXTURE, "test_more.py": PASSING},
    }
    make_tree(tree, layers)
    return tree, run_layers(tree, list(layers), "-n", "2", "--dist", "loadgroup", "--no-loadscope-reorder")


def test_a_module_with_a_module_fixture_keeps_to_one_worker_so_the_fixture_is_built_once(
    grouping_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    tree, run = grouping_run
    assert run.returncode == 0, run.stdout + run.stderr
    assert "26 passed" in run.stdout, run.stdout
    builds = (tree / "builds").read_text().split()
    assert len(builds) == 1, f"the module fixture was built on {builds}"


def test_the_tests_of_an_xdist_group_keep_to_one_worker_across_modules(
    grouping_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    tree, run = grouping_run
    assert run.returncode == 0, run.stdout + run.stderr
    workers = (tree / "group-workers").read_text().split()
    assert len(workers) == 6 and len(set(workers)) == 1, f"the group's tests ran on {workers}"
