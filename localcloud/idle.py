"""Whether the local cloud is idle: nothing running, nothing queued, nothing visible in a polled queue, no stream
record unhandled, no execution running. Parked work (a retry, a message in its visibility timeout, an execution
waiting on the clock or for its token) does not count: the clock releases it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from localcloud import queue_clock, stepfunctions
from localcloud.async_invoke import AsyncInvoker
from localcloud.pollers import QueuePoller
from localcloud.runtime import Runtime
from localcloud.streams import StreamPoller

#: Idle must be seen twice this far apart: work handed from one thread to another between two looks shows.
SECOND_LOOK_SECONDS = 0.02


class IdleCheck:
    """``reasons()`` names what keeps the cloud busy now (empty when it is idle)."""

    def __init__(
        self,
        runtime: Runtime,
        invoker: AsyncInvoker,
        pollers: Sequence[QueuePoller],
        stream_pollers: Sequence[StreamPoller],
    ) -> None:
        self.runtime = runtime
        self.invoker = invoker
        self.pollers = pollers
        self.stream_pollers = stream_pollers

    def idle_within(self, timeout: float) -> bool:
        """Whether the cloud turns idle (twice in a row, ``SECOND_LOOK_SECONDS`` apart) within ``timeout`` s,
        returning once it does; while busy, it looks again as soon as the work in flight ends (at the latest
        after ``SECOND_LOOK_SECONDS``)."""
        deadline = time.monotonic() + timeout
        streak = 0
        while (left := deadline - time.monotonic()) > 0:
            drains = self.runtime.work.drains  # before the look: work ending during it still wakes the wait
            if not self.reasons():
                streak += 1
                if streak >= 2:
                    return True
                time.sleep(min(SECOND_LOOK_SECONDS, left))
            else:
                streak = 0
                self.runtime.work.wait_for_drain(drains, min(SECOND_LOOK_SECONDS, left))
        return False

    def reasons(self) -> list[str]:
        """The first kind of work found; work running is looked at again last, as the other checks take time."""
        for check in (self._work_running, self._messages_waiting, self._executions_running, self._work_running):
            reasons = check()
            if reasons:
                return reasons
        return []

    def _work_running(self) -> list[str]:
        running = self.runtime.work.count
        if running:
            return [f"{running} deliveries or invocations running"]
        return ["asynchronous invocations queued"] if self.invoker.queued else []

    def _messages_waiting(self) -> list[str]:
        account, region = self.runtime.account, self.runtime.region
        for poller in self.pollers:
            if poller.gate.closed or self.runtime.faults.paused_until(poller.function.spec.name) is not None:
                continue  # a held or paused consumer's queue fills on purpose (a timer marks a pause's end)
            info = poller.queue
            if queue_clock.visible_messages(account, region, info.name):  # moto's own count, not a caller's read
                return [f"messages visible in {info.name}"]
        if any(poller.pending() for poller in self.stream_pollers):
            return ["stream records not yet handled"]
        return [f"a poller holds messages of {poller.queue.name}" for poller in self.pollers if poller.holding()]

    def _executions_running(self) -> list[str]:
        # An execution waiting on the clock or for its task token is parked, not busy.
        busy = stepfunctions.busy_executions(self.runtime.account, self.runtime.region)
        return [f"execution running: {arn}" for arn in busy]
