"""A stopped local cloud leaves the process as it found it: handler tests run after it in the same worker."""

from __future__ import annotations

import gc
import os

from localcloud import boot_heap
from localcloud.cloud import LocalCloud
from localcloud.shop import Shopper


def test_the_functions_environments_are_gone_once_the_cloud_stops() -> None:
    before = dict(os.environ)
    with LocalCloud.boot("dev") as cloud:
        Shopper(cloud.api, email="env@example.com").place_order([("MUG-LOGO", 1)])
        cloud.wait_idle()
        assert os.environ.get("PAYMENT_INTENTS_TABLE") == "eventshop-dev-payment-intents", "an invocation ran"

    assert dict(os.environ) == before


def test_the_boot_heap_is_frozen_while_the_cloud_runs_and_given_back_when_it_stops() -> None:
    running = boot_heap.holders()  # another test's cloud may still run in this worker
    with LocalCloud.boot("dev") as cloud:
        # moto's backends, botocore's data and the functions' modules: out of the run's collections.
        assert gc.get_freeze_count() > 100_000
        assert gc.get_threshold()[2] == boot_heap.MIDDLE_COLLECTIONS_PER_FULL
        assert boot_heap.holders() == running + 1
        Shopper(cloud.api, email="heap@example.com").place_order([("MUG-LOGO", 1)])
        cloud.wait_idle()
    assert boot_heap.holders() == running
    if not running:
        assert gc.get_freeze_count() == 0
