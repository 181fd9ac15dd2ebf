"""tests/worker_exit.py: an xdist worker that has reported everything leaves without finalizing its interpreter,
the run's result unchanged; the controller, and a worker with a thread still running, finalize as usual."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from tests.ci.throwaway_sessions import make_tree, run_layers
from tests.worker_exit import leaves_without_finalization

#: A passing and a failing test, and an exit handler that only interpreter finalization would run.
MODULE = """
import atexit
import pathlib

atexit.register(lambda: pathlib.Path("finalized").write_text("the worker finalized"))


def test_passes():
    assert True


def test_fails():
    assert 1 == 2, "the failure the controller must still report"
"""


def as_config(**attributes: Any) -> pytest.Config:
    return cast(pytest.Config, SimpleNamespace(**attributes))


def test_only_a_worker_leaves_without_finalization() -> None:
    assert leaves_without_finalization(as_config(workerinput={"workerid": "gw0"}))
    assert not leaves_without_finalization(as_config()), "the controller finalizes"


def test_a_worker_with_a_thread_still_running_finalizes_so_the_thread_is_joined() -> None:
    release = threading.Event()
    thread = threading.Thread(target=release.wait, name="left-running")
    thread.start()
    try:
        assert not leaves_without_finalization(as_config(workerinput={"workerid": "gw0"}))
    finally:
        release.set()
        thread.join()
    daemon = threading.Thread(target=release.wait, daemon=True)  # finalization would not wait for a daemon
    release.clear()
    daemon.start()
    try:
        assert leaves_without_finalization(as_config(workerinput={"workerid": "gw0"}))
    finally:
        release.set()
        daemon.join()


def test_an_idle_pool_thread_does_not_hold_the_worker_back() -> None:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="idle-pool") as pool:
        pool.submit(int).result()  # the pool's thread now waits for work; finalization would stop it
        assert any(thread.name.startswith("idle-pool") for thread in threading.enumerate())
        assert leaves_without_finalization(as_config(workerinput={"workerid": "gw0"}))


def test_a_worker_skips_finalization_and_the_run_still_reports_its_failure(tmp_path: Path) -> None:
    make_tree(tmp_path, {"exits": {"test_exits.py": MODULE}})
    run = run_layers(tmp_path, ["exits"], "-n", "1")

    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed, 1 passed" in run.stdout, run.stdout
    assert "the failure the controller must still report" in run.stdout, run.stdout
    assert not (tmp_path / "finalized").exists(), "the worker ran its exit handlers: it finalized"
