"""The count of work in flight (localcloud/runtime.py): a wait for the cloud to turn idle looks again as soon as
the work running ends (``LocalCloud.idle_within``), not at its next poll."""

from __future__ import annotations

import threading

from localcloud.runtime import BusyCounter

#: The bound of a wait that must end early: reached only when the behaviour is broken.
LONG_BOUND_SECONDS = 30.0
#: The bound of a wait that must run out.
SHORT_BOUND_SECONDS = 0.01


def test_a_wait_for_drain_returns_when_the_work_running_ends_in_another_thread() -> None:
    work = BusyCounter()
    work.enter()
    seen = work.drains
    worker = threading.Thread(target=work.leave)

    worker.start()
    drained = work.wait_for_drain(seen, LONG_BOUND_SECONDS)
    worker.join(LONG_BOUND_SECONDS)

    assert drained is True
    assert (work.count, work.drains) == (0, seen + 1)


def test_a_drain_since_the_count_was_read_ends_the_wait_at_once() -> None:
    work = BusyCounter()
    seen = work.drains
    with work.busy():
        pass  # ends between the read and the wait

    assert work.wait_for_drain(seen, LONG_BOUND_SECONDS) is True


def test_without_a_drain_since_the_count_was_read_the_wait_runs_out_at_its_bound() -> None:
    work = BusyCounter()
    with work.busy():
        pass  # a drain before the count is read
    seen = work.drains

    assert work.wait_for_drain(seen, SHORT_BOUND_SECONDS) is False


def test_nested_work_drains_once_the_last_of_it_ends() -> None:
    work = BusyCounter()
    work.enter()
    work.enter()
    seen = work.drains
    work.leave()

    assert work.wait_for_drain(seen, SHORT_BOUND_SECONDS) is False, "one piece of work still runs"
    work.leave()
    assert work.wait_for_drain(seen, LONG_BOUND_SECONDS) is True
