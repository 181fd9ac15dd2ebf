"""SQS in moto on the local clock: delays, visibility timeouts and message age follow ``Clock.advance``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.sqs.models import sqs_backends

from localcloud import moto_patches, queue_clock
from localcloud.clock import Clock
from localcloud.pollers import PollerGate

ACCOUNT, REGION = "123456789012", "eu-west-1"


@pytest.fixture
def sqs(clock: Clock) -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("sqs", region_name=REGION)
        yield client


@pytest.fixture
def clock() -> Iterator[Clock]:
    clock = Clock()
    due: list[str] = []
    queue_clock.install(clock, lambda: due.append("due"))
    yield clock
    queue_clock.uninstall(clock)


def receive(sqs: Any, url: str, visibility: int | None = None) -> list[str]:
    extra = {"VisibilityTimeout": visibility} if visibility is not None else {}
    response = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, **extra)
    return [message["Body"] for message in response.get("Messages", [])]


def test_a_delayed_message_appears_when_the_clock_passes_its_delay(sqs: Any, clock: Clock) -> None:
    url = sqs.create_queue(QueueName="delayed", Attributes={"DelaySeconds": "300"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="queue delay")
    sqs.send_message(QueueUrl=url, MessageBody="own delay", DelaySeconds=900)

    assert receive(sqs, url) == []
    assert clock.next_due() is not None, "the delay's end is on the clock, so settle advances to it"
    clock.advance(301)
    assert receive(sqs, url, visibility=3600) == ["queue delay"]
    clock.advance(600)
    assert receive(sqs, url) == ["own delay"]


def test_a_visibility_timeout_ends_on_the_clock(sqs: Any, clock: Clock) -> None:
    url = sqs.create_queue(QueueName="visible")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="m")

    assert receive(sqs, url, visibility=3600) == ["m"]
    assert receive(sqs, url) == []
    clock.advance(3601)
    assert receive(sqs, url) == ["m"]


def test_a_waiting_message_ages_with_the_clock(sqs: Any, clock: Clock) -> None:
    url = sqs.create_queue(QueueName="aging")["QueueUrl"]
    assert queue_clock.oldest_message_age(ACCOUNT, REGION, "aging", clock.now()) == 0.0
    sqs.send_message(QueueUrl=url, MessageBody="m")

    clock.advance(3600)

    assert 3600 <= queue_clock.oldest_message_age(ACCOUNT, REGION, "aging", clock.now()) < 3700
    assert queue_clock.visible_messages(ACCOUNT, REGION, "aging") == 1


def test_a_message_past_its_retention_is_deleted_as_sqs_does_not_left_in_flight(sqs: Any, clock: Clock) -> None:
    url = sqs.create_queue(QueueName="retained", Attributes={"MessageRetentionPeriod": "3600"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="expires")
    clock.advance(3000)
    sqs.send_message(QueueUrl=url, MessageBody="still fresh")

    clock.advance(700)

    assert receive(sqs, url, visibility=60) == []  # the expired one is dropped (a receive may come back empty)
    assert receive(sqs, url, visibility=60) == ["still fresh"]
    [fresh] = sqs_backends[ACCOUNT][REGION].get_queue("retained")._messages
    assert queue_clock.in_flight(ACCOUNT, REGION, "retained") == {fresh.id}, "nothing else is held"


def test_a_wait_for_messages_ends_when_its_waiters_are_woken_and_it_is_interrupted(sqs: Any, clock: Clock) -> None:
    sqs.create_queue(QueueName="quiet")
    stopping = threading.Event()
    seen: list[bool] = []
    waiter = threading.Thread(
        target=lambda: seen.append(queue_clock.wait_for_visible(ACCOUNT, REGION, "quiet", 3600, stopping.is_set))
    )
    waiter.start()

    moto_patches.wake_pollers(ACCOUNT, REGION, "quiet")  # woken, but nothing arrived and nothing interrupts
    waiter.join(timeout=0.2)
    assert waiter.is_alive(), "a wake-up with nothing visible and no interruption keeps waiting"
    stopping.set()
    moto_patches.wake_pollers(ACCOUNT, REGION, "quiet")
    waiter.join(timeout=30)

    assert not waiter.is_alive(), "the cloud stopping ends a poller's wait at once, not at its timeout"
    assert seen == [False]


def test_closing_a_gate_wakes_the_pollers_it_waits_for() -> None:
    woken: list[str] = []
    gate = PollerGate(lambda: woken.append("woken"))
    standing = threading.Thread(target=gate.pass_through, args=(lambda: True,))

    def close() -> None:
        gate.close(threads=1, timeout=30)

    closer = threading.Thread(target=close)
    closer.start()
    standing.start()
    closer.join(timeout=30)

    assert woken == ["woken"] and gate.closed
    gate.open()
    standing.join(timeout=30)
    assert not standing.is_alive()
