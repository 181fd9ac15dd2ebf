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

A process that boots many clouds (a test worker boots about a dozen) keeps the heap frozen between them. A
boot runs with cycle collection deferred, so everything it allocated is still in the young generations: a
young collection finds the boot's garbage without walking the frozen heap. Walking the whole heap again, as
every boot did, cost 0.2 s in a bare process and 0.35-0.9 s in a test worker, per boot; what it found of a
stopped cloud was little, since most of a cloud is freed by reference counting when it goes (42,000 objects,
10 MiB, measured over six boots). So a boot collects the whole heap only once the frozen heap has grown by
``FULL_COLLECTION_GROWTH`` since the last whole collection, CPython's own rule for its oldest generation:
the garbage left frozen stays under that share of the heap, and the whole walks are amortized over the boots.
"""

from __future__ import annotations

import gc
import threading
from dataclasses import dataclass, field

#: Collections of the middle generation between two full ones while a cloud runs (CPython's default: 10).
MIDDLE_COLLECTIONS_PER_FULL = 100
#: A boot collects the whole heap once the frozen heap grew by this share since the last whole collection.
FULL_COLLECTION_GROWTH = 0.25


@dataclass
class _FrozenHeap:
    #: Clouds running with the boot heap frozen; the thresholds are put back when the last one stops.
    holders: int = 0
    #: The collector's thresholds before the first cloud froze the heap.
    thresholds: tuple[int, int, int] = (0, 0, 0)
    #: Objects frozen right after the last whole collection (0: the heap was never collected whole by a boot).
    frozen_after_full: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


_heap = _FrozenHeap()


def _grown_past_the_last_full_collection() -> bool:
    base = _heap.frozen_after_full
    return base == 0 or gc.get_freeze_count() > base * (1 + FULL_COLLECTION_GROWTH)


def freeze_after_boot() -> int:
    """Collect the boot's garbage, then freeze what survives, and space the full collections out while the
    cloud runs. Returns how many objects are now frozen."""
    with _heap.lock:
        _heap.holders += 1
        gc.collect(1)  # the young generations: what the boot allocated
        gc.freeze()
        if _grown_past_the_last_full_collection():
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            _heap.frozen_after_full = gc.get_freeze_count()
        if _heap.holders == 1:
            _heap.thresholds = gc.get_threshold()
            young, middle, _ = _heap.thresholds
            gc.set_threshold(young, middle, MIDDLE_COLLECTIONS_PER_FULL)
        return gc.get_freeze_count()


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
