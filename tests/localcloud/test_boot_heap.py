"""localcloud.boot_heap: the boot's live heap frozen out of the run's collections, its garbage collected first."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from localcloud import boot_heap


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


@pytest.fixture(autouse=True)
def no_frozen_heap() -> Iterator[None]:
    assert boot_heap.holders() == 0 and gc.get_freeze_count() == 0
    yield
    while boot_heap.holders():
        boot_heap.unfreeze_at_stop()
    assert gc.get_freeze_count() == 0


def _cycle() -> tuple[_Node, weakref.ref[_Node]]:
    first, second = _Node(), _Node()
    first.other, second.other = second, first
    return first, weakref.ref(second)


def test_the_boot_s_garbage_is_collected_and_what_lives_is_frozen() -> None:
    was_enabled = gc.isenabled()
    gc.disable()  # as during a boot: nothing collects the cycles the boot drops
    try:
        kept, kept_ref = _cycle()
        dropped, dropped_ref = _cycle()
        del dropped
        frozen = boot_heap.freeze_after_boot()
    finally:
        if was_enabled:
            gc.enable()

    assert dropped_ref() is None, "a cycle the boot dropped is collected, not frozen"
    assert kept_ref() is kept.other
    assert frozen > 1000 and gc.get_freeze_count() > 1000
    assert not any(obj is kept for obj in gc.get_objects()), "what lives is out of the collector's generations"


def test_the_heap_is_unfrozen_and_the_thresholds_put_back_when_the_last_cloud_stops() -> None:
    before = gc.get_threshold()
    boot_heap.freeze_after_boot()
    boot_heap.freeze_after_boot()
    assert boot_heap.holders() == 2
    assert gc.get_threshold() == (before[0], before[1], boot_heap.MIDDLE_COLLECTIONS_PER_FULL)

    boot_heap.unfreeze_at_stop()
    assert gc.get_freeze_count() > 0, "another cloud still runs"
    assert gc.get_threshold()[2] == boot_heap.MIDDLE_COLLECTIONS_PER_FULL
    boot_heap.unfreeze_at_stop()
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
    boot_heap.unfreeze_at_stop()  # a stop with nothing frozen changes nothing
    assert boot_heap.holders() == 0
