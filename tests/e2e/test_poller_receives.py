"""Lambda's SQS pollers long-poll: each ReceiveMessage they make brings a batch, however long a queue stays
empty and however many poller threads a mapping has (the receives are billed, and counted by IAM-by-use and
``make bench``). Only a long poll that runs out (20 s of an empty queue) is answered empty; here none runs out,
so every receive is a batch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localcloud import pollers
from localcloud.call_counter import CallCounter
from localcloud.cloud import LocalCloud
from localcloud.shop import DECLINE, Shopper


@pytest.fixture(scope="module", autouse=True)
def long_polls_that_do_not_run_out() -> Iterator[None]:
    """Set before the module's own cloud boots (an autouse fixture comes first in its scope)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pollers, "LONG_POLL_SECONDS", 24 * 60 * 60)
        yield


def test_every_receive_of_every_poller_brings_a_batch(cloud: LocalCloud, shopper: Shopper) -> None:
    calls = CallCounter()
    with calls.counting():
        for index in range(3):
            shopper.place_order([("MUG-LOGO", 1)], customer_id=f"receives-{index}")
        shopper.place_order([("TSHIRT-BLACK-M", 1)], token=DECLINE, customer_id="receives-declined")
        shopper.add_to_cart("cart-receives", "MUG-LOGO")
        cloud.settle()

    batches = {poller.function.spec.name: 0 for poller in cloud.pollers}
    for entry in cloud.trace.entries(kind="invoke"):
        if entry.where in batches:
            batches[entry.where] += 1
    receives = {name: calls.counts[(name, "sqs:ReceiveMessage")] for name in batches}
    assert receives == batches
    assert sum(batches.values()) >= 4 * 2, "billing and warehouse ran a batch per order at least"
