"""An xdist worker leaves without finalizing its interpreter once it has reported everything.

When pytest unconfigures a worker, the worker has already sent the controller every report and its exit status
(xdist's ``workerfinished`` event, from its ``pytest_sessionfinish``). What is left is the interpreter's
finalization: about 2,700 modules and what they hold (moto's backends, botocore's models, Pulumi, Playwright)
torn down object by object, 1.2 s for a small run and 4.6 s at the end of `make test`, while the controller
waits for the worker's process to end. The worker ends with ``os._exit`` instead.

A worker with a thread still running that is not a daemon finalizes as usual, which joins the thread: a test
that leaves one behind still holds the run up where it did, rather than the thread being cut off. An idle
worker thread of a ``concurrent.futures`` pool (asyncio's default executor, which Pulumi's runtime leaves
behind) does not count: finalization tells it to stop and it ends at once.
"""

from __future__ import annotations

import os
import sys
import threading
from concurrent.futures import thread as pool_threads

import pytest


def leaves_without_finalization(config: pytest.Config) -> bool:
    """Whether this process is an xdist worker with nothing left running that finalization would wait for."""
    if getattr(config, "workerinput", None) is None:
        return False
    current = threading.current_thread()
    # The pools' threads, which finalization stops before joining (the module's registry of them).
    pooled = set(getattr(pool_threads, "_threads_queues", {}))
    return not any(
        thread.is_alive() and not thread.daemon and thread not in pooled
        for thread in threading.enumerate()
        if thread is not current
    )


class WorkerExit:
    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if leaves_without_finalization(config):
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)  # the status went to the controller with the reports
