"""The boot's heap kept out of the cycle collector's passes while the cloud runs.

A booted cloud holds ~420,000 objects the collector tracks (moto's backends and models, botocore's parsed
service data, every function's own copy of its handler modules and clients) and keeps nearly all of them
until it stops. Each full collection during a run walked them all again: measured over 200 orders, the
collector took 16% of the run's CPU, two thirds of it in a handful of full collections. After the boot's
own garbage is collected, what is left is frozen (``gc.freeze``): the collections during the run look only
at what the run allocated (7% of its CPU, measured the same way).

With the boot's heap frozen, the oldest generation starts nearly empty, and CPython's rule (a full collection
once the objects promoted since the last one are a quarter of those that survived it) ran one every ten
middle-generation collections all through a run, each walking everything the run still holds: 13 full
collections in 200 orders, more than half of the collector's time. While a cloud runs, a full collection
waits for ``MIDDLE_COLLECTIONS_PER_FULL`` middle ones instead (2 in 200 orders): the collector's share of
the run's CPU 9% -> 4%, the peak memory unchanged (287 -> 288 MiB). The thresholds are put back at stop.

A process that boots many clouds (a test worker boots about a dozen) keeps the heap frozen between them. A boot
runs with cycle collection deferred, so everything it allocated is still in the young generations: a young
collection finds the boot's garbage without walking the frozen heap. Walking the whole heap again, as every boot
did, cost 0.2 s in a bare process and 0.35-0.9 s in a test worker, per boot, and found little of a stopped cloud,
whose objects mostly go by reference counting (42,000 garbage objects, 10 MiB, per cloud in a bare process; about
50,000 in a test worker). So a boot walks the whole heap only once the boots since the last whole walk froze
``FULL_COLLECTION_GROWTH`` of what that walk left: over the e2e and browser tests, 6 whole walks in 23 boots, the
collector's time at boots 4.5 CPU-s (every boot walking the whole heap: 16.8 CPU-s over 25 boots), each worker's
peak memory 375-400 MiB. The objects each boot freezes are counted as they are frozen, since the frozen heap's own
count (``gc.get_freeze_count``) walks all of it, 40-150 ms a call.
"""

from __future__ import annotations

import gc
import threading
from dataclasses import dataclass, field

#: Collections of the middle generation between two full ones while a cloud runs (CPython's default: 10).
MIDDLE_COLLECTIONS_PER_FULL = 100
#: A boot walks the whole heap once the boots since the last whole walk froze this share of what it left
#: (a quarter, CPython's own rule for its oldest generation, walked every other boot in a test worker).
FULL_COLLECTION_GROWTH = 0.5


@dataclass
class _FrozenHeap:
    #: Clouds running with the boot heap frozen; the thresholds are put back when the last one stops.
    holders: int = 0
    #: The collector's thresholds before the first cloud froze the heap.
    thresholds: tuple[int, int, int] = (0, 0, 0)
    #: Objects frozen by the last whole collection (0: no boot collected the whole heap yet), and by the boots since.
    frozen_by_full: int = 0
    frozen_since_full: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


_heap = _FrozenHeap()


def freeze_after_boot() -> None:
    """Collect the boot's garbage, then freeze what survives, and space the full collections out while the
    cloud runs."""
    with _heap.lock:
        _heap.holders += 1
        if _heap.frozen_by_full:
            gc.collect(1)  # the young generations: what the boot allocated
            # What is about to be frozen, counted by walking just those objects: the frozen heap's own count
            # (gc.get_freeze_count) walks all of it, 40-150 ms a call.
            _heap.frozen_since_full += len(gc.get_objects())
        if not _heap.frozen_by_full or _heap.frozen_since_full > _heap.frozen_by_full * FULL_COLLECTION_GROWTH:
            gc.unfreeze()
            gc.collect()
            _heap.frozen_by_full, _heap.frozen_since_full = len(gc.get_objects()), 0
        gc.freeze()
        if _heap.holders == 1:
            _heap.thresholds = gc.get_threshold()
            young, middle, _ = _heap.thresholds
            gc.set_threshold(young, middle, MIDDLE_COLLECTIONS_PER_FULL)


def release_at_stop() -> None:
    """One cloud stopped; when none is left running, the collector's thresholds are what they were. The heap
    stays frozen: the next boot collects the whole of it once it has grown enough (see the module's note)."""
    with _heap.lock:
        if _heap.holders == 0:
            return
        _heap.holders -= 1
        if _heap.holders == 0:
            gc.set_threshold(*_heap.thresholds)


def holders() -> int:
    """How many running clouds hold the heap frozen."""
    return _heap.holders
