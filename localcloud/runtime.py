"""What the local cloud's working parts share while it runs: the clock, the trace, the cloud's own clients, the
call recorder, the fault injector, and the count of work in flight that ``wait_idle`` reads.

The async invoker, the rule-target delivery and the stream pollers get this object, not the ``LocalCloud``
that composes them, so each depends on what it uses and none can reach into another.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from localcloud.clients import Clients
from localcloud.clock import Clock
from localcloud.faults import FaultInjector
from localcloud.iam import CallRecorder
from localcloud.trace import Trace


class BusyCounter:
    """Deliveries and invocations running now; the cloud is not idle while any is."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()
        #: Notified each time the count drops to none, so a wait for idleness looks again then.
        self._drained = threading.Condition(self._lock)
        self._drains = 0

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        self.enter()
        try:
            yield
        finally:
            self.leave()

    def enter(self) -> None:
        """Count work from now: call before handing it to another thread, so no idle moment falls between."""
        with self._lock:
            self._count += 1

    def leave(self) -> None:
        with self._lock:
            self._count -= 1
            if self._count == 0:
                self._drains += 1
                self._drained.notify_all()

    @property
    def drains(self) -> int:
        """How many times the count has dropped to none."""
        with self._lock:
            return self._drains

    def wait_for_drain(self, after: int, timeout: float) -> bool:
        """Block until the count has dropped to none since ``drains`` was ``after`` (at once if it has), at most
        ``timeout`` seconds; whether it has."""
        with self._lock:
            return self._drained.wait_for(lambda: self._drains != after, timeout)

    @property
    def count(self) -> int:
        with self._lock:
            return self._count


@dataclass(eq=False)
class Runtime:
    """The shared runtime of one cloud (see the module docstring); ``running`` turns false when it stops."""

    region: str
    account: str
    clock: Clock
    trace: Trace
    clients: Clients
    recorder: CallRecorder
    faults: FaultInjector
    work: BusyCounter = field(default_factory=BusyCounter)
    running: bool = False

    def busy(self) -> contextlib.AbstractContextManager[None]:
        """Count the block as work in flight."""
        return self.work.busy()
