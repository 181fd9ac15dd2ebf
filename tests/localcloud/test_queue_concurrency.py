"""One queue, many threads: what the local cloud's pollers and the bus do to a moto queue at the same time.

moto changes a queue's message list from several threads (each poller thread deletes its batch while the bus
sends); patch 10 of ``moto_patches`` makes those changes take turns. The threads switch every few
microseconds here, so an unguarded list rebuild is interrupted on nearly every run.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator

import pytest
from moto import mock_aws
from moto.sqs.models import SQSBackend, sqs_backends

from localcloud import moto_patches, queue_clock

ACCOUNT, REGION = "123456789012", "eu-west-1"


@pytest.fixture
def backend() -> Iterator[SQSBackend]:
    moto_patches.install()
    interval = sys.getswitchinterval()
    with mock_aws():
        sys.setswitchinterval(1e-5)
        try:
            yield sqs_backends[ACCOUNT][REGION]
        finally:
            sys.setswitchinterval(interval)


def run_together(*work: Callable[[], None]) -> None:
    threads = [threading.Thread(target=task) for task in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_deletes_racing_deletes_and_sends_leave_exactly_the_messages_not_deleted(backend: SQSBackend) -> None:
    backend.create_queue("busy")
    for number in range(400):
        backend.send_message("busy", f"early {number}")
    received = backend.receive_message("busy", 400, 0, 3600)
    assert len(received) == 400
    handles = [str(message.receipt_handle) for message in received]

    def delete(part: list[str]) -> Callable[[], None]:
        def delete_each() -> None:
            for handle in part:
                backend.delete_message("busy", handle)

        return delete_each

    def send_late() -> None:
        for number in range(200):
            backend.send_message("busy", f"late {number}")

    run_together(delete(handles[::2]), delete(handles[1::2]), send_late)

    queue = backend.get_queue("busy")
    bodies = sorted(message.body for message in queue._messages)
    assert bodies == sorted(f"late {number}" for number in range(200)), "a deleted message came back or a send was lost"
    assert queue_clock.in_flight(ACCOUNT, REGION, "busy") == set(), "no deleted message is held in flight"


def test_two_receivers_at_once_never_hand_out_the_same_message(backend: SQSBackend) -> None:
    backend.create_queue("shared")
    for number in range(300):
        backend.send_message("shared", f"m {number}")
    batches: list[list[str]] = [[], []]

    def receive_into(batch: list[str]) -> Callable[[], None]:
        def receive() -> None:
            while messages := backend.receive_message("shared", 10, 0, 3600):
                batch.extend(str(message.id) for message in messages)

        return receive

    run_together(receive_into(batches[0]), receive_into(batches[1]))

    assert len(batches[0]) + len(batches[1]) == 300
    assert not set(batches[0]) & set(batches[1]), "one message was received by both"
