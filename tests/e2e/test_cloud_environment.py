"""A stopped local cloud leaves the process as it found it: handler tests run after it in the same worker.

One cloud's life is observed (a boot, an order, the stop) and each test checks what it left behind. The boot's heap
stays frozen for the next boot to decide on (localcloud/boot_heap.py); the collector's thresholds are put back."""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass

import pytest

from localcloud import boot_heap
from localcloud.shop import Shopper
from tests import shared_cloud


@dataclass(frozen=True)
class Observed:
    """The process before a cloud booted, while it ran an order, and once it stopped."""

    environment_before: dict[str, str]
    environment_running: dict[str, str]
    environment_after: dict[str, str]
    #: Clouds holding the heap frozen: before the boot, while it ran, after it stopped.
    holders: tuple[int, int, int]
    frozen_running: int
    full_collection_threshold_running: int
    #: The collector's thresholds before the boot and once the cloud stopped.
    thresholds: tuple[tuple[int, int, int], tuple[int, int, int]]


@pytest.fixture(scope="module")
def observed() -> Observed:
    environment_before = dict(os.environ)
    holders_before = boot_heap.holders()
    thresholds_before = gc.get_threshold()
    with shared_cloud.own_cloud() as cloud:
        # moto's backends, botocore's data and the functions' modules: out of the run's collections.
        frozen_running = gc.get_freeze_count()
        threshold = gc.get_threshold()[2]
        holders_running = boot_heap.holders()
        Shopper(cloud.api, email="env@example.com").place_order([("MUG-LOGO", 1)])
        cloud.wait_idle()
        environment_running = dict(os.environ)
    return Observed(
        environment_before,
        environment_running,
        dict(os.environ),
        (holders_before, holders_running, boot_heap.holders()),
        frozen_running,
        threshold,
        (thresholds_before, gc.get_threshold()),
    )


def test_the_functions_environments_are_gone_once_the_cloud_stops(observed: Observed) -> None:
    running = observed.environment_running
    assert running.get("PAYMENT_INTENTS_TABLE") == "eventshop-dev-payment-intents", "an invocation ran"
    assert observed.environment_after == observed.environment_before


def test_the_boot_heap_is_frozen_while_the_cloud_runs_and_the_collector_s_thresholds_put_back_at_stop(
    observed: Observed,
) -> None:
    before, running, after = observed.holders
    assert observed.frozen_running > 100_000
    assert observed.full_collection_threshold_running == boot_heap.MIDDLE_COLLECTIONS_PER_FULL
    assert running == before + 1
    assert after == before
    if not before:
        thresholds_before, thresholds_after = observed.thresholds
        assert thresholds_after == thresholds_before
