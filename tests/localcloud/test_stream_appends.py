"""Patch 11 of ``moto_patches``: a record moto appends to a DynamoDB stream wakes whoever waits for one, so the
local cloud's stream pollers read it at once rather than at their next idle look.

Each wait is bounded by an hour: a waiter that returns did so because it was woken, not because time ran out.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from localcloud import moto_patches

AN_HOUR = 3600.0
#: How long the test waits for a woken waiter's thread to finish: far below the hour it would wait unwoken.
JOIN_SECONDS = 30.0


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    moto_patches.install()
    with mock_aws():
        yield boto3.client("dynamodb", region_name="eu-west-1")


def create_table(dynamodb: Any, name: str, stream: bool) -> None:
    extra: dict[str, Any] = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}}
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        **(extra if stream else {}),
    )


def waiter(seen: int) -> threading.Thread:
    thread = threading.Thread(target=moto_patches.stream_appends.wait_past, args=(seen, AN_HOUR), daemon=True)
    thread.start()
    return thread


def test_a_record_appended_to_a_stream_wakes_a_waiter_and_counts(dynamodb: Any) -> None:
    create_table(dynamodb, "with-stream", stream=True)
    seen = moto_patches.stream_appends.count
    waiting = waiter(seen)

    dynamodb.put_item(TableName="with-stream", Item={"id": {"S": "a"}})
    waiting.join(JOIN_SECONDS)

    assert not waiting.is_alive(), "the waiter was not woken by the stream record"
    assert moto_patches.stream_appends.count == seen + 1


def test_a_write_to_a_table_without_a_stream_appends_nothing(dynamodb: Any) -> None:
    create_table(dynamodb, "no-stream", stream=False)
    seen = moto_patches.stream_appends.count

    dynamodb.put_item(TableName="no-stream", Item={"id": {"S": "a"}})

    assert moto_patches.stream_appends.count == seen


def test_a_record_appended_before_the_wait_began_ends_it_at_once(dynamodb: Any) -> None:
    create_table(dynamodb, "early", stream=True)
    seen = moto_patches.stream_appends.count
    dynamodb.put_item(TableName="early", Item={"id": {"S": "a"}})

    waiting = waiter(seen)
    waiting.join(JOIN_SECONDS)

    assert not waiting.is_alive(), "a record appended between the read and the wait was missed"


def test_wake_all_ends_every_wait() -> None:
    seen = moto_patches.stream_appends.count
    waiting = [waiter(seen), waiter(seen)]

    moto_patches.stream_appends.wake_all()
    for thread in waiting:
        thread.join(JOIN_SECONDS)

    assert not any(thread.is_alive() for thread in waiting)
