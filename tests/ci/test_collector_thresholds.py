"""The test processes run their full garbage collections ten times less often than CPython's default
(tests/conftest.py), as the local cloud does while it runs."""

from __future__ import annotations

import gc

from localcloud import boot_heap


def test_a_test_process_collects_its_oldest_generation_every_hundred_middle_collections() -> None:
    assert boot_heap.holders() == 0, "no cloud runs here (a running cloud sets its own thresholds)"
    assert gc.get_threshold()[2] == boot_heap.MIDDLE_COLLECTIONS_PER_FULL == 100
