"""localcloud.boot_heap: the boot's live heap frozen out of the run's collections, its garbage collected first,
the whole heap walked again only once the boots froze a share of it."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator

import pytest

from localcloud import boot_heap


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


@pytest.fixture(autouse=True)
def fresh_heap(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts as a process that never booted a cloud, and leaves the collector as it found it."""
    assert boot_heap.holders() == 0, "no cloud runs during these tests"
    thresholds = gc.get_threshold()
    gc.unfreeze()
    monkeypatch.setattr(boot_heap, "_heap", boot_heap._FrozenHeap())
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def _cycle() -> tuple[_Node, weakref.ref[_Node]]:
    first, second = _Node(), _Node()
    first.other, second.other = second, first
    return first, weakref.ref(second)


def _generations_collected_during_a_boot() -> list[int]:
    """The generations the collector walked for ``freeze_after_boot`` (not for another thread's allocations)."""
    generations: list[int] = []
    booting = threading.get_ident()

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and threading.get_ident() == booting:
            generations.append(info["generation"])

    gc.callbacks.append(record)
    try:
        boot_heap.freeze_after_boot()
    finally:
        gc.callbacks.remove(record)
    return generations


def test_the_boot_s_garbage_is_collected_and_what_lives_is_frozen() -> None:
    was_enabled = gc.isenabled()
    gc.disable()  # as during a boot: nothing collects the cycles the boot drops
    try:
        kept, kept_ref = _cycle()
        dropped, dropped_ref = _cycle()
        del dropped
        boot_heap.freeze_after_boot()
    finally:
        if was_enabled:
            gc.enable()

    assert dropped_ref() is None, "a cycle the boot dropped is collected, not frozen"
    assert kept_ref() is kept.other
    assert gc.get_freeze_count() > 1000
    assert not any(obj is kept for obj in gc.get_objects()), "what lives is out of the collector's generations"


def test_a_later_boot_collects_what_it_allocated_without_walking_the_frozen_heap() -> None:
    frozen_then_dropped, frozen_ref = _cycle()
    boot_heap.freeze_after_boot()
    boot_heap.release_at_stop()
    del frozen_then_dropped  # the first cloud's garbage, frozen with its heap

    was_enabled = gc.isenabled()
    gc.disable()  # the second boot
    try:
        dropped, dropped_ref = _cycle()
        del dropped
        generations = _generations_collected_during_a_boot()
    finally:
        if was_enabled:
            gc.enable()

    assert generations == [1], "the young generations only: the boot froze far less than the share"
    assert dropped_ref() is None, "the second boot's own garbage is collected"
    assert frozen_ref() is not None, "the frozen heap is not walked, so the first cloud's garbage waits"


def test_a_boot_walks_the_whole_heap_once_the_boots_since_froze_its_share_of_it() -> None:
    frozen_then_dropped, frozen_ref = _cycle()
    boot_heap.freeze_after_boot()
    boot_heap.release_at_stop()
    del frozen_then_dropped
    base = gc.get_freeze_count()

    below: list[list[None]] = [[] for _ in range(int(base * boot_heap.FULL_COLLECTION_GROWTH * 0.5))]
    assert _generations_collected_during_a_boot() == [1]
    boot_heap.release_at_stop()
    assert frozen_ref() is not None

    past: list[list[None]] = [[] for _ in range(int(base * boot_heap.FULL_COLLECTION_GROWTH * 0.6))]
    assert _generations_collected_during_a_boot() == [1, 2], "the young generations, then the whole heap"
    assert frozen_ref() is None, "the whole walk reclaims the garbage frozen by earlier boots"
    in_the_generations = {id(obj) for obj in gc.get_objects()}
    assert not {id(below), id(below[0]), id(past), id(past[-1])} & in_the_generations, "what lives is frozen again"

    boot_heap.release_at_stop()
    assert _generations_collected_during_a_boot() == [1], "the count starts again from the whole collection"


def test_the_thresholds_are_put_back_when_the_last_cloud_stops_and_the_heap_stays_frozen() -> None:
    before = gc.get_threshold()
    boot_heap.freeze_after_boot()
    boot_heap.freeze_after_boot()
    assert boot_heap.holders() == 2
    assert gc.get_threshold() == (before[0], before[1], boot_heap.MIDDLE_COLLECTIONS_PER_FULL)

    boot_heap.release_at_stop()
    assert gc.get_threshold()[2] == boot_heap.MIDDLE_COLLECTIONS_PER_FULL, "another cloud still runs"
    frozen = gc.get_freeze_count()
    boot_heap.release_at_stop()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen, "the next boot decides what to walk"
    boot_heap.release_at_stop()  # a stop with no cloud running changes nothing
    assert boot_heap.holders() == 0
    assert gc.get_threshold() == before
