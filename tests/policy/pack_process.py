"""The policy pack's own process, as the Pulumi engine starts it: `python -m pulumi.policy <engine> <pack dir>`.

Kept apart from the tests that talk to it: a spawned process imports the module of its target, and this one
imports only what the engine's process has, not the test module's gRPC stubs, program runs and policies.
"""

from __future__ import annotations

import io
import multiprocessing.queues
import os
import runpy
import sys
from pathlib import Path
from typing import Any

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"


class _PortStream(io.RawIOBase):
    """The pack's stdout: it writes the port it listens on there, as the engine expects."""

    def __init__(self, sink: multiprocessing.queues.Queue[bytes]) -> None:
        super().__init__()
        self.sink = sink

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.sink.put(bytes(data))
        return len(data)


def serve_pack(sink: multiprocessing.queues.Queue[bytes]) -> None:
    """What the engine's `pulumi-analyzer-policy-python` does: `python -m pulumi.policy <engine> <pack dir>`."""
    sys.stdout = io.TextIOWrapper(_PortStream(sink), write_through=True)
    sys.argv = ["pulumi.policy", "127.0.0.1:1", str(POLICY_DIR)]
    os.chdir(POLICY_DIR)
    runpy.run_module("pulumi.policy", run_name="__main__", alter_sys=True)
