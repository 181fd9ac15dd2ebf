"""A controllable clock: wall time plus whatever the user (or a test) has advanced it by.

Everything in the local cloud that waits (visibility timeouts before a failed message is retried,
asynchronous retry back-off, maximum event age, and later Scheduler schedules) waits on this clock, so a
test advances it instead of sleeping, and a retry that takes a minute on AWS takes no time here.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(order=True)
class _Timer:
    due: float
    sequence: int
    action: Callable[[], None] = field(compare=False)
    label: str = field(compare=False, default="")


class Clock:
    """``now()`` in epoch seconds; ``call_at`` runs an action once the clock reaches a time."""

    def __init__(self, start_offset: float = 0.0) -> None:
        self._offset = start_offset
        self._timers: list[_Timer] = []
        self._sequence = itertools.count()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._running = False
        self._watchers: list[Callable[[float], None]] = []

    def watch(self, watcher: Callable[[float], None]) -> None:
        """Call ``watcher(now)`` whenever the clock checks for due work (each advance and each tick).

        For work whose due times live elsewhere (Scheduler schedules in moto) rather than in timers.
        """
        with self._lock:
            self._watchers.append(watcher)

    def now(self) -> float:
        return time.time() + self._offset

    @property
    def offset(self) -> float:
        return self._offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward; due timers fire at once (on the clock's thread). Returns the new time."""
        if seconds < 0:
            raise ValueError(f"the clock only moves forward, got {seconds} seconds")
        with self._lock:
            self._offset += seconds
            self._wake.notify_all()
        self.fire_due()
        return self.now()

    def call_at(self, due: float, action: Callable[[], None], label: str = "") -> _Timer:
        timer = _Timer(due, next(self._sequence), action, label)
        with self._lock:
            heapq.heappush(self._timers, timer)
            self._wake.notify_all()
        return timer

    def call_later(self, delay: float, action: Callable[[], None], label: str = "") -> _Timer:
        return self.call_at(self.now() + delay, action, label)

    def cancel(self, timer: _Timer) -> bool:
        """Forget a timer that is no longer needed (its wait ended early); ``False`` if it already ran."""
        with self._lock:
            try:
                self._timers.remove(timer)
            except ValueError:
                return False
            heapq.heapify(self._timers)
            return True

    @property
    def pending(self) -> int:
        """Timers not yet due (parked retries, scheduled deliveries)."""
        with self._lock:
            return len(self._timers)

    def next_due(self) -> float | None:
        with self._lock:
            return self._timers[0].due if self._timers else None

    def fire_due(self) -> int:
        """Run every timer that is due now, then the watchers; returns how many timers ran."""
        fired = self._fire_timers()
        with self._lock:
            watchers = list(self._watchers)
        for watcher in watchers:
            watcher(self.now())
        return fired

    def _fire_timers(self) -> int:
        fired = 0
        while True:
            with self._lock:
                if not self._timers or self._timers[0].due > self.now():
                    return fired
                timer = heapq.heappop(self._timers)
            timer.action()
            fired += 1

    def start(self) -> None:
        """Fire timers as wall time reaches them, on a daemon thread."""
        self._running = True
        self._thread = threading.Thread(target=self._run, name="localcloud-clock", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._running = False
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._running:
                    return
                wait = 0.5 if not self._timers else max(0.0, min(0.5, self._timers[0].due - self.now()))
                self._wake.wait(wait)
                if not self._running:
                    return
            self.fire_due()
